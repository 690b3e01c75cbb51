/*
 * The user-authentication requirements of a diary service (RFC 9470), checked on verified claims (pure):
 * - `requireAcr`: the token's `acr` must be one of the URNs given; the bridge's mfa URN satisfies a
 *   requirement of its password URN (a stronger sign-in is never refused for being stronger)
 * - `maxAge`: at most that many seconds since the sign-in (`auth_time`); a token without auth_time fails
 * - a failure is `insufficient_user_authentication` carrying what would satisfy it (`acr_values`,
 *   `max_age`), for the WWW-Authenticate challenge of RFC 9470 §3
 * The URNs are the bridge's (src/tokens/acr.ts; this library imports nothing from the bridge, a test
 * checks that the two agree).
 */
import { TokenVerificationError } from './errors.js'

export const acrUris = {
  password: 'urn:diary-bridge:acr:password',
  mfa: 'urn:diary-bridge:acr:mfa',
} as const

export interface AuthenticationRequirement {
  /** The acr URNs accepted, in order of preference (RFC 9470 `acr_values`). */
  requireAcr?: string | readonly string[]
  /** Seconds since the person signed in (`auth_time`), at most. */
  maxAge?: number
}

function acrAccepted(acr: unknown, accepted: readonly string[]): boolean {
  if (typeof acr !== 'string') return false
  return accepted.includes(acr) || (acr === acrUris.mfa && accepted.includes(acrUris.password))
}

/** Throws insufficient_user_authentication (with the challenge's acr_values and/or max_age) unless the claims meet `requirement` at `nowSeconds`. */
export function checkAuthentication(
  verified: object,
  requirement: AuthenticationRequirement,
  nowSeconds: number,
): void {
  const claims = verified as { acr?: unknown; auth_time?: unknown }
  const accepted = requirement.requireAcr === undefined ? [] : [requirement.requireAcr].flat()
  const acrFails = accepted.length > 0 && !acrAccepted(claims.acr, accepted)
  const { maxAge } = requirement
  const ageFails =
    maxAge !== undefined && (typeof claims.auth_time !== 'number' || nowSeconds - claims.auth_time > maxAge)
  if (!acrFails && !ageFails) return
  throw new TokenVerificationError(
    'insufficient_user_authentication',
    acrFails ? 'a stronger sign-in is required' : 'a more recent sign-in is required',
    { acrValues: acrFails ? accepted : undefined, maxAge: ageFails ? maxAge : undefined },
  )
}
