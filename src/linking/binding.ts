/*
 * Whether a state-services identity may be bound to a diary account whose password the person just
 * typed correctly (pure). Knowing a password is not being its owner: a parent who knows the child's
 * password, a sister, or a stranger who learned it, must not bind their own State Services to that diary.
 * In order:
 * - the provider must have given a family and a given name (without them nobody can tell)
 * - the full names must match (person/full-name.ts), here tolerating one typo per name part, since
 *   diary data carries typos that only the school can fix; a patronymic missing on one side as the
 *   region's policy says; a name part that mixes Latin and Cyrillic letters is never a typo match
 *   (a look-alike "a" is not a typo); otherwise it is another person
 * - a typo in the given name (one letter often makes a sister's name: Ирина/Арина, Елена/Алёна) counts
 *   only when
 *   - the provider vouches for the person and both SNILS are known and the same, or
 *   - both birth dates are known and the same, and no other account of the region has the diary's
 *     family name, patronymic and birth date (`namesakes`: a twin sister's diary is such an account)
 * - when both carry a SNILS, they must be the same
 * - when both carry a birth date, they must be the same (with or without a typo in the name: a father
 *   and a son may share a full name)
 * - when only the person's birth date is known (the diary has none), the age must fit the diary's
 *   role: a person older than 25 never binds a pupil's diary (the father of a namesake son), a person
 *   under 18 never binds a parent's, teacher's or staff diary (the son of a namesake father)
 */
import type { Role } from '../db/schema.js'
import { compareNameParts, type FullName } from '../person/full-name.js'
import type { Evidence } from './match.js'

export type BindingRefusal = 'name_unknown' | 'other_person' | 'snils_differs' | 'birth_date_differs'

export type BindingDecision = { kind: 'bind'; evidence: Evidence } | { kind: 'refuse'; reason: BindingRefusal }

export interface BindingPerson extends FullName {
  birthDate?: string | null
  snilsHmac?: string | null
}

/** The person from State Services; `verified`: the provider vouches for them (absent in an older login cookie: not verified). */
export interface BindingIdentity extends BindingPerson {
  verified?: boolean
}

export interface BindingAccount extends BindingPerson {
  role: Role
}

export interface BindingFacts {
  /** Other accounts of the region with the diary account's family name, patronymic and birth date. */
  namesakes: number
  /** YYYY-MM-DD in the region's time zone. */
  today: string
}

/** The age limits of the role check (full years). */
export const bindingAges = { pupilAtMost: 25, adultFrom: 18 } as const

/** Full years from `birthDate` to `today` (both YYYY-MM-DD). */
export function ageOn(birthDate: string, today: string): number {
  const years = Number(today.slice(0, 4)) - Number(birthDate.slice(0, 4))
  return today.slice(5) < birthDate.slice(5) ? years - 1 : years
}

function ageFitsRole(age: number, role: Role): boolean {
  return role === 'pupil' ? age <= bindingAges.pupilAtMost : age >= bindingAges.adultFrom
}

export function decideBinding(
  person: BindingIdentity,
  account: BindingAccount,
  facts: BindingFacts,
  policy: { allowMissingPatronymic: boolean },
): BindingDecision {
  if (!person.familyName || !person.givenName) return { kind: 'refuse', reason: 'name_unknown' }
  const { result: name, typos } = compareNameParts(person, account, { ...policy, allowTypos: true })
  if (name === 'mismatch') return { kind: 'refuse', reason: 'other_person' }
  const verified = person.verified === true
  const bothSnils = Boolean(person.snilsHmac) && Boolean(account.snilsHmac)
  const sameSnils = bothSnils && person.snilsHmac === account.snilsHmac
  const bothDates = Boolean(person.birthDate) && Boolean(account.birthDate)
  const sameDate = bothDates && person.birthDate === account.birthDate
  if (typos.includes('givenName') && !(verified && sameSnils) && !(sameDate && facts.namesakes === 0))
    return { kind: 'refuse', reason: 'other_person' }
  if (bothSnils && !sameSnils) return { kind: 'refuse', reason: 'snils_differs' }
  if (bothDates && !sameDate) return { kind: 'refuse', reason: 'birth_date_differs' }
  if (person.birthDate && !account.birthDate && !ageFitsRole(ageOn(person.birthDate, facts.today), account.role)) {
    return { kind: 'refuse', reason: 'other_person' }
  }
  return {
    kind: 'bind',
    evidence: {
      password: 'verified',
      verified,
      name,
      snils: bothSnils ? 'match' : 'absent',
      birthDate: bothDates ? 'match' : 'absent',
    },
  }
}
