/*
 * Birth dates as diaries and providers write them (pure):
 * - YYYY-MM-DD, DD.MM.YYYY (ESIA and most Russian sources), or an ISO date-time whose date part counts
 * - a real calendar date (no 31.02), between 1900-01-01 and `today` (YYYY-MM-DD)
 * - the result is always YYYY-MM-DD, the form every comparison uses
 */

export type BirthDateParse = { ok: true; date: string } | { ok: false; reason: 'invalid' | 'out_of_range' }

export function parseBirthDate(text: string, today: string): BirthDateParse {
  const trimmed = text.trim()
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(trimmed)
  const russian = /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(trimmed)
  const [year, month, day] = iso ? [iso[1], iso[2], iso[3]] : russian ? [russian[3], russian[2], russian[1]] : []
  if (year === undefined || month === undefined || day === undefined) return { ok: false, reason: 'invalid' }
  const calendar = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)))
  if (
    calendar.getUTCFullYear() !== Number(year) ||
    calendar.getUTCMonth() !== Number(month) - 1 ||
    calendar.getUTCDate() !== Number(day)
  ) {
    return { ok: false, reason: 'invalid' }
  }
  const date = `${year}-${month}-${day}`
  return date < '1900-01-01' || date > today ? { ok: false, reason: 'out_of_range' } : { ok: true, date }
}
