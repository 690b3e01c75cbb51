/*
 * The one normalisation of what a provider says about a person into an `Identity`, whatever the
 * protocol (the import reads the same values with the same person/ parsers):
 * - names: trimmed, inner whitespace collapsed, Unicode NFC; empty means absent
 * - birth date: as person/birth-date.ts reads it (YYYY-MM-DD, DD.MM.YYYY, an ISO date-time); anything else is absent
 * - SNILS: any formatting, string or number; an invalid one (format or check number) is absent, `snilsInvalid` says so
 */
import { parseBirthDate } from '../person/birth-date.js'
import { parseSnils } from '../person/snils.js'
import { normaliseText } from '../person/text.js'
import type { Identity } from './connector.js'

/** The raw values a provider sent, of any JSON type. */
export interface PersonValues {
  familyName?: unknown
  givenName?: unknown
  patronymic?: unknown
  birthDate?: unknown
  snils?: unknown
}

const text = (value: unknown) => (typeof value === 'string' ? normaliseText(value) : undefined)

function date(value: unknown, today: string): string | undefined {
  const parsed = typeof value === 'string' ? parseBirthDate(value, today) : undefined
  return parsed?.ok ? parsed.date : undefined
}

export function identityFrom(
  who: { issuer: string; subject: string; verified: boolean },
  values: PersonValues,
  today: string,
): Identity {
  const snils =
    typeof values.snils === 'string' || typeof values.snils === 'number' ? parseSnils(String(values.snils)) : undefined
  return {
    ...who,
    familyName: text(values.familyName),
    givenName: text(values.givenName),
    patronymic: text(values.patronymic),
    birthDate: date(values.birthDate, today),
    snils: snils?.ok ? snils.digits : undefined,
    snilsInvalid: snils !== undefined && !snils.ok,
  }
}
