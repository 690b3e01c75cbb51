/*
 * What diary services import to verify the bridge's access tokens offline
 * (`import { createVerifier } from 'diary-identity-bridge/verify'`). RFC 9068 / RFC 8725:
 * - the JWKS is fetched from the bridge and cached; an unknown `kid` refetches it at most once per
 *   cooldown (a flood of forged kids does not flood the bridge)
 * - signature with an algorithm allow-list (never `none`, never HMAC), header `typ` = at+jwt,
 *   `iss`, `aud`, `exp`, `nbf`, `iat` with a small clock tolerance, `sub`, `jti`, `client_id` present
 * - returns typed claims, or throws TokenVerificationError with a stable code
 * Imports nothing from the rest of the bridge: it is a library for other services.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, jwtVerify, type JWTVerifyGetKey } from 'jose'

export interface VerifierOptions {
  /** The bridge's issuer URL (its PUBLIC_URL). */
  issuer: string
  /** The audience this service accepts (the `audience` of the clients whose tokens it serves). */
  audience: string | string[]
  /** Defaults to `<issuer>/.well-known/jwks.json`. */
  jwksUri?: string
  /** Defaults to the bridge's three: ES256, EdDSA, RS256. */
  algorithms?: string[]
  /** Minimum time between two JWKS fetches triggered by unknown kids. Default 30 s. */
  cooldownMs?: number
  /** Keys older than this are refetched on the next verification. Default 5 minutes. */
  cacheMaxAgeMs?: number
  /** Default 5 s. */
  clockToleranceSeconds?: number
  /** Default 5 s. */
  timeoutMs?: number
  fetch?: typeof fetch
  now?: () => Date
}

export interface AccessTokenClaims {
  iss: string
  /** The stable, opaque diary account id. */
  sub: string
  aud: string | string[]
  client_id: string
  scope: string[]
  region: string
  role: 'pupil' | 'parent' | 'teacher' | 'staff'
  iat: number
  exp: number
  jti: string
}

export type VerifyErrorCode =
  | 'token_missing'
  | 'token_malformed'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'signature_invalid'
  | 'algorithm_not_allowed'
  | 'wrong_type'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'claims_invalid'
  | 'key_unknown'
  | 'jwks_unavailable'

export class TokenVerificationError extends Error {
  readonly code: VerifyErrorCode

  constructor(code: VerifyErrorCode, message: string) {
    super(message)
    this.name = 'TokenVerificationError'
    this.code = code
  }
}

function classify(error: unknown): TokenVerificationError {
  if (error instanceof TokenVerificationError) return error
  if (error instanceof errors.JWTExpired) return new TokenVerificationError('token_expired', 'the token has expired')
  if (error instanceof errors.JWTClaimValidationFailed) {
    const byClaim: Record<string, VerifyErrorCode> = { iss: 'wrong_issuer', aud: 'wrong_audience', typ: 'wrong_type', nbf: 'token_not_yet_valid', iat: 'token_not_yet_valid' }
    return new TokenVerificationError(byClaim[error.claim] ?? 'claims_invalid', error.message)
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return new TokenVerificationError('algorithm_not_allowed', 'the token algorithm is not allowed')
  if (error instanceof errors.JWSSignatureVerificationFailed) return new TokenVerificationError('signature_invalid', 'the signature does not verify')
  if (error instanceof errors.JWKSNoMatchingKey) return new TokenVerificationError('key_unknown', 'no published key matches the token')
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return new TokenVerificationError('jwks_unavailable', 'the bridge keys could not be fetched')
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid || error instanceof errors.JOSENotSupported) {
    return new TokenVerificationError('token_malformed', 'the token is not a valid JWT')
  }
  return new TokenVerificationError('jwks_unavailable', error instanceof Error ? error.message : 'verification failed')
}

export interface Verifier {
  verify(token: string | undefined): Promise<AccessTokenClaims>
}

/**
 * The bridge's JWKS, cached: refetched when older than `cacheMaxAgeMs`, or on an unknown kid when the
 * last fetch is older than `cooldownMs`. (Own code rather than jose's remote set, so that the cache
 * follows the same injectable clock as the token checks.)
 */
function cachedJwks(url: URL, options: VerifierOptions, now: () => number): JWTVerifyGetKey {
  let current: { keys: JWTVerifyGetKey; fetchedAt: number; resolved: Map<string, Awaited<ReturnType<JWTVerifyGetKey>>> } | undefined
  let pending: Promise<JWTVerifyGetKey> | undefined
  const doFetch = options.fetch ?? fetch

  function refresh(): Promise<JWTVerifyGetKey> {
    pending ??= (async () => {
      try {
        const response = await doFetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 5000), headers: { accept: 'application/json' } })
        if (!response.ok) throw new TokenVerificationError('jwks_unavailable', `the bridge JWKS answered ${response.status}`)
        const keys = createLocalJWKSet((await response.json()) as JSONWebKeySet)
        current = { keys, fetchedAt: now(), resolved: new Map() }
        return keys
      } catch (error) {
        throw error instanceof TokenVerificationError ? error : new TokenVerificationError('jwks_unavailable', 'the bridge keys could not be fetched')
      } finally {
        pending = undefined
      }
    })()
    return pending
  }

  return async (header, token) => {
    const fresh = current !== undefined && now() - current.fetchedAt < (options.cacheMaxAgeMs ?? 300_000)
    const keys = fresh && current !== undefined ? current.keys : await refresh()
    // The key chosen for a (kid, alg) stays the same for one fetched JWKS: look it up once.
    const memo = `${header.kid ?? ''} ${header.alg}`
    const known = current?.resolved.get(memo)
    if (known !== undefined) return known
    try {
      const key = await keys(header, token)
      current?.resolved.set(memo, key)
      return key
    } catch (error) {
      const cooled = current === undefined || now() - current.fetchedAt >= (options.cooldownMs ?? 30_000)
      if (!(error instanceof errors.JWKSNoMatchingKey) || !cooled) throw error
      return (await refresh())(header, token)
    }
  }
}

export function createVerifier(options: VerifierOptions): Verifier {
  const issuer = options.issuer.replace(/\/+$/, '')
  const now = () => (options.now?.() ?? new Date()).getTime()
  const jwks = cachedJwks(new URL(options.jwksUri ?? `${issuer}/.well-known/jwks.json`), options, now)
  const algorithms = options.algorithms ?? ['ES256', 'EdDSA', 'RS256']
  if (algorithms.some((alg) => alg === 'none' || alg.startsWith('HS'))) throw new Error('none and HMAC algorithms cannot verify bridge tokens')

  return {
    async verify(token) {
      if (token === undefined || token === '') throw new TokenVerificationError('token_missing', 'no access token')
      try {
        const { payload } = await jwtVerify(token, jwks, {
          issuer,
          audience: options.audience,
          algorithms,
          typ: 'at+jwt',
          clockTolerance: options.clockToleranceSeconds ?? 5,
          requiredClaims: ['sub', 'exp', 'iat', 'jti', 'client_id'],
          currentDate: new Date(now()),
        })
        if (typeof payload.iat === 'number' && payload.iat > Math.floor(now() / 1000) + (options.clockToleranceSeconds ?? 5)) {
          throw new TokenVerificationError('token_not_yet_valid', 'the token was issued in the future')
        }
        return { ...payload, scope: typeof payload.scope === 'string' ? payload.scope.split(' ') : [] } as AccessTokenClaims
      } catch (error) {
        throw classify(error)
      }
    },
  }
}

export { bridgeAuth, type BridgeAuthOptions } from './fastify.js'
