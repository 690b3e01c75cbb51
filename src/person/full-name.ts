/*
 * Full names as the diary and the provider write them, compared (pure):
 * - each part: Unicode NFC, case folded (Russian rules), ё → е, soft hyphens dropped, whitespace
 *   collapsed, every hyphen or dash (‐ ‑ ‒ – — ― −) unified to "-" with no spaces around it
 * - no transliteration: a Latin look-alike letter ("o" for "о") is a different letter
 * - family and given name are required on both sides
 * - patronymic: equal when both are present and equal, or both absent; present on one side only
 *   matches only when the region allows a missing patronymic
 * - with `allowTypos` (binding by password, where the diary password was right), a part may differ by
 *   one typo: one inserted, deleted or replaced letter, or two adjacent letters swapped, when
 *   - neither spelling mixes Latin and Cyrillic letters: "Смирновa" with a Latin "a" is a look-alike
 *     made on purpose (or another person's name), never a typo
 *   - the shorter spelling has at least 5 characters (in short names one letter makes another name:
 *     Анна/Инна, Ким/Кир), and
 *   - the difference is not the last letter where a part ends in "а" or "я": that is the other sex
 *     (Иванов/Иванова, Александр/Александра, Евгений/Евгения), i.e. usually a parent or a sibling
 *   `compareNameParts` says which parts had a typo: a given name one letter from another is still often
 *   another name (Ирина/Арина, Марина/Карина), so the binding rules want more evidence for it
 * - shown masked: the given name and initials ("Мария П. И."); at the end of a sentence the last
 *   initial's full stop is the sentence's too (one full stop, not two)
 */
export interface FullName {
  familyName?: string | null
  givenName?: string | null
  patronymic?: string | null
}

/** `exact`: equal after normalisation; `typo`: equal but for at most one typo per part. */
export type NameComparison = 'exact' | 'typo' | 'mismatch'

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

/** Whether two different strings are one edit apart (optimal string alignment distance exactly 1). */
function differByOneEdit(a: readonly string[], b: readonly string[]): boolean {
  if (Math.abs(a.length - b.length) > 1) return false
  let start = 0
  while (start < a.length && start < b.length && a[start] === b[start]) start++
  let endA = a.length
  let endB = b.length
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--
    endB--
  }
  const restA = a.slice(start, endA)
  const restB = b.slice(start, endB)
  if (restA.length + restB.length === 1) return true // one letter inserted or deleted
  if (restA.length === 1 && restB.length === 1) return true // one letter replaced
  return restA.length === 2 && restB.length === 2 && restA[0] === restB[1] && restA[1] === restB[0] // two swapped
}

const feminineEnding = /[ая]$/

/** Whether the text has letters of both the Latin and the Cyrillic script. */
export function mixesScripts(text: string): boolean {
  return /\p{Script=Latin}/u.test(text) && /\p{Script=Cyrillic}/u.test(text)
}

function isOneTypo(a: string, b: string): boolean {
  const [x, y] = [[...a], [...b]]
  if (mixesScripts(a) || mixesScripts(b)) return false
  if (Math.min(x.length, y.length) < 5 || !differByOneEdit(x, y)) return false
  const sameButLast =
    x.slice(0, -1).join('') === y.slice(0, -1).join('') ||
    a === y.slice(0, -1).join('') ||
    b === x.slice(0, -1).join('')
  return !(sameButLast && (feminineEnding.test(a) || feminineEnding.test(b)))
}

function comparePart(a: string, b: string, allowTypos: boolean): NameComparison {
  if (a === b) return 'exact'
  return allowTypos && isOneTypo(a, b) ? 'typo' : 'mismatch'
}

export type NamePart = 'familyName' | 'givenName' | 'patronymic'

/** The comparison of the whole name, and which parts differ by a typo. */
export function compareNameParts(
  a: FullName,
  b: FullName,
  options: { allowMissingPatronymic: boolean; allowTypos?: boolean },
): { result: NameComparison; typos: NamePart[] } {
  const allowTypos = options.allowTypos ?? false
  const mismatch = { result: 'mismatch' as const, typos: [] }
  const parts: [NamePart, NameComparison][] = []
  for (const part of ['familyName', 'givenName', 'patronymic'] as const) {
    const [x, y] = [normaliseNamePart(a[part]), normaliseNamePart(b[part])]
    if (x !== undefined && y !== undefined) parts.push([part, comparePart(x, y, allowTypos)])
    else if (part !== 'patronymic' || (x !== y && !options.allowMissingPatronymic)) return mismatch
  }
  if (parts.some(([, comparison]) => comparison === 'mismatch')) return mismatch
  const typos = parts.filter(([, comparison]) => comparison === 'typo').map(([part]) => part)
  return { result: typos.length > 0 ? 'typo' : 'exact', typos }
}

export function compareFullNames(
  a: FullName,
  b: FullName,
  options: { allowMissingPatronymic: boolean; allowTypos?: boolean },
): NameComparison {
  return compareNameParts(a, b, options).result
}

/** "Мария П. И." — enough for a person to recognise themselves, not a full name to store or show. */
export function maskFullName(name: FullName): string {
  const initial = (part: string | null | undefined) => (part ? `${[...part.trim()][0] ?? ''}.` : undefined)
  return [name.givenName?.trim(), initial(name.patronymic), initial(name.familyName)].filter(Boolean).join(' ')
}

/**
 * The full stop a sentence needs after `text` (a masked name at its end): none when the text ends with
 * one already — the initial's full stop ends the sentence too ("… как Елена В. К.", not "К..").
 */
export function fullStopAfter(text: string): string {
  return text.trimEnd().endsWith('.') ? '' : '.'
}
