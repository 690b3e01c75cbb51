/*
 * Throttling password attempts, with counters in PostgreSQL so that every instance sees the same ones.
 * - two keys per attempt: the account (region + a keyed hash of what was typed, known or not, so that
 *   throttling tells nothing about which logins exist: accounts/credentials.ts) and the client address;
 *   no key holds typed text in clear (accounts/keyed-hash.ts)
 * - `limit` failures within `windowSeconds` block the key for `blockSeconds`; a block ends by itself,
 *   so an attacker cannot lock anyone out for good
 * - while a key is blocked, even the right password is refused (the check comes before the password)
 * - a success clears the account's counter, never the address's
 * Requests that send a message (password recovery, contact confirmation) take from an allowance per key
 * instead (`takeFromKeys`): every request counts, decided in the statement that counts it; a request
 * that a block refuses writes nothing, and the keys are counted in the caller's order (the requester's
 * own keys first, so that only requests they let through use up a key the requester shares with others).
 */
import { type Kysely, type RawBuilder, sql } from 'kysely'
import { type AnyCte, cte, tableOf } from '../db/cte.js'
import type { Database } from '../db/schema.js'
import { normaliseLogin } from './account.repository.js'
import { typedKey } from './keyed-hash.js'

export interface ThrottlePolicy {
  accountFailures: number
  ipFailures: number
  windowSeconds: number
  blockSeconds: number
}

export interface AttemptKeys {
  account: string
  ip: string
}

/** The keys of an attempt; `throttleKey` is what `identifyLogin` answers (a keyed hash). */
export function attemptKeys(region: string, throttleKey: string, ip: string): AttemptKeys {
  return { account: `account:${region}:${throttleKey}`, ip: `ip:${ip}` }
}

/** The account key of a login (as `identifyLogin` counts it when typed), for the support desk and a reset. */
export function accountThrottleKey(pepper: Buffer, region: string, login: string): string {
  return attemptKeys(region, typedKey(pepper, { login: normaliseLogin(login) }), '').account
}

/** The moment the last block on these keys ends, or undefined when none is blocked. */
export async function blockedUntil(
  db: Kysely<Database>,
  keys: AttemptKeys | readonly string[],
  now: Date,
): Promise<Date | undefined> {
  const rows = await db
    .selectFrom('login_throttle')
    .select('blocked_until')
    .where('key', 'in', 'account' in keys ? [keys.account, keys.ip] : [...keys])
    .where('blocked_until', '>', now)
    .execute()
  const until = rows.map((row) => row.blocked_until as Date).sort((a, b) => b.getTime() - a.getTime())[0]
  return until
}

/**
 * How many of the region's account keys are blocked at `now`: the logins typed in the region (known or
 * not) that password attempts blocked; an address or a second factor is no key of a region.
 */
export async function countBlockedAccountKeys(db: Kysely<Database>, region: string, now: Date): Promise<number> {
  const row = await db
    .selectFrom('login_throttle')
    .select((eb) => eb.fn.countAll<string>().as('blocked'))
    .where(sql<boolean>`starts_with(key, ${attemptKeys(region, '', '').account})`)
    .where('blocked_until', '>', now)
    .executeTakeFirstOrThrow()
  return Number(row.blocked)
}

/** `blockedUntil` as a value of a larger read: the latest block of the keys still running at `now`, or null. */
export function blockedUntilSql(keys: AttemptKeys, now: Date): RawBuilder<Date | null> {
  return sql<Date | null>`(select max(blocked_until) from login_throttle
    where key in (${keys.account}, ${keys.ip}) and blocked_until > ${now})`
}

/** `recordSuccess` as part of a larger statement, done only if `after` has a row (the success was written). */
export function clearAccountKeyCte<Name extends string, After extends AnyCte>(
  name: Name,
  keys: AttemptKeys,
  after: After,
) {
  return cte(
    name,
    ['key'],
    sql`delete from login_throttle where key = ${keys.account} and exists (select from ${tableOf(after)}) returning key`,
    [after],
  )
}

type Window = Pick<ThrottlePolicy, 'windowSeconds' | 'blockSeconds'>

