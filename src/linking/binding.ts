/*
 * Whether a state-services identity may be bound to a diary account whose password the person just
 * typed correctly (pure). Knowing a password is not being its owner: a parent who knows the child's
 * password, or a stranger who learned it, must not bind their own State Services to that diary.
 * In order:
 * - the provider must have given a family and a given name (without them nobody can tell)
 * - the full names must match (person/full-name.ts), here tolerating one typo per name part, since
 *   diary data carries typos that only the school can fix; a patronymic missing on one side as the
 *   region's policy says; otherwise it is another person
 * - a typo in the given name counts only when both birth dates are known and agree: one letter often
 *   makes a sister's name (Ирина/Арина) while family name and patronymic are the same
 * - when both carry a SNILS, they must be the same
 * - when both carry a birth date, they must be the same (with or without a typo in the name: a father
 *   and a son may share a full name)
 */
import { compareNameParts, type FullName } from '../person/full-name.js'
import type { Evidence } from './match.js'

export type BindingRefusal = 'name_unknown' | 'other_person' | 'snils_differs' | 'birth_date_differs'

export type BindingDecision = { kind: 'bind'; evidence: Evidence } | { kind: 'refuse'; reason: BindingRefusal }

export interface BindingPerson extends FullName {
  birthDate?: string | null
  snilsHmac?: string | null
}

export function decideBinding(
  person: BindingPerson,
  account: BindingPerson,
  policy: { allowMissingPatronymic: boolean },
): BindingDecision {
  if (!person.familyName || !person.givenName) return { kind: 'refuse', reason: 'name_unknown' }
  const { result: name, typos } = compareNameParts(person, account, { ...policy, allowTypos: true })
  const bothDates = Boolean(person.birthDate) && Boolean(account.birthDate)
  if (name === 'mismatch' || (typos.includes('givenName') && !bothDates)) return { kind: 'refuse', reason: 'other_person' }
  const bothSnils = Boolean(person.snilsHmac) && Boolean(account.snilsHmac)
  if (bothSnils && person.snilsHmac !== account.snilsHmac) return { kind: 'refuse', reason: 'snils_differs' }
  if (bothDates && person.birthDate !== account.birthDate) return { kind: 'refuse', reason: 'birth_date_differs' }
  return {
    kind: 'bind',
    evidence: {
      password: 'verified',
      name,
      snils: bothSnils ? 'match' : 'absent',
      birthDate: bothDates ? 'match' : 'absent',
    },
  }
}
