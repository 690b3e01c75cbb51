/*
 * Access tokens verified offline, RFC 9068 / RFC 8725:
 * - the shared checks of keys.ts: cached JWKS, algorithm allow-list, `typ` = at+jwt, `iss`, `aud`,
 *   `exp`, `nbf`, `iat` with a small clock tolerance; `sub`, `jti`, `client_id` present
 * - refused when its `sid` (session) or `jti` is on the bridge's revocation list (revocations.ts); while
 *   that list is truncated, a token it does not name is asked of `revocations.whenTruncated`, if given
 * - with `requireAcr` / `maxAge`, the sign-in behind the token must be strong and recent enough (acr.ts):
 *   else insufficient_user_authentication, whose challenge (RFC 9470 §3) tells the client what to ask for
 * - returns typed claims, or throws TokenVerificationError with a stable code
 * Logout tokens (back-channel logout) in logout-token.ts; the Fastify plugins in fastify.ts.
 */
import { type AuthenticationRequirement, checkAuthentication } from './acr.js'
import { TokenVerificationError } from './errors.js'
import { type BridgeKeyOptions, createBridgeKeys, keysOfVerifier } from './keys.js'
import { openRevocationFeed, type RevocationOptions } from './revocations.js'
import type { AccessTokenClaims, Verifier } from './types.js'

export interface VerifierOptions extends BridgeKeyOptions, AuthenticationRequirement {
  /** The audience this service accepts (the `audience` of the clients whose tokens it serves). */
  audience: string | string[]
  /** The bridge's revocation list, refreshed in the background (default: every 30 s); `false`: not used. */
  revocations?: RevocationOptions | false
}

const challengeToken = /^[\x21\x23-\x5b\x5d-\x7e]+$/

/** A requirement that could not be written into a challenge, or could never be met, is a mistake of the service's code. */
function checkRequirement(options: AuthenticationRequirement): void {
  const acr = options.requireAcr === undefined ? undefined : [options.requireAcr].flat()
  if (acr !== undefined && (acr.length === 0 || !acr.every((value) => challengeToken.test(value))))
    throw new TypeError('requireAcr: one or more acr URNs, without spaces, quotes or backslashes')
  if (options.maxAge !== undefined && !(Number.isInteger(options.maxAge) && options.maxAge >= 0))
    throw new TypeError('maxAge: a whole number of seconds, 0 or more')
}

export function createVerifier(options: VerifierOptions): Verifier {
  checkRequirement(options)
  const keys = createBridgeKeys(options)
  const revocations = options.revocations === false ? undefined : openRevocationFeed(keys, options.revocations ?? {})

  const verifier: Verifier = {
    async verify(token) {
      if (token === undefined || token === '') throw new TokenVerificationError('token_missing', 'no access token')
      const payload = await keys.verifyJwt(token, {
        typ: 'at+jwt',
        audience: options.audience,
        requiredClaims: ['sub', 'exp', 'iat', 'jti', 'client_id'],
      })
      const revoked = await revocations?.current()
      const sid = typeof payload.sid === 'string' ? payload.sid : undefined
      if (
        revoked !== undefined &&
        (revoked.tokens.has(String(payload.jti)) || (sid !== undefined && revoked.sessions.has(sid)))
      ) {
        throw new TokenVerificationError('token_revoked', 'the token or its session was revoked')
      }
      const claims = {
        ...payload,
        scope: typeof payload.scope === 'string' ? payload.scope.split(' ') : [],
      } as AccessTokenClaims
      const ask = options.revocations === false ? undefined : options.revocations?.whenTruncated
      if (revoked?.truncated === true && ask !== undefined && !(await ask(token, claims))) {
        throw new TokenVerificationError(
          'token_revoked',
          'the token is not active (asked while the revocation list is truncated)',
        )
      }
      checkAuthentication(payload, options, Math.floor(keys.now() / 1000))
      return claims
    },
    close() {
      revocations?.close()
    },
  }
  keysOfVerifier.set(verifier, keys)
  return verifier
}
