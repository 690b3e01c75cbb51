/*
 * The machine endpoints of the provider, all client-authenticated (client-auth.ts):
 *   POST /token       authorization_code (with PKCE) and refresh_token (rotating) grants
 *   POST /introspect  RFC 7662: active and claims for the caller's own tokens, or tokens for its audience
 *   POST /revoke      RFC 7009: a refresh token revokes its family; an access token is listed as revoked
 * Every grant failure is the same invalid_grant to the client; the reason goes to the log and audit.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { findAccountById } from '../accounts/account.repository.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { ClientConfig } from '../config/load.js'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import { signAccessToken, signIdToken } from '../tokens/issue.js'
import { verifyOwnAccessToken } from '../tokens/verify-own.js'
import {
  type Grant,
  type GrantResult,
  hashToken,
  recordCodeAccessToken,
  redeemAuthorizationCode,
  revokeAccessToken,
  revokeFamily,
  rotateRefreshToken,
} from './grants.js'

type Body = Record<string, unknown>

const text = (body: Body, name: string) => (typeof body[name] === 'string' && body[name] !== '' ? (body[name]) : undefined)

export const tokenRoutes: FastifyPluginAsync<RouteContext> = async (app, context) => {
  const { db } = context
  // bridge.json is fixed for the life of the process (live-config.ts).
  const { config } = context
  const tokens = config.bridge.tokens

  async function client(request: FastifyRequest): Promise<ClientConfig> {
    return context.authenticateClient({ authorization: request.headers.authorization, body: (request.body ?? {}) as Body })
  }

  function noStore(reply: FastifyReply) {
    return reply.header('cache-control', 'no-store').header('pragma', 'no-cache')
  }

  async function answerGrant(request: FastifyRequest, reply: FastifyReply, caller: ClientConfig, grantType: string, result: GrantResult) {
    context.metrics.token(caller.clientId, grantType, result.ok ? 'issued' : result.reason)
    if (!result.ok) {
      await recordAuditEvent(db, { type: `token_${grantType}`, outcome: 'refused', clientId: caller.clientId, requestId: request.id, details: { reason: result.reason } })
      throw new BridgeError(result.reason === 'scope' ? 'ERR_OAUTH_INVALID_SCOPE' : 'ERR_OAUTH_INVALID_GRANT', `grant refused: ${result.reason}`)
    }
    const grant: Grant = result.grant
    const account = result.account ?? (await findAccountById(db, grant.accountId))
    if (account === undefined) throw new BridgeError('ERR_OAUTH_INVALID_GRANT', 'grant refused: account gone')
    const now = context.now()
    const access = await signAccessToken(context.keys, {
      issuer: config.publicUrl,
      audience: caller.audience,
      clientId: caller.clientId,
      scope: grant.scope,
      account,
      ttlSeconds: tokens.accessTokenTtlSeconds,
      now,
    })
    if (grantType === 'authorization_code') await recordCodeAccessToken(db, grant.familyId, access.jti, access.expiresAt)
    const idToken = await signIdToken(context.keys, {
      issuer: config.publicUrl,
      clientId: caller.clientId,
      scope: grant.scope,
      account,
      nonce: grant.nonce,
      authTime: grant.authTime,
      amr: grant.amr,
      sessionId: grant.sessionId,
      ttlSeconds: tokens.idTokenTtlSeconds,
      now,
    })
    // A code redemption is audited; routine refreshes are counted in the metrics instead (refusals are audited).
    if (grantType === 'authorization_code') {
      await recordAuditEvent(db, { type: `token_${grantType}`, outcome: 'issued', accountId: account.id, region: account.region, clientId: caller.clientId, requestId: request.id })
    }
    return noStore(reply).send({
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: tokens.accessTokenTtlSeconds,
      scope: grant.scope,
      id_token: idToken,
      ...(result.refreshToken === undefined ? {} : { refresh_token: result.refreshToken }),
    })
  }

  app.post('/token', async (request, reply) => {
    const caller = await client(request)
    const body = (request.body ?? {}) as Body
    const grantType = text(body, 'grant_type')
    const now = context.now()
    if (grantType === 'authorization_code') {
      const code = text(body, 'code')
      if (code === undefined) throw new BridgeError('ERR_OAUTH_INVALID_REQUEST', 'code is required')
      const result = await redeemAuthorizationCode(db, {
        code,
        clientId: caller.clientId,
        redirectUri: text(body, 'redirect_uri'),
        codeVerifier: text(body, 'code_verifier'),
        refreshTtlSeconds: tokens.refreshTokenTtlSeconds,
        now,
      })
      return answerGrant(request, reply, caller, grantType, result)
    }
    if (grantType === 'refresh_token') {
      const refreshToken = text(body, 'refresh_token')
      if (refreshToken === undefined) throw new BridgeError('ERR_OAUTH_INVALID_REQUEST', 'refresh_token is required')
      const result = await rotateRefreshToken(db, {
        refreshToken,
        clientId: caller.clientId,
        scope: text(body, 'scope'),
        refreshTtlSeconds: tokens.refreshTokenTtlSeconds,
        now,
      })
      return answerGrant(request, reply, caller, grantType, result)
    }
    throw new BridgeError('ERR_OAUTH_UNSUPPORTED_GRANT_TYPE', 'grant_type must be authorization_code or refresh_token')
  })

  /** What a token is, if it is one of ours that `caller` may see. */
  async function lookUp(caller: ClientConfig, token: string) {
    const now = context.now()
    const access = await verifyOwnAccessToken(context.keys, token, config.publicUrl, now)
    if (access !== undefined) {
      const visible = access.client_id === caller.clientId || [access.aud].flat().includes(caller.audience)
      if (!visible) return undefined
      const revoked = await db.selectFrom('revoked_access_token').select('jti').where('jti', '=', access.jti).executeTakeFirst()
      return { kind: 'access' as const, access, active: revoked === undefined }
    }
    const refresh = await db
      .selectFrom('refresh_token')
      .innerJoin('token_family', 'token_family.id', 'refresh_token.family_id')
      .select(['refresh_token.family_id', 'refresh_token.expires_at', 'refresh_token.used_at', 'token_family.revoked_at', 'token_family.client_id', 'token_family.account_id', 'token_family.scope'])
      .where('refresh_token.token_hash', '=', hashToken(token))
      .executeTakeFirst()
    if (refresh === undefined || refresh.client_id !== caller.clientId) return undefined
    return { kind: 'refresh' as const, refresh, active: refresh.revoked_at === null && refresh.used_at === null && refresh.expires_at > now }
  }

  app.post('/introspect', async (request, reply) => {
    const caller = await client(request)
    const token = text((request.body ?? {}) as Body, 'token')
    if (token === undefined) throw new BridgeError('ERR_OAUTH_INVALID_REQUEST', 'token is required')
    const found = await lookUp(caller, token)
    noStore(reply)
    if (found === undefined || !found.active) return { active: false }
    if (found.kind === 'access') {
      const { access } = found
      return { active: true, token_type: 'Bearer', scope: access.scope, client_id: access.client_id, sub: access.sub, aud: access.aud, iss: access.iss, exp: access.exp, iat: access.iat, jti: access.jti, region: access.region, role: access.role }
    }
    return {
      active: true,
      token_type: 'refresh_token',
      scope: found.refresh.scope,
      client_id: found.refresh.client_id,
      sub: found.refresh.account_id,
      iss: config.publicUrl,
      exp: Math.floor(found.refresh.expires_at.getTime() / 1000),
    }
  })

  app.post('/revoke', async (request, reply) => {
    const caller = await client(request)
    const token = text((request.body ?? {}) as Body, 'token')
    if (token === undefined) throw new BridgeError('ERR_OAUTH_INVALID_REQUEST', 'token is required')
    const found = await lookUp(caller, token)
    if (found?.kind === 'refresh') await revokeFamily(db, found.refresh.family_id, 'revoked_by_client', context.now())
    if (found?.kind === 'access' && found.access.client_id === caller.clientId) {
      await revokeAccessToken(db, found.access.jti, new Date(found.access.exp * 1000))
    }
    await recordAuditEvent(db, { type: 'token_revocation', outcome: found ? 'revoked' : 'ignored', clientId: caller.clientId, requestId: request.id })
    return noStore(reply).code(200).send()
  })
}
