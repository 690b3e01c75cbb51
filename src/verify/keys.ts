/*
 * The bridge's keys and the checks every bridge JWT shares (access tokens and logout tokens), RFC 8725:
 * - the JWKS is fetched from the bridge and cached; an unknown `kid` refetches it at most once per
 *   cooldown (a flood of forged kids does not flood the bridge)
 * - signature with an algorithm allow-list (never `none`, never HMAC), the header `typ` asked for,
 *   `iss`, `aud`, `exp`, `nbf`, `iat` (not in the future) with a small clock tolerance, required claims
 * - every failure is a TokenVerificationError with a stable code
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTPayload, jwtVerify, type JWTVerifyGetKey } from 'jose'
import { classify, TokenVerificationError } from './errors.js'

export interface BridgeKeyOptions {
  /** The bridge's issuer URL (its PUBLIC_URL). */
  issuer: string
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
  /** For every request to the bridge. Default 5 s. */
  timeoutMs?: number
  fetch?: typeof fetch
  now?: () => Date
}

export interface BridgeKeys {
  /** The issuer without a trailing slash. */
  issuer: string
  now: () => number
  options: BridgeKeyOptions
  /** Every shared check; the caller adds those of its token type. */
  verifyJwt(
    token: string,
    expected: { typ: string; audience: string | string[]; requiredClaims: string[] },
  ): Promise<JWTPayload>
}

/** The keys behind each verifier, so that a logout token verifier can share its JWKS cache. */
export const keysOfVerifier = new WeakMap<object, BridgeKeys>()

/**
 * The bridge's JWKS, cached: refetched when older than `cacheMaxAgeMs`, or on an unknown kid when the
 * last fetch is older than `cooldownMs`. (Own code rather than jose's remote set, so that the cache
 * follows the same injectable clock as the token checks.)
 */
function cachedJwks(url: URL, options: BridgeKeyOptions, now: () => number): JWTVerifyGetKey {
  let current:
    | { keys: JWTVerifyGetKey; fetchedAt: number; resolved: Map<string, Awaited<ReturnType<JWTVerifyGetKey>>> }
    | undefined
  let pending: Promise<JWTVerifyGetKey> | undefined
  const doFetch = options.fetch ?? fetch

  function refresh(): Promise<JWTVerifyGetKey> {
    pending ??= (async () => {
      try {
        const response = await doFetch(url, {
          signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
          headers: { accept: 'application/json' },
        })
        if (!response.ok)
          throw new TokenVerificationError('jwks_unavailable', `the bridge JWKS answered ${response.status}`)
        const keys = createLocalJWKSet((await response.json()) as JSONWebKeySet)
        current = { keys, fetchedAt: now(), resolved: new Map() }
        return keys
      } catch (error) {
        throw error instanceof TokenVerificationError
          ? error
          : new TokenVerificationError('jwks_unavailable', 'the bridge keys could not be fetched')
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

export function createBridgeKeys(options: BridgeKeyOptions): BridgeKeys {
  const issuer = options.issuer.replace(/\/+$/, '')
  const now = () => (options.now?.() ?? new Date()).getTime()
  const jwks = cachedJwks(new URL(options.jwksUri ?? `${issuer}/.well-known/jwks.json`), options, now)
  const algorithms = options.algorithms ?? ['ES256', 'EdDSA', 'RS256']
  if (algorithms.some((alg) => alg === 'none' || alg.startsWith('HS')))
    throw new Error('none and HMAC algorithms cannot verify bridge tokens')
  const tolerance = options.clockToleranceSeconds ?? 5

  return {
    issuer,
    now,
    options,
    async verifyJwt(token, expected) {
      try {
        const { payload } = await jwtVerify(token, jwks, {
          issuer,
          audience: expected.audience,
          algorithms,
          typ: expected.typ,
          clockTolerance: tolerance,
          requiredClaims: expected.requiredClaims,
          currentDate: new Date(now()),
        })
        if (typeof payload.iat === 'number' && payload.iat > Math.floor(now() / 1000) + tolerance) {
          throw new TokenVerificationError('token_not_yet_valid', 'the token was issued in the future')
        }
        return payload
      } catch (error) {
        throw classify(error)
      }
    },
  }
}
