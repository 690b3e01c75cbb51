/*
 * The account card's sign-ins in plain words, for a school's responsible employee (pure):
 * - one line per event, "<when> — <what>"; a run of consecutive equal refusals of one local day is one
 *   line, at its newest event, with the count ("вчера 19:40 — неверный пароль, 3 раза")
 * - <when> is in the region's time zone: "сегодня 08:15", "вчера 19:40", "12 ноября 09:03", the year
 *   added when it is not this year's
 * - <what> comes from the type, the outcome and the codes of `details` (reason, way); an unknown type,
 *   outcome or reason gets a neutral wording that names its code, never an error
 * - a code is printed only if it looks like one (letters, digits, `_.-`, up to 40): never free text
 * - Russian counts take their plural form (1 раз, 2 раза, 5 раз, 11 раз, 21 раз)
 */
import type { SignInEvent } from '../audit/read-audit-events.js'
import { type Locale, type Wording, wordEvent } from './sign-in-wording.js'

export interface HistoryLine {
  at: Date
  text: string
  count: number
}

export interface HistoryOptions {
  locale: Locale
  now: Date
  /** The region's time zone (config/schema.ts's `defaultTimeZone` when it names none). */
  timeZone: string
}

const words = {
  ru: { today: 'сегодня', yesterday: 'вчера', blockedUntil: 'заблокировано до' },
  en: { today: 'today', yesterday: 'yesterday', blockedUntil: 'blocked until' },
} as const

const intlLocale = { ru: 'ru-RU', en: 'en-GB' } as const

/** Events → lines in plain words in `locale`, consecutive equal failures folded ("неверный пароль, 3 раза"), times relative to `now` in `timeZone` ("сегодня 08:15", "вчера 19:40", "12 ноября 09:03"; en: "today 08:15", "yesterday 19:40", "12 November 09:03"). */
export function describeSignIns(events: readonly SignInEvent[], options: HistoryOptions): HistoryLine[] {
  const runs: { at: Date; day: number; wording: Wording; count: number }[] = []
  for (const event of events) {
    const wording = wordEvent(event, options.locale)
    const day = localDay(event.at, options.timeZone)
    const last = runs.at(-1)
    if (last !== undefined && wording.failure && last.wording.text === wording.text && last.day === day) last.count += 1
    else runs.push({ at: event.at, day, wording, count: 1 })
  }
  return runs.map((run) => ({
    at: run.at,
    count: run.count,
    text: `${describeTime(run.at, options)} — ${run.wording.text}${run.count > 1 ? `, ${times(run.count, options.locale)}` : ''}`,
  }))
}

/** "заблокировано до 20:15" / "blocked until 20:15" (date added when not today). */
export function describeBlock(until: Date, options: HistoryOptions): string {
  const sameDay = localDay(until, options.timeZone) === localDay(options.now, options.timeZone)
  const when = sameDay ? clock(until, options) : `${calendarDate(until, options)} ${clock(until, options)}`
  return `${words[options.locale].blockedUntil} ${when}`
}

/** "сегодня 08:15", "вчера 19:40", "12 ноября 09:03" (a day other than today or yesterday, future ones too). */
function describeTime(at: Date, options: HistoryOptions): string {
  const daysAgo = localDay(options.now, options.timeZone) - localDay(at, options.timeZone)
  const day =
    daysAgo === 0
      ? words[options.locale].today
      : daysAgo === 1
        ? words[options.locale].yesterday
        : calendarDate(at, options)
  return `${day} ${clock(at, options)}`
}

function clock(at: Date, options: HistoryOptions): string {
  return new Intl.DateTimeFormat(intlLocale[options.locale], {
    timeZone: options.timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(at)
}

/** "12 ноября" / "12 November", with the year when it is not `now`'s. */
function calendarDate(at: Date, options: HistoryOptions): string {
  const parts = (date: Date) =>
    new Intl.DateTimeFormat(intlLocale[options.locale], {
      timeZone: options.timeZone,
      day: 'numeric',
      month: 'long',
      year: 'numeric',
    }).formatToParts(date)
  const part = (all: Intl.DateTimeFormatPart[], type: Intl.DateTimeFormatPartTypes) =>
    all.find((p) => p.type === type)?.value ?? ''
  const of = parts(at)
  const year = part(of, 'year') === part(parts(options.now), 'year') ? '' : ` ${part(of, 'year')}`
  return `${part(of, 'day')} ${part(of, 'month')}${year}`
}

/** The calendar day of `at` in `timeZone`, as days since 1970-01-01 (so that days subtract). */
function localDay(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
  }).formatToParts(at)
  const value = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value)
  return Date.UTC(value('year'), value('month') - 1, value('day')) / 86_400_000
}

const russianTimes = new Intl.PluralRules('ru-RU')

/** "3 раза", "5 раз", "21 раз"; "3 times". */
function times(count: number, locale: Locale): string {
  if (locale === 'en') return `${count} times`
  return `${count} ${russianTimes.select(count) === 'few' ? 'раза' : 'раз'}`
}
