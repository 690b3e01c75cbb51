/*
 * The `--since` of `audit show`, pure:
 * - a period back from now: a whole number of minutes, hours or days ("30m", "24h", "7d")
 * - or a moment: an ISO date ("2025-09-01", midnight UTC) or date-time ("2025-09-01T08:30",
 *   "2025-09-01T08:30:00+03:00"); a date-time without an offset is UTC, as everything the CLI prints
 * - anything else, or a date that does not exist (2025-02-30), is refused
 */
const units = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const

const period = /^(\d{1,6})([mhd])$/
const moment = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)(Z|[+-]\d{2}:\d{2})?)?$/

export function parseSince(text: string, now: Date): Date | undefined {
  const periodMatch = period.exec(text.trim())
  if (periodMatch) {
    const [, amount, unit] = periodMatch as unknown as [string, string, keyof typeof units]
    return new Date(now.getTime() - Number(amount) * units[unit])
  }
  const momentMatch = moment.exec(text.trim())
  if (!momentMatch) return undefined
  const [, date, time, offset] = momentMatch
  const parsed = new Date(`${date}T${time ?? '00:00'}${offset ?? 'Z'}`)
  const day = new Date(`${date}T00:00Z`)
  // Date rolls 2025-02-30 over to March instead of refusing it: the day must come back unchanged.
  if (Number.isNaN(parsed.getTime()) || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== date)
    return undefined
  return parsed
}
