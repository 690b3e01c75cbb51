/*
 * What the token endpoint's grants share, pure: opaque tokens, PKCE and the grant answer.
 * - codes and refresh tokens are 32 random bytes, base64url; only their SHA-256 (base64url) is stored
 * - PKCE is S256 only (RFC 7636 §4.6); a verifier outside 43–128 characters of [A-Za-z0-9-._~] fails
 * - an access token's `exp` is rounded to whole seconds: it expires at most a second after its lifetime
 * Expected failures are values (`{ ok: false, reason }`), so the caller answers invalid_grant the same
 * way whatever the reason, and logs the reason. The tables are authorization-code.repository.ts's
 * and token-family.repository.ts's.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { AcrLevel } from '../db/schema.js'
import type { TokenAccount } from '../tokens/issue.js'

export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url')
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

const verifierFormat = /^[A-Za-z0-9\-._~]{43,128}$/

/** RFC 7636 §4.6: BASE64URL(SHA256(verifier)), or undefined for a malformed verifier. */
export function s256(verifier: string | undefined): string | undefined {
  return verifier === undefined || !verifierFormat.test(verifier)
    ? undefined
    : createHash('sha256').update(verifier).digest('base64url')
}

/** RFC 7636 §4.6: BASE64URL(SHA256(verifier)) equals the challenge. */
export function checkPkce(verifier: string | undefined, challenge: string): boolean {
  const computed = s256(verifier)
  if (computed === undefined) return false
  const expected = Buffer.from(challenge)
  return computed.length === expected.length && timingSafeEqual(Buffer.from(computed), expected)
}

/**
 * When an access token issued at `now` with a lifetime of `ttlSeconds` expires, at the latest: a second
 * more, for the token's `exp` rounded to whole seconds.
 */
export function accessTokenExpiry(now: Date, ttlSeconds: number): Date {
  return new Date(now.getTime() + (ttlSeconds + 1) * 1000)
}

export interface Grant {
  familyId: string
  clientId: string
  accountId: string
  sessionId: string | null
  scope: string
  nonce: string | null
  authTime: Date
  /** RFC 8176 values, space separated (a single value before migration 0016). */
  amr: string
  acr: AcrLevel
}

export type GrantFailure =
  'unknown' | 'wrong_client' | 'expired' | 'replayed' | 'redirect_uri' | 'pkce' | 'revoked' | 'scope'

export type GrantResult =
  | {
      ok: true
      grant: Grant
      refreshToken: string | undefined
      account?: TokenAccount
      /** The jti the access token must carry (a code redemption stores it, for a replay to revoke). */
      accessJti?: string
      /** A repeated refresh within the grace period: the refresh token is the one issued already. */
      reissued?: boolean
    }
  | { ok: false; reason: GrantFailure; accountId?: string }
