/*
 * Throttling password attempts, with counters in PostgreSQL so that every instance sees the same ones.
 * - two keys per attempt: the account (region + normalised login, known or not, so that throttling
 *   tells nothing about which logins exist) and the client address
 * - `limit` failures within `windowSeconds` block the key for `blockSeconds`; a block ends by itself,
 *   so an attacker cannot lock anyone out for good
 * - while a key is blocked, even the right password is refused (the check comes before the password)
 * - a success clears the account's counter, never the address's
 */
import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/schema.js'

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

export function attemptKeys(region: string, normalisedLogin: string, ip: string): AttemptKeys {
  return { account: `account:${region}:${normalisedLogin}`, ip: `ip:${ip}` }
}

/** The moment the block on these keys ends, or undefined when none is blocked. */
export async function blockedUntil(db: Kysely<Database>, keys: AttemptKeys | readonly string[], now: Date): Promise<Date | undefined> {
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
 * Counts one event on a key: the `limit`-th within the window blocks the key for `blockSeconds`.
 * Password attempts count their failures; requests that send something (password recovery) count each one.
 */
export async function countOnKey(
  db: Kysely<Database>,
  key: string,
  limit: number,
  policy: Pick<ThrottlePolicy, 'windowSeconds' | 'blockSeconds'>,
  now: Date,
): Promise<void> {
  const windowStart = new Date(now.getTime() - policy.windowSeconds * 1000)
  const blockEnd = new Date(now.getTime() + policy.blockSeconds * 1000)
  await sql`
    insert into login_throttle (key, failures, window_started_at, blocked_until)
    values (${key}, 1, ${now}, ${limit <= 1 ? blockEnd : null})
    on conflict (key) do update set
      failures = case when login_throttle.window_started_at < ${windowStart} then 1 else login_throttle.failures + 1 end,
      window_started_at = case when login_throttle.window_started_at < ${windowStart} then ${now} else login_throttle.window_started_at end,
      blocked_until = case
        when (case when login_throttle.window_started_at < ${windowStart} then 1 else login_throttle.failures + 1 end) >= ${limit}
        then ${blockEnd}::timestamptz
        else login_throttle.blocked_until
      end`.execute(db)
}

/** Counts a failed attempt on both keys (old counters are deleted by the maintenance job, ops/maintenance.ts). */
export async function recordFailure(db: Kysely<Database>, keys: AttemptKeys, policy: ThrottlePolicy, now: Date): Promise<void> {
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
export async function findAccountThrottle(db: Kysely<Database>, region: string, normalisedLogin: string): Promise<AccountThrottle | undefined> {
  const key = attemptKeys(region, normalisedLogin, '').account
  const row = await db.selectFrom('login_throttle').select(throttleColumns).where('key', '=', key).executeTakeFirst()
  return row && toThrottle(row)
}

/** Deletes the account's failure counter, which lifts a block at once; answers what it was (support desk). */
export async function clearAccountThrottle(db: Kysely<Database>, region: string, normalisedLogin: string): Promise<AccountThrottle | undefined> {
  const key = attemptKeys(region, normalisedLogin, '').account
  const row = await db.deleteFrom('login_throttle').where('key', '=', key).returning(throttleColumns).executeTakeFirst()
  return row && toThrottle(row)
}