/** The upsert that counts one event on a key; with `unblockedOnly`, a blocked key is left as it is. */
function countSql(key: string, limit: number, policy: Window, now: Date, unblockedOnly: boolean) {
  const windowStart = new Date(now.getTime() - policy.windowSeconds * 1000)
  const blockEnd = new Date(now.getTime() + policy.blockSeconds * 1000)
  const fresh = sql`login_throttle.window_started_at < ${windowStart}`
  return sql<{ failures: number }>`
    insert into login_throttle (key, failures, window_started_at, blocked_until)
    values (${key}, 1, ${now}, ${limit <= 1 ? blockEnd : null})
    on conflict (key) do update set
      failures = case when ${fresh} then 1 else login_throttle.failures + 1 end,
      window_started_at = case when ${fresh} then ${now} else login_throttle.window_started_at end,
      blocked_until = case
        when (case when ${fresh} then 1 else login_throttle.failures + 1 end) >= ${limit}
        then ${blockEnd}::timestamptz
        else login_throttle.blocked_until
      end
    ${unblockedOnly ? sql`where login_throttle.blocked_until is null or login_throttle.blocked_until <= ${now}` : sql``}
    returning failures`
}

/** Counts one failure on a key: the `limit`-th within the window blocks the key for `blockSeconds`. */
export async function countOnKey(
  db: Kysely<Database>,
  key: string,
  limit: number,
  policy: Window,
  now: Date,
): Promise<void> {
  await countSql(key, limit, policy, now, false).execute(db)
}

/**
 * Takes one request from a key's allowance (requests that send something count each one, not only
 * failures): counted and decided in one statement, so parallel requests cannot all slip through. The
 * `limit`-th request is still allowed and blocks the key; answers undefined when allowed, else when the
 * block ends. A refused request is not counted (a flood does not make the block longer).
 */
export async function takeFromKey(
  db: Kysely<Database>,
  key: string,
  limit: number,
  policy: Window,
  now: Date,
): Promise<Date | undefined> {
  const counted = await countSql(key, limit, policy, now, true).execute(db)
  if (counted.rows.length > 0) return undefined
  return (await blockedUntil(db, [key], now)) ?? now
}

/**
 * Takes one request from each key's allowance (`takeFromKey`), in this order, once one statement found
 * none of them blocked: a refused request writes nothing. Answers undefined when allowed, else when the
 * last block ends. (Parallel requests may all pass the first look; each count still decides for itself,
 * and one refused there has used up only the keys before it.)
 */
export async function takeFromKeys(
  db: Kysely<Database>,
  keys: readonly [key: string, limit: number][],
  policy: Window,
  now: Date,
): Promise<Date | undefined> {
  const blocked = await blockedUntil(
    db,
    keys.map(([key]) => key),
    now,
  )
  if (blocked !== undefined) return blocked
  for (const [key, limit] of keys) {
    const until = await takeFromKey(db, key, limit, policy, now)
    if (until !== undefined) return until
  }
  return undefined
}

/** Counts a failed attempt on both keys (old counters are deleted by the maintenance job, ops/maintenance.ts). */
export async function recordFailure(
  db: Kysely<Database>,
  keys: AttemptKeys,
  policy: ThrottlePolicy,
  now: Date,
): Promise<void> {
  await countOnKey(db, keys.account, policy.accountFailures, policy, now)
  await countOnKey(db, keys.ip, policy.ipFailures, policy, now)
}

export async function recordSuccess(db: Kysely<Database>, keys: AttemptKeys): Promise<void> {
  await db.deleteFrom('login_throttle').where('key', '=', keys.account).execute()
}

export interface AccountThrottle {
  failures: number
  windowStartedAt: Date
  blockedUntil: Date | null
}

const throttleColumns = ['failures', 'window_started_at', 'blocked_until'] as const

function toThrottle(row: { failures: number; window_started_at: Date; blocked_until: Date | null }): AccountThrottle {
  return { failures: row.failures, windowStartedAt: row.window_started_at, blockedUntil: row.blocked_until }
}

/** The account's failure counter, if any (support desk). */
export async function findAccountThrottle(
  db: Kysely<Database>,
  pepper: Buffer,
  region: string,
  login: string,
): Promise<AccountThrottle | undefined> {
  const key = accountThrottleKey(pepper, region, login)
  const row = await db.selectFrom('login_throttle').select(throttleColumns).where('key', '=', key).executeTakeFirst()
  return row && toThrottle(row)
}

/** Deletes the account's failure counter, which lifts a block at once; answers what it was (support desk). */
export async function clearAccountThrottle(
  db: Kysely<Database>,
  pepper: Buffer,
  region: string,
  login: string,
): Promise<AccountThrottle | undefined> {
  const key = accountThrottleKey(pepper, region, login)
  const row = await db.deleteFrom('login_throttle').where('key', '=', key).returning(throttleColumns).executeTakeFirst()
  return row && toThrottle(row)
}
