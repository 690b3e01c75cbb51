/*
 * The one normalised person a state-services provider vouches for, whatever its claim names.
 * - claims are looked up in userinfo first, then in the ID token; a dot descends into objects
 * - names: trimmed, inner whitespace collapsed, Unicode NFC; empty means absent
 * - birth date: as person/birth-date.ts reads it (YYYY-MM-DD, DD.MM.YYYY, an ISO date-time); anything else is absent
 * - SNILS: any formatting; an invalid one (format or check number) is absent, `snilsInvalid` says so
 * - verified: only boolean true or the string "true" of the configured claim
 */
import type { ProviderConfig } from '../config/load.js'
import { parseBirthDate } from '../person/birth-date.js'
import { parseSnils } from '../person/snils.js'
import { normaliseText } from '../person/text.js'

export interface Identity {
  issuer: string
  subject: string
  verified: boolean
  familyName?: string
  givenName?: string
  patronymic?: string
  birthDate?: string
  /** 11 digits with a valid check number. Personal data: never logged, never stored in clear. */
  snils?: string
  snilsInvalid: boolean
}

type Claims = Record<string, unknown>

function claimAt(claims: Claims | undefined, name: string): unknown {
  let current: unknown = claims
  for (const part of name.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined
    current = (current as Claims)[part]
  }
  return current
}

const text = (value: unknown) => (typeof value === 'string' ? normaliseText(value) : undefined)

function date(value: unknown, today: string): string | undefined {
  const parsed = typeof value === 'string' ? parseBirthDate(value, today) : undefined
  return parsed?.ok ? parsed.date : undefined
}

/** Builds the Identity from verified ID token claims and userinfo (whose `sub` was checked equal). */
export function normaliseIdentity(
  issuer: string,
  mapping: ProviderConfig['claims'],
  idToken: Claims & { sub: string },
  userinfo: Claims | undefined,
  today: string,
): Identity {
  const claim = (name: string | undefined) =>
    name === undefined ? undefined : (claimAt(userinfo, name) ?? claimAt(idToken, name))
  const verifiedValue = claim(mapping.verified)
  const snilsValue = claim(mapping.snils)
  const snils = typeof snilsValue === 'string' || typeof snilsValue === 'number' ? parseSnils(String(snilsValue)) : undefined
  return {
    issuer,
    subject: idToken.sub,
    verified: verifiedValue === true || verifiedValue === 'true',
    familyName: text(claim(mapping.familyName)),
    givenName: text(claim(mapping.givenName)),
    patronymic: text(claim(mapping.patronymic)),
    birthDate: date(claim(mapping.birthDate), today),
    snils: snils?.ok ? snils.digits : undefined,
    snilsInvalid: snils !== undefined && !snils.ok,
  }
}
