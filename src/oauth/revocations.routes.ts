/*
 * GET /revocations: what diary services that verify access tokens offline must refuse before the
 * tokens expire (the shipped verifier, src/verify/, reads it in the background):
 *   { "issuer": …, "generated_at": <epoch s>, "sessions": [sid…], "tokens": [jti…], "truncated": false }
 * - `sessions`: sessions that ended (logout, sign out everywhere, password change or reset, support
 *   desk, a removed or superseded link) while an access token they gave a diary module is still
 *   valid: those tokens carry that `sid`. A session that never gave one is not listed
 * - `tokens`: access tokens revoked one by one (/revoke, a replayed code), until they expire
 * - at most `revocationListLimit` entries, those whose tokens stay valid longest first; `truncated: true`
 *   when there were more: a verifier then cannot tell a token from the list alone (revocation-list.ts)
 * - ids only: a session id or jti says nothing about the person and gives no access
 * - answered from one read per `cacheSeconds` per instance, and cacheable as long: thousands of diary
 *   services polling cost the database one small query a second at most
 */
import type { FastifyPluginAsync } from 'fastify'
import { longestAccessTokenTtl } from '../config/token-lifetimes.js'
import type { RouteContext } from '../context.js'
import { readRevocationList } from './revocation-list.js'

export const revocationsPath = '/revocations'
const cacheSeconds = 2
/** The most ids one answer carries (about 400 KB of JSON): far below the verifier's default `maxBytes` (1 MiB). */
export const revocationListLimit = 10_000

export interface RevocationList {
  issuer: string
  generated_at: number
  sessions: string[]
  tokens: string[]
  truncated: boolean
}

export const revocationRoutes: FastifyPluginAsync<RouteContext> = async (app, context) => {
  let cached: { at: number; list: Promise<RevocationList> } | undefined

  async function read(now: Date): Promise<RevocationList> {
    const entries = await readRevocationList(context.db, {
      now,
      longestAccessTtlSeconds: longestAccessTokenTtl(context.config),
      limit: revocationListLimit,
    })
    return { issuer: context.config.publicUrl, generated_at: Math.floor(now.getTime() / 1000), ...entries }
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
