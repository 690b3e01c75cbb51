/*
 * GET|POST /userinfo (OIDC Core §5.3): a bearer access token of this bridge (header, or form body on
 * POST); answers sub, region and role, and the names when the token's scope has `profile`.
 * A missing, invalid, expired or revoked token (by its jti, or because its session ended): 401 with WWW-Authenticate: Bearer error="invalid_token".
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { findTokenAccount } from '../accounts/account.repository.js'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import { profileClaims } from '../tokens/issue.js'
import { verifyOwnAccessToken } from '../tokens/verify-own.js'
import { accessTokenRevokedSql } from './token-family.repository.js'

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (header !== undefined) return /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/.exec(header)?.[1]
  const body = request.body as Record<string, unknown> | undefined
  return request.method === 'POST' && typeof body?.access_token === 'string' ? body.access_token : undefined
}

export const userinfoRoutes: FastifyPluginAsync<RouteContext> = async (app, context) => {
  app.route({
    method: ['GET', 'POST'],
    url: '/userinfo',
    handler: async (request, reply) => {
      const token = bearer(request)
      const access =
        token === undefined
          ? undefined
          : await verifyOwnAccessToken(context.keys, token, context.config.publicUrl, context.now())
      const account =
        access &&
        (await findTokenAccount(
          context.db,
          access.sub,
          accessTokenRevokedSql(access.jti, typeof access.sid === 'string' ? access.sid : undefined, access.sub),
        ))
      if (access === undefined || account === undefined) {
        throw new BridgeError('ERR_OAUTH_INVALID_TOKEN', 'the access token is missing, invalid, expired or revoked')
      }
      reply.header('cache-control', 'no-store')
      return { sub: account.id, region: account.region, role: account.role, ...profileClaims(account, access.scope) }
    },
  })
}
