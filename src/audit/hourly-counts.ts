/*
 * A region's sign-in events counted by hour, for the region overview (console/region-overview.ts).
 * - an hour is counted once, for every region, when it has been over for `settleMs` (5 minutes: an
 *   event's `at` is its transaction's start, and the bridge's transactions are short); audit_hour_rolled
 *   marks it, so two instances never count it twice (the second waits on the mark, then finds it taken)
 * - the maintenance job counts the hours that are over after each run (service.ts), and so does a read
 *   before it answers, at most `maxHours` of them, oldest first (24: counting a whole week of every
 *   region at once could outlast the statement timeout after the upgrade); a read then answers from the
 *   counts up to the first hour not counted yet and from the events from there on
 * - only the types in `overviewTypes`; `reason` is what a refused State Services decision recorded
 *   (`details.reason`, else its outcome), '' for every other event
 * - counts older than 8 days are deleted whenever an hour is counted
 * - an event written into an hour after it was counted (a transaction longer than `settleMs`) is missed
 */
import { sql } from 'kysely'
import type { Executor } from '../db/schema.js'

export const overviewTypes = [
  'password_sign_in',
  'link_decision',
  'link_binding',
  'account_choice',
  'second_factor',
  'passkey_sign_in',
] as const

/** The outcomes of a State Services decision that are no refusal. */
export const stateServicesDecisions = { types: ['link_decision', 'link_binding'], accepted: ['linked', 'several'] }

export interface HourlyEventCount {
  hour: Date
  type: string
  outcome: string
  reason: string
  count: number
}

const hourMs = 3_600_000
const settleMs = 5 * 60_000
const keepMs = 8 * 24 * hourMs

const reasonSql = sql<string>`case when type in (${sql.join(stateServicesDecisions.types)})
  and outcome not in (${sql.join(stateServicesDecisions.accepted)})
  then coalesce(details->>'reason', outcome) else '' end`

/** Counts the hours of `range` that are over and not counted yet, oldest first, at most `maxHours`. */
export async function countPastHours(
  db: Executor,
  range: { from: Date; to: Date },
  now: Date,
  maxHours = 24,
): Promise<number> {
  const lastOver = Math.min(
    Math.floor((now.getTime() - settleMs) / hourMs) * hourMs - hourMs,
    range.to.getTime() - hourMs,
  )
  if (lastOver < range.from.getTime()) return 0
  const result = await sql<{ hours: string }>`
    with due as (
      select series.hour
      from generate_series(${range.from}::timestamptz, ${new Date(lastOver)}::timestamptz, interval '1 hour') as series (hour)
      where not exists (select from audit_hour_rolled rolled where rolled.hour = series.hour)
      order by series.hour limit ${maxHours}
    ), marked as (
      insert into audit_hour_rolled (hour) select hour from due on conflict do nothing returning hour
    ), counted as (
      insert into audit_hourly_count (region, hour, type, outcome, reason, count)
      select region, marked.hour, type, outcome, ${reasonSql}, count(*)
      from marked join audit_event on at >= marked.hour and at < marked.hour + interval '1 hour'
      where region is not null and type in (${sql.join(overviewTypes)})
      group by 1, 2, 3, 4, 5
      returning 1
    ), pruned as (
      delete from audit_hourly_count where hour < ${new Date(now.getTime() - keepMs)} and exists (select from marked)
      returning 1
    ), unmarked as (
      delete from audit_hour_rolled where hour < ${new Date(now.getTime() - keepMs)} and exists (select from marked)
      returning 1
    )
    select count(*) as hours from marked`.execute(db)
  return Number(result.rows[0]?.hours ?? 0)
}

/**
 * The region's events of `overviewTypes` in the range (whole hours), by hour, type, outcome and reason:
 * from the counts up to the first hour of the range not counted, from the events after it. Hours
 * without events have no row.
 */
export async function countRegionEventsByHour(
  db: Executor,
  region: string,
  range: { from: Date; to: Date },
): Promise<HourlyEventCount[]> {
  const result = await sql<HourlyEventCount>`
    with edge as (
      select coalesce(min(series.hour), ${range.to}::timestamptz) as hour
      from generate_series(${range.from}::timestamptz, ${range.to}::timestamptz - interval '1 hour', interval '1 hour') as series (hour)
      where not exists (select from audit_hour_rolled rolled where rolled.hour = series.hour)
    )
    select hour, type, outcome, reason, count from audit_hourly_count
    where region = ${region} and hour >= ${range.from} and hour < (select hour from edge)
    union all
    select date_bin('1 hour', at, ${range.from}::timestamptz), type, outcome, ${reasonSql}, count(*)
    from audit_event
    where region = ${region} and at >= (select hour from edge) and at < ${range.to}
      and type in (${sql.join(overviewTypes)})
    group by 1, 2, 3, 4`.execute(db)
  return result.rows.map((row) => ({ ...row, count: Number(row.count) }))
}
