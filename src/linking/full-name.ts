/*
 * Full names as the diary and the provider write them, compared (pure):
 * - each part: Unicode NFC, case folded (Russian rules), ё → е, soft hyphens dropped, whitespace
 *   collapsed, every hyphen or dash (‐ ‑ ‒ – — ― −) unified to "-" with no spaces around it
 * - no transliteration: a Latin look-alike letter ("o" for "о") is a different letter, so it does not match
 * - patronymic: equal when both are present and equal, or both absent; present on one side only
 *   matches only when the region allows a missing patronymic
 */
export interface FullName {
  familyName?: string | null
  givenName?: string | null
  patronymic?: string | null
}

export type NameComparison = 'match' | 'mismatch'

export function normaliseNamePart(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined
  const normalised = value
    .normalize('NFC')
    .toLocaleLowerCase('ru')
    .replaceAll('ё', 'е')
    .replaceAll('\u00AD', '')
    .replace(/[\u2010-\u2015\u2212-]/g, '-')
    .replace(/\s+/g, ' ')
    .replace(/ ?- ?/g, '-')
    .trim()
  return normalised === '' ? undefined : normalised
}

export function compareFullNames(
  a: FullName,
  b: FullName,
  options: { allowMissingPatronymic: boolean },
): NameComparison {
  const family = [normaliseNamePart(a.familyName), normaliseNamePart(b.familyName)]
  const given = [normaliseNamePart(a.givenName), normaliseNamePart(b.givenName)]
  if (family[0] === undefined || given[0] === undefined || family[0] !== family[1] || given[0] !== given[1]) {
    return 'mismatch'
  }
  const [pa, pb] = [normaliseNamePart(a.patronymic), normaliseNamePart(b.patronymic)]
  if (pa === pb) return 'match'
  if ((pa === undefined || pb === undefined) && options.allowMissingPatronymic) return 'match'
  return 'mismatch'
}

/** "Мария П. И." — enough for a person to recognise themselves, not a full name to store or show. */
export function maskFullName(name: FullName): string {
  const initial = (part: string | null | undefined) => (part ? `${[...part.trim()][0] ?? ''}.` : undefined)
  return [name.givenName?.trim(), initial(name.patronymic), initial(name.familyName)].filter(Boolean).join(' ')
}
