/*
 * Finding accounts by a name the caller gives on the phone (support desk), pure:
 * - the query is "Фамилия [Имя [Отчество]]", parts separated by spaces
 * - every part compares as person/full-name.ts normalises it: case folded, ё = е, dashes unified
 * - the family name must be equal; the given name and the patronymic, when given, are prefixes
 *   ("Иванова Мар" finds Мария Петровна)
 * - the database finds the family name (case folded, ё = е); the rest is narrowed here
 */
import type { Account } from '../accounts/account.repository.js'
import { normaliseNamePart } from '../person/full-name.js'

export interface NameQuery {
  familyName: string
  givenName?: string
  patronymic?: string
}

/** Undefined when the text has no name, or more than three parts. */
export function parseNameQuery(text: string): NameQuery | undefined {
  const parts = text.trim().split(/\s+/).map(normaliseNamePart)
  const [familyName, givenName, patronymic] = parts
  if (familyName === undefined || parts.length > 3) return undefined
  return { familyName, givenName, patronymic }
}

function startsWith(value: string | null, prefix: string | undefined): boolean {
  if (prefix === undefined) return true
  return normaliseNamePart(value)?.startsWith(prefix) ?? false
}

export function matchesNameQuery(
  account: Pick<Account, 'familyName' | 'givenName' | 'patronymic'>,
  query: NameQuery,
): boolean {
  return (
    normaliseNamePart(account.familyName) === query.familyName &&
    startsWith(account.givenName, query.givenName) &&
    startsWith(account.patronymic, query.patronymic)
  )
}
