/*
 * A standard OIDC provider's claims as an Identity, through the region's claim-name mapping:
 * - claims are looked up in userinfo first, then in the ID token; a dot descends into objects
 * - verified: only boolean true or the string "true" of the configured claim
 */
import type { OidcProviderConfig } from './config.js'
import type { Identity } from '../connector.js'
import { identityFrom } from '../identity.js'

type Claims = Record<string, unknown>

function claimAt(claims: Claims | undefined, name: string): unknown {
  let current: unknown = claims
  for (const part of name.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined
    current = (current as Claims)[part]
  }
  return current
}

/** Builds the Identity from verified ID token claims and userinfo (whose `sub` was checked equal). */
export function identityFromClaims(
  issuer: string,
  mapping: OidcProviderConfig['claims'],
  idToken: Claims & { sub: string },
  userinfo: Claims | undefined,
  today: string,
): Identity {
  const claim = (name: string | undefined) =>
    name === undefined ? undefined : (claimAt(userinfo, name) ?? claimAt(idToken, name))
  const verified = claim(mapping.verified)
  return identityFrom(
    { issuer, subject: idToken.sub, verified: verified === true || verified === 'true' },
    {
      familyName: claim(mapping.familyName),
      givenName: claim(mapping.givenName),
      patronymic: claim(mapping.patronymic),
      birthDate: claim(mapping.birthDate),
      snils: claim(mapping.snils),
    },
    today,
  )
}
