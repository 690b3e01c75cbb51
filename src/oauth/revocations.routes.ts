/*
 * GET /revocations: what diary services that verify access tokens offline must refuse before the
 * tokens expire (the shipped verifier, src/verify/, reads it in the background):
 *   { "issuer": …, "generated_at": <epoch s>, "sessions": [sid…], "tokens": [jti…] }
 * - `sessions`: sessions that ended (logout, sign out everywhere, password change or reset, support
 *   desk, a removed or superseded link) within the longest access-token lifetime: their access tokens
 *   carry that `sid`
 * - `tokens`: access tokens revoked one by one (/revoke, a replayed code), until they expire
 * - ids only: a session id or jti says nothing about the person and gives no access
 * - answered from one read per `cacheSeconds` per instance, and cacheable as long: thousands of diary
 *   services polling cost the database one small query a second at most
 */
import type { FastifyPluginAsync } from 'fastify'
import { longestAccessTokenTtl } from '../config/token-lifetimes.js'
import type { RouteContext } from '../context.js'
import { listEndedSessionIds } from '../sessions/login-session.js'
import { listRevokedAccessTokenIds } from './grants.js'

export const revocationsPath = '/revocations'
const cacheSeconds = 2

export interface RevocationList {
  issuer: string
  generated_at: number
  sessions: string[]
  tokens: string[]
}

export const revocationRoutes: FastifyPluginAsync<RouteContext> = async (app, context) => {
  let cached: { at: number; list: Promise<RevocationList> } | undefined

  async function read(now: Date): Promise<RevocationList> {
    const since = new Date(now.getTime() - longestAccessTokenTtl(context.config) * 1000)
    const [sessions, tokens] = await Promise.all([listEndedSessionIds(context.db, since), listRevokedAccessTokenIds(context.db, now)])
    return { issuer: context.config.publicUrl, generated_at: Math.floor(now.getTime() / 1000), sessions, tokens }
  }

  app.get(revocationsPath, async (_request, reply) => {
    const now = context.now()
    if (cached === undefined || now.getTime() - cached.at >= cacheSeconds * 1000 || now.getTime() < cached.at) {
      const list = read(now)
      cached = { at: now.getTime(), list }
      list.catch(() => (cached = undefined))
    }
    reply.header('cache-control', `public, max-age=${cacheSeconds}`)
    return cached.list
  })
}
