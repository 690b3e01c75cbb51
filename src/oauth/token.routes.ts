/*
 * The machine endpoints of the provider, all client-authenticated (client-auth.ts):
 *   POST /token       authorization_code (with PKCE), refresh_token (rotating) and client_credentials
 *                     (machine-token.ts) grants, each only for a client whose grantTypes lists it
 *   POST /introspect  RFC 7662: active and claims for the caller's own tokens, or tokens for its audience
 *   POST /revoke      RFC 7009: a refresh token revokes its family; an access token is listed as revoked
 * Uniform errors (a token thief learns nothing from the answer): every refused grant is the same
 * invalid_grant (a scope beyond the grant: invalid_scope, only once the grant itself is valid; a grant the
 * client is not allowed: unauthorized_client), every failed client authentication the same invalid_client. The precise reason goes to the log (info, no
 * token values), to bridge_token_requests_total and, for a grant that exists, to the audit trail.
 * Requests without valid client credentials and made-up tokens write no audit row.
 * Request limits per client and per address (ops/request-rate.ts) come first, before client
 * authentication and before anything touches the database: 429 temporarily_unavailable with Retry-After.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { findAccountById } from '../accounts/account.repository.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { ClientConfig } from '../config/load.js'
import type { GrantType } from '../config/schema.js'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import { signAccessToken, signIdToken, signMachineAccessToken } from '../tokens/issue.js'
import { accessTokenTtl } from '../config/token-lifetimes.js'
import { verifyOwnAccessToken } from '../tokens/verify-own.js'
import { type ClientAuthenticator, claimedClientId } from './client-auth.js'
import { redeemAuthorizationCode } from './authorization-code.repository.js'
import type { Grant, GrantResult } from './grants.js'
import { grantMachineScope, scimBaseUrl } from './machine-token.js'
import { findRefreshToken, isAccessTokenRevoked, revokeAccessToken, revokeFamily } from './token-family.repository.js'
import { rotateRefreshToken } from './refresh-rotation.js'

type Body = Record<string, unknown>

const text = (body: Body, name: string) =>
  typeof body[name] === 'string' && body[name] !== '' ? body[name] : undefined

const grantRefused = 'The grant is not valid.'
const scopeRefused = 'The requested scope is not part of the grant.'
const clientRefused = 'Client authentication failed.'
const grantNotAllowed = 'The client is not allowed this grant type.'

/** The `grant` label of bridge_token_requests_total: a closed set, whatever the body says. */
type TokenGrant = GrantType | 'other_grant'
type Endpoint = TokenGrant | 'revocation' | 'introspection'

function tokenEndpoint(body: Body): TokenGrant {
  const grantType = text(body, 'grant_type')
  return grantType === 'authorization_code' || grantType === 'refresh_token' || grantType === 'client_credentials'
    ? grantType
    : 'other_grant'
}

/** The route context with the client authenticator, which only these endpoints use (it follows live-config.ts). */
export interface TokenRouteContext extends RouteContext {
  authenticateClient: ClientAuthenticator
}

