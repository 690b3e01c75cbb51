/*
 * The region operator's overview: what the region's audit trail says about the last 7 days, and the
 * throttle's blocks now.
 * - the week is the 168 whole hours (UTC) up to and including the hour of `now`; every hour has a
 *   bucket, zero when nothing happened
 * - a sign-in, by how: password = `password_sign_in` success; State Services = `link_decision` or
 *   `link_binding` linked, or `account_choice` chosen (as `lastSignInOfAccount` counts it, so a recovery
 *   through State Services that found the link counts too); second factor = `second_factor` success
 *   (a code, a recovery code or a passkey after a first step) or `passkey_sign_in` success (a passkey
 *   alone). A password sign-in with a second factor counts under both
 * - a failure, by reason: wrong_password and account_closed (`password_sign_in` failure and closed),
 *   second_factor_wrong, passkey_refused, state_services_refused (a State Services login that ended in
 *   neither a sign-in nor a choice of accounts). Attempts refused during a block write no audit row
 *   (login/password-attempt.ts): the throttle shows as `blockedNow`
 * - State Services refusals by the code the decision recorded (`details.reason`: not_verified,
 *   no_snils, no_match, ambiguous, name_mismatch, account_linked_elsewhere, …). The provider's own
 *   errors (ESIA/OIDC error codes at the callback) are counted in the metrics, not in the audit trail
 */
import { countBlockedAccountKeys } from '../accounts/throttle.js'
import {
  countPastHours,
  countRegionEventsByHour,
  type HourlyEventCount,
  type overviewTypes,
  stateServicesDecisions,
} from '../audit/hourly-counts.js'
import type { Executor } from '../db/schema.js'

export interface HourOfSignIns {
  hour: Date
  password: number
  stateServices: number
  secondFactor: number
}

export interface RegionOverview {
  region: string
  from: Date
  to: Date
  signInsPerHour: HourOfSignIns[]
  failuresByReason: { reason: string; count: number }[]
  stateServicesErrorsByCode: { code: string; count: number }[]
  blockedNow: number
}

const hourMs = 3_600_000
export const overviewHours = 168

type Series = Exclude<keyof HourOfSignIns, 'hour'>

const signIns: Record<(typeof overviewTypes)[number], Record<string, Series>> = {
  password_sign_in: { success: 'password' },
  link_decision: { linked: 'stateServices' },
  link_binding: { linked: 'stateServices' },
  account_choice: { chosen: 'stateServices' },
  second_factor: { success: 'secondFactor' },
  passkey_sign_in: { success: 'secondFactor' },
}

function failureReason(event: Pick<HourlyEventCount, 'type' | 'outcome'>): string | undefined {
  switch (event.type) {
    case 'password_sign_in':
      return event.outcome === 'failure' ? 'wrong_password' : event.outcome === 'closed' ? 'account_closed' : undefined
    case 'second_factor':
      return event.outcome === 'failure' ? 'second_factor_wrong' : undefined
    case 'passkey_sign_in':
      return event.outcome === 'failure' ? 'passkey_refused' : undefined
    case 'link_decision':
    case 'link_binding':
      return stateServicesDecisions.accepted.includes(event.outcome) ? undefined : 'state_services_refused'
    default:
      return undefined
  }
}

/** The week of the overview at `now`: 168 whole hours, the last one the hour `now` is in. */
export function overviewWeek(now: Date): { from: Date; to: Date } {
  const to = new Date(Math.floor(now.getTime() / hourMs) * hourMs + hourMs)
  return { from: new Date(to.getTime() - overviewHours * hourMs), to }
}

/** The 168 hours of the week, each with the sign-ins the counts give it (zero when none). */
export function signInsPerHour(from: Date, counts: readonly HourlyEventCount[]): HourOfSignIns[] {
  const hours = Array.from({ length: overviewHours }, (_, index) => ({
    hour: new Date(from.getTime() + index * hourMs),
    password: 0,
    stateServices: 0,
    secondFactor: 0,
  }))
  for (const count of counts) {
    const series = (signIns as Record<string, Record<string, Series> | undefined>)[count.type]?.[count.outcome]
    const bucket = hours[Math.floor((count.hour.getTime() - from.getTime()) / hourMs)]
    if (series !== undefined && bucket !== undefined) bucket[series] += count.count
  }
  return hours
}

/** The failures the counts hold, by reason, most frequent first. */
export function failuresByReason(counts: readonly HourlyEventCount[]): { reason: string; count: number }[] {
  const totals = new Map<string, number>()
  for (const count of counts) {
    const reason = failureReason(count)
    if (reason !== undefined) totals.set(reason, (totals.get(reason) ?? 0) + count.count)
  }
  return [...totals]
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason))
}

/** The refused State Services decisions in the counts, by recorded reason, most frequent first. */
export function stateServicesRefusals(counts: readonly HourlyEventCount[]): { code: string; count: number }[] {
  const totals = new Map<string, number>()
  for (const count of counts) {
    if (count.reason !== '') totals.set(count.reason, (totals.get(count.reason) ?? 0) + count.count)
  }
  return [...totals]
    .map(([code, count]) => ({ code, count }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code))
}

/** The region's overview at `now` (see the header); counts the hours just over first (audit/hourly-counts.ts). */
export async function readRegionOverview(db: Executor, region: string, now: Date): Promise<RegionOverview> {
  const week = overviewWeek(now)
  await countPastHours(db, week, now)
  const [counts, blockedNow] = await Promise.all([
    countRegionEventsByHour(db, region, week),
    countBlockedAccountKeys(db, region, now),
  ])
  return {
    region,
    ...week,
    signInsPerHour: signInsPerHour(week.from, counts),
    failuresByReason: failuresByReason(counts),
    stateServicesErrorsByCode: stateServicesRefusals(counts),
    blockedNow,
  }
}
