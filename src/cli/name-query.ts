/*
 * Finding accounts by a name the caller gives on the phone (support desk), pure:
 * - the query is "Фамилия [Имя [Отчество]]", parts separated by spaces
 * - every part compares as person/full-name.ts normalises it: case folded, ё = е, dashes unified
 * - the family name must be equal; the given name and the patronymic, when given, are prefixes
 *   ("Иванова Мар" finds Мария Петровна)
 * - the database compares family names only case-insensitively, so it is asked for each spelling with
 *   ё in place of some е: the first four е vary (at most 16 spellings), later ones stay е
 */
import type { Account } from '../accounts/account.repository.js'
import { normaliseNamePart } from '../person/full-name.js'

export interface NameQuery {
  familyName: string
  givenName?: string
  patronymic?: string
}

const VARIED_LETTERS = 4

/** Undefined when the text has no name, or more than three parts. */
export function parseNameQuery(text: string): NameQuery | undefined {
  const parts = text.trim().split(/\s+/).map(normaliseNamePart)
  const [familyName, givenName, patronymic] = parts
  if (familyName === undefined || parts.length > 3) return undefined
  return { familyName, givenName, patronymic }
}

/** The spellings of a normalised family name to ask the database for (е and ё at the first four е). */
export function familyNameSpellings(familyName: string): string[] {
  const letters = [...familyName]
  const positions = letters.flatMap((letter, index) => (letter === 'е' ? [index] : [])).slice(0, VARIED_LETTERS)
  const spellings: string[] = []
  for (let mask = 0; mask < 2 ** positions.length; mask++) {
    const spelling = [...letters]
    positions.forEach((position, bit) => {
      if (mask & (1 << bit)) spelling[position] = 'ё'
    })
    spellings.push(spelling.join(''))
  }
  return spellings
}

function startsWith(value: string | null, prefix: string | undefined): boolean {
  if (prefix === undefined) return true
  return normaliseNamePart(value)?.startsWith(prefix) ?? false
}

export function matchesNameQuery(account: Pick<Account, 'familyName' | 'givenName' | 'patronymic'>, query: NameQuery): boolean {
  return (
    normaliseNamePart(account.familyName) === query.familyName &&
    startsWith(account.givenName, query.givenName) &&
    startsWith(account.patronymic, query.patronymic)
  )
}