export const tokenRoutes: FastifyPluginAsync<TokenRouteContext> = async (app, context) => {
  const { db } = context
  // bridge.json is fixed for the life of the process (live-config.ts).
  const { config } = context
  const tokens = config.bridge.tokens

  // Counted in memory only: a refused request costs no statement, no secret comparison, no signature check.
  app.addHook('preHandler', async (request) => {
    const clientId = claimedClientId(request.headers.authorization, (request.body ?? {}) as Body)
    const verdict = context.requestRates.admit({ address: request.ip, clientId }, context.now())
    if (verdict.allowed) return
    const endpoint = request.routeOptions.url ?? 'unmatched'
    context.metrics.rateLimited(endpoint, verdict.kind)
    // A client limit is reached only by a registered client's authenticated requests: its id is safe to log.
    const limitedClient = verdict.kind === 'client' ? clientId : undefined
    request.log.info(
      { endpoint, kind: verdict.kind, clientId: limitedClient, retryAfterSeconds: verdict.retryAfterSeconds },
      'request limit reached',
    )
    throw new BridgeError('ERR_RATE_LIMITED', 'Too many requests: try again after Retry-After seconds.', {
      retryAfterSeconds: verdict.retryAfterSeconds,
    })
  })

  /** The authenticated client; a failure is counted and logged with its reason, and answered invalid_client. */
  async function client(request: FastifyRequest, endpoint: Endpoint): Promise<ClientConfig> {
    const result = await context.authenticateClient({
      authorization: request.headers.authorization,
      body: (request.body ?? {}) as Body,
      db,
      now: context.now(),
    })
    if (result.ok) {
      context.requestRates.countClient(result.client.clientId, context.now())
      return result.client
    }
    context.metrics.token(result.clientId ?? 'unknown', endpoint, result.reason)
    request.log.info({ reason: result.reason, clientId: result.clientId, endpoint }, 'client authentication failed')
    throw new BridgeError('ERR_OAUTH_INVALID_CLIENT', clientRefused)
  }

  /** A refused grant: counted, logged, audited when it names a real grant; one answer whatever the reason. */
  async function refuse(
    request: FastifyRequest,
    caller: ClientConfig,
    grantType: Endpoint,
    reason: string,
    accountId?: string,
  ): Promise<never> {
    context.metrics.token(caller.clientId, grantType, reason)
    request.log.info({ reason, clientId: caller.clientId, grant: grantType }, 'token request refused')
    if (reason !== 'unknown') {
      await recordAuditEvent(db, {
        type: `token_${grantType}`,
        outcome: 'refused',
        accountId,
        clientId: caller.clientId,
        requestId: request.id,
        details: { reason },
      })
    }
    if (reason === 'scope') throw new BridgeError('ERR_OAUTH_INVALID_SCOPE', scopeRefused)
    if (reason === 'unauthorized_client') throw new BridgeError('ERR_OAUTH_UNAUTHORIZED_CLIENT', grantNotAllowed)
    throw new BridgeError('ERR_OAUTH_INVALID_GRANT', grantRefused)
  }

  function noStore(reply: FastifyReply) {
    return reply.header('cache-control', 'no-store').header('pragma', 'no-cache')
  }

  /** Tokens issued at `now`, the moment the grant was checked (the family's access_expires_at counts from it). */
  async function answerGrant(
    request: FastifyRequest,
    reply: FastifyReply,
    caller: ClientConfig,
    grantType: Endpoint,
    result: GrantResult,
    now: Date,
  ) {
    if (!result.ok) return refuse(request, caller, grantType, result.reason, result.accountId)
    const grant: Grant = result.grant
    const account = result.account ?? (await findAccountById(db, grant.accountId))
    if (account === undefined) return refuse(request, caller, grantType, 'account_gone')
    context.metrics.token(caller.clientId, grantType, result.reissued ? 'reissued' : 'issued')
    const accessTtlSeconds = accessTokenTtl(config, caller)
    const access = await signAccessToken(context.keys, {
      issuer: config.publicUrl,
      audience: caller.audience,
      clientId: caller.clientId,
      scope: grant.scope,
      account,
      ttlSeconds: accessTtlSeconds,
      now,
      jti: result.accessJti,
      sessionId: grant.sessionId,
      authentication: grant,
    })
    const idToken = await signIdToken(context.keys, {
      issuer: config.publicUrl,
      clientId: caller.clientId,
      scope: grant.scope,
      account,
      nonce: grant.nonce,
      authentication: grant,
      sessionId: grant.sessionId,
      ttlSeconds: tokens.idTokenTtlSeconds,
      now,
    })
    // A code redemption was audited by its own statement (authorization-code.repository.ts); routine refreshes are counted in
    // the metrics instead (refusals are audited).
    return noStore(reply).send({
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: accessTtlSeconds,
      scope: grant.scope,
      id_token: idToken,
      ...(result.refreshToken === undefined ? {} : { refresh_token: result.refreshToken }),
    })
  }

  /** A machine client's token (RFC 6749 §4.4.3): no refresh token, no ID token; audited without the token. */
  async function answerClientCredentials(
    request: FastifyRequest,
    reply: FastifyReply,
    caller: ClientConfig,
    requested: string | undefined,
    now: Date,
  ) {
    const scope = grantMachineScope(caller, requested)
    if (scope === undefined) return refuse(request, caller, 'client_credentials', 'scope')
    const ttlSeconds = accessTokenTtl(config, caller)
    const access = await signMachineAccessToken(context.keys, {
      issuer: config.publicUrl,
      audience: scimBaseUrl(config.publicUrl),
      clientId: caller.clientId,
      scope,
      ttlSeconds,
      now,
    })
    context.metrics.token(caller.clientId, 'client_credentials', 'issued')
    await recordAuditEvent(db, {
      type: 'token_client_credentials',
      outcome: 'issued',
      clientId: caller.clientId,
      requestId: request.id,
      details: { scope },
    })
    return noStore(reply).send({ access_token: access.token, token_type: 'Bearer', expires_in: ttlSeconds, scope })
  }

  app.post('/token', async (request, reply) => {
    const body = (request.body ?? {}) as Body
    const grantType = tokenEndpoint(body)
    const caller = await client(request, grantType)
    const now = context.now()
    if (grantType !== 'other_grant' && !caller.grantTypes.includes(grantType)) {
      return refuse(request, caller, grantType, 'unauthorized_client')
    }
    if (grantType === 'client_credentials') {
      return answerClientCredentials(request, reply, caller, text(body, 'scope'), now)
    }
    if (grantType === 'authorization_code') {
      const code = text(body, 'code')
      if (code === undefined) throw new BridgeError('ERR_OAUTH_INVALID_REQUEST', 'code is required')
      const result = await redeemAuthorizationCode(db, {
        code,
        clientId: caller.clientId,
        redirectUri: text(body, 'redirect_uri'),
        codeVerifier: text(body, 'code_verifier'),
        refreshTtlSeconds: tokens.refreshTokenTtlSeconds,
        accessTtlSeconds: accessTokenTtl(config, caller),
        now,
        requestId: request.id,
      })
      return answerGrant(request, reply, caller, grantType, result, now)
    }
    if (grantType === 'refresh_token') {
      const refreshToken = text(body, 'refresh_token')
      if (refreshToken === undefined) throw new BridgeError('ERR_OAUTH_INVALID_REQUEST', 'refresh_token is required')
      const result = await rotateRefreshToken(db, {
        refreshToken,
        clientId: caller.clientId,
        scope: text(body, 'scope'),
        refreshTtlSeconds: tokens.refreshTokenTtlSeconds,
        accessTtlSeconds: accessTokenTtl(config, caller),
        reuseGraceSeconds: tokens.refreshReuseGraceSeconds,
        now,
      })
      return answerGrant(request, reply, caller, grantType, result, now)
    }
    throw new BridgeError(
      'ERR_OAUTH_UNSUPPORTED_GRANT_TYPE',
      'grant_type must be authorization_code, refresh_token or client_credentials',
    )
  })

  /** What a token is, if it is one of ours that `caller` may see. */
  async function lookUp(caller: ClientConfig, token: string) {
    const now = context.now()
    const access = await verifyOwnAccessToken(context.keys, token, config.publicUrl, now)
    if (access !== undefined) {
      const visible = access.client_id === caller.clientId || [access.aud].flat().includes(caller.audience)
      if (!visible) return undefined
      return {
        kind: 'access' as const,
        access,
        active: !(await isAccessTokenRevoked(
          db,
          access.jti,
          typeof access.sid === 'string' ? access.sid : undefined,
          access.sub,
        )),
      }
    }
    const refresh = await findRefreshToken(db, token)
    if (refresh === undefined || refresh.clientId !== caller.clientId) return undefined
    return {
      kind: 'refresh' as const,
      refresh,
      active: refresh.revokedAt === null && refresh.usedAt === null && refresh.expiresAt > now,
    }
  }

  app.post('/introspect', async (request, reply) => {
    const caller = await client(request, 'introspection')
    const token = text((request.body ?? {}) as Body, 'token')
    if (token === undefined) throw new BridgeError('ERR_OAUTH_INVALID_REQUEST', 'token is required')
    const found = await lookUp(caller, token)
    context.metrics.token(caller.clientId, 'introspection', found?.active === true ? 'active' : 'inactive')
    noStore(reply)
    if (found === undefined || !found.active) return { active: false }
    if (found.kind === 'access') {
      const { access } = found
      return {
        active: true,
        token_type: 'Bearer',
        scope: access.scope,
        client_id: access.client_id,
        sub: access.sub,
        aud: access.aud,
        iss: access.iss,
        exp: access.exp,
        iat: access.iat,
        jti: access.jti,
        region: access.region,
        role: access.role,
        // RFC 9470 §6.2: what the sign-in was, for a resource that introspects instead of verifying.
        ...(access.auth_time === undefined ? {} : { auth_time: access.auth_time }),
        ...(access.acr === undefined ? {} : { acr: access.acr }),
        ...(access.amr === undefined ? {} : { amr: access.amr }),
      }
    }
    return {
      active: true,
      token_type: 'refresh_token',
      scope: found.refresh.scope,
      client_id: found.refresh.clientId,
      sub: found.refresh.accountId,
      iss: config.publicUrl,
      exp: Math.floor(found.refresh.expiresAt.getTime() / 1000),
    }
  })

  app.post('/revoke', async (request, reply) => {
    const caller = await client(request, 'revocation')
    const token = text((request.body ?? {}) as Body, 'token')
    if (token === undefined) throw new BridgeError('ERR_OAUTH_INVALID_REQUEST', 'token is required')
    const found = await lookUp(caller, token)
    if (found?.kind === 'refresh') await revokeFamily(db, found.refresh.familyId, 'revoked_by_client', context.now())
    if (found?.kind === 'access' && found.access.client_id === caller.clientId) {
      await revokeAccessToken(db, found.access.jti, new Date(found.access.exp * 1000))
    }
    context.metrics.token(caller.clientId, 'revocation', found ? 'revoked' : 'ignored')
    // Only a revocation that did something is audited: made-up tokens would each write a row.
    if (found)
      await recordAuditEvent(db, {
        type: 'token_revocation',
        outcome: 'revoked',
        clientId: caller.clientId,
        requestId: request.id,
      })
    return noStore(reply).code(200).send()
  })
}
