/*
 * Logout tokens: the bridge POSTs one to a client's back-channel logout URI when a session ends
 * (OpenID Connect Back-Channel Logout 1.0 §2.4; validated as §2.6 says):
 * - signed by a published bridge key with an allowed algorithm; header `typ` = logout+jwt
 * - `iss` = the bridge, `aud` = this client's id, `iat` and `exp` with the clock tolerance, `jti` present
 * - `events` has exactly one member, http://schemas.openid.net/event/backchannel-logout, a JSON object
 * - `sub` or `sid` present; `nonce` absent (a logout token never passes for an ID token, nor the reverse)
 * - a `jti` seen before is refused until that token has expired (in memory: per process)
 */
import type { JWTPayload } from 'jose'
import { TokenVerificationError } from './errors.js'
import type { Verifier } from './types.js'
import { type BridgeKeyOptions, type BridgeKeys, createBridgeKeys, keysOfVerifier } from './keys.js'

export const backchannelLogoutEvent = 'http://schemas.openid.net/event/backchannel-logout'

export type LogoutTokenVerifierOptions = (BridgeKeyOptions | { verifier: Verifier }) & {
  /** This diary module's client_id: the logout token's audience. */
  clientId: string
}

export interface LogoutTokenClaims {
  iss: string
  aud: string | string[]
  iat: number
  exp: number
  jti: string
  /** The diary account id. */
  sub?: string
  /** The session id that the ID tokens of the session carry as `sid`. */
  sid?: string
  events: Record<string, object>
}

export interface LogoutTokenVerifier {
  verify(token: string | undefined): Promise<LogoutTokenClaims>
}

const invalid = (message: string) => new TokenVerificationError('logout_token_invalid', message)
const isObject = (value: unknown): value is object =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const isText = (value: unknown): value is string => typeof value === 'string' && value !== ''

/** The §2.6 rules beyond the signature and the registered claims. */
function checkLogoutClaims(payload: JWTPayload): LogoutTokenClaims {
  const events = payload.events
  if (
    !isObject(events) ||
    Object.keys(events).length !== 1 ||
    !isObject((events as Record<string, unknown>)[backchannelLogoutEvent])
  ) {
    throw invalid(`events must hold exactly ${backchannelLogoutEvent}, an object`)
  }
  if (!isText(payload.sub) && !isText(payload.sid)) throw invalid('a logout token names sub or sid')
  if ((payload.sub !== undefined && !isText(payload.sub)) || (payload.sid !== undefined && !isText(payload.sid)))
    throw invalid('sub and sid are strings')
  if ('nonce' in payload) throw invalid('a logout token carries no nonce')
  if (!isText(payload.jti)) throw invalid('a logout token has a jti')
  return payload as unknown as LogoutTokenClaims
}

function keysFor(options: LogoutTokenVerifierOptions): BridgeKeys {
  if (!('verifier' in options)) return createBridgeKeys(options)
  const shared = keysOfVerifier.get(options.verifier)
  if (shared === undefined) throw new Error('the verifier was not made by createVerifier')
  return shared
}

/**
 * Verifies the logout tokens of one client. With `{ verifier }` (from createVerifier) it shares that
 * verifier's issuer and JWKS cache; otherwise it takes the same key options.
 */
export function createLogoutTokenVerifier(options: LogoutTokenVerifierOptions): LogoutTokenVerifier {
  const keys = keysFor(options)
  const tolerance = keys.options.clockToleranceSeconds ?? 5
  const seen = new Map<string, number>()

  function forgetExpired(now: number): void {
    for (const [jti, until] of seen) if (until <= now) seen.delete(jti)
  }

  return {
    async verify(token) {
      if (token === undefined || token === '') throw new TokenVerificationError('token_missing', 'no logout token')
      const payload = await keys.verifyJwt(token, {
        typ: 'logout+jwt',
        audience: options.clientId,
        requiredClaims: ['iat', 'exp', 'jti'],
      })
      const claims = checkLogoutClaims(payload)
      const now = keys.now()
      forgetExpired(now)
      if (seen.has(claims.jti))
        throw new TokenVerificationError('logout_token_replayed', 'this logout token was received before')
      seen.set(claims.jti, (claims.exp + tolerance) * 1000)
      return claims
    },
  }
}
