/*
 * The back-channel logout outbox (table logout_notice): the one place that reads or writes it.
 * - notices are written by the statement that ends sessions (sessions/end-sessions.ts), so a logout and
 *   its notices commit together or not at all
 * - delivery claims due notices with a lease: one UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP
 *   LOCKED) moves their next attempt `leaseSeconds` ahead, so another instance skips them while this one
 *   is sending, and a crashed sender's notices come back when the lease runs out (no row lock is held
 *   during the HTTP call)
 * - a failed attempt is retried after `backoff(attempts)`; after `giveUpAfterSeconds` it is given up
 */
import { sql } from 'kysely'
import { type Cte, cte, tableOf } from '../db/cte.js'
import type { Executor } from '../db/schema.js'

export interface LogoutNotice {
  id: string
  clientId: string
  accountId: string
  sessionId: string | null
  reason: string
  createdAt: Date
  attempts: number
}

/** Notices for the (session, client) pairs of `source`, a CTE of the caller's statement: one per distinct pair. */
export function logoutNoticesCte<
  Name extends string,
  Source extends Cte<string, 'session_id' | 'client_id' | 'account_id', string>,
>(name: Name, source: Source, reason: string) {
  const body = sql`insert into logout_notice (client_id, account_id, session_id, reason)
    select distinct client_id, account_id, session_id, ${reason} from ${tableOf(source)} where client_id is not null`
  return cte(name, [], body, [source])
}

/** Claims up to `limit` due notices for `leaseSeconds`; each attempt is counted when claimed. */
export async function claimDueNotices(
  db: Executor,
  now: Date,
  leaseSeconds: number,
  limit: number,
): Promise<LogoutNotice[]> {
  const { rows } = await sql<{
    id: string
    client_id: string
    account_id: string
    session_id: string | null
    reason: string
    created_at: Date
    attempts: number
  }>`
    update logout_notice set next_attempt_at = ${new Date(now.getTime() + leaseSeconds * 1000)}, attempts = attempts + 1
    where id in (
      select id from logout_notice
      where delivered_at is null and gave_up_at is null and next_attempt_at <= ${now}
      order by next_attempt_at
      limit ${limit}
      for update skip locked
    )
    returning id, client_id, account_id, session_id, reason, created_at, attempts`.execute(db)
  return rows.map((row) => ({
    id: row.id,
    clientId: row.client_id,
    accountId: row.account_id,
    sessionId: row.session_id,
    reason: row.reason,
    createdAt: row.created_at,
    attempts: row.attempts,
  }))
}

export async function markDelivered(db: Executor, id: string, now: Date, outcome: string): Promise<void> {
  await db.updateTable('logout_notice').set({ delivered_at: now, last_outcome: outcome }).where('id', '=', id).execute()
}

/** A failed attempt: the next one at `retryAt`, or given up when that is past `giveUpAt`. */
export async function markFailed(
  db: Executor,
  id: string,
  outcome: string,
  retryAt: Date,
  giveUp: boolean,
  now: Date,
): Promise<void> {
  await db
    .updateTable('logout_notice')
    .set(giveUp ? { gave_up_at: now, last_outcome: outcome } : { next_attempt_at: retryAt, last_outcome: outcome })
    .where('id', '=', id)
    .execute()
}

/** How many notices wait to be delivered (a gauge for /metrics). */
export async function countPendingNotices(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('logout_notice')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('delivered_at', 'is', null)
    .where('gave_up_at', 'is', null)
    .executeTakeFirst()
  return Number(row?.count ?? 0)
}
