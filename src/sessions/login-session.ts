/*
 * Signed-in browsers, kept server-side so that ending a session (logout, password change) makes every
 * copy of its cookie useless. The cookie carries only the session id.
 * - a session has an absolute lifetime (`expires_at`) whatever its cookie's sliding idle expiry says
 * - `findActiveSession` returns nothing for an unknown, ended or expired session
 */
import type { Kysely } from 'kysely'
import type { Database, SessionMethod } from '../db/schema.js'

export interface ActiveSession {
  id: string
  accountId: string
  method: SessionMethod
  upstreamIssuer: string | null
  createdAt: Date
}

export async function startSession(
  db: Kysely<Database>,
  session: { accountId: string; method: SessionMethod; upstreamIssuer?: string; lifetimeSeconds: number; now: Date },
): Promise<string> {
  const row = await db
    .insertInto('login_session')
    .values({
      account_id: session.accountId,
      method: session.method,
      upstream_issuer: session.upstreamIssuer ?? null,
      expires_at: new Date(session.now.getTime() + session.lifetimeSeconds * 1000),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export async function findActiveSession(db: Kysely<Database>, id: string, now: Date): Promise<ActiveSession | undefined> {
  if (!uuid.test(id)) return undefined
  const row = await db
    .selectFrom('login_session')
    .select(['id', 'account_id', 'method', 'upstream_issuer', 'created_at'])
    .where('id', '=', id)
    .where('ended_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst()
  return (
    row && { id: row.id, accountId: row.account_id, method: row.method, upstreamIssuer: row.upstream_issuer, createdAt: row.created_at }
  )
}

export async function endSession(db: Kysely<Database>, id: string, now: Date): Promise<void> {
  if (!uuid.test(id)) return
  await db.updateTable('login_session').set({ ended_at: now }).where('id', '=', id).where('ended_at', 'is', null).execute()
}

/** Ends every session of an account (its password changed). */
export async function endAccountSessions(db: Kysely<Database>, accountId: string, now: Date): Promise<void> {
  await db.updateTable('login_session').set({ ended_at: now }).where('account_id', '=', accountId).where('ended_at', 'is', null).execute()
}

/**
 * Marks a login transaction as used. True the first time for an id, false ever after, on every
 * instance: a copied cookie cannot finish the same login twice. Old marks are swept as it goes.
 */
export async function consumeLoginTransaction(
  db: Kysely<Database>,
  id: string,
  options: { keepSeconds: number; now: Date },
): Promise<boolean> {
  await db
    .deleteFrom('login_transaction_use')
    .where('used_at', '<', new Date(options.now.getTime() - options.keepSeconds * 1000))
    .execute()
  const inserted = await db
    .insertInto('login_transaction_use')
    .values({ id })
    .onConflict((conflict) => conflict.doNothing())
    .returning('id')
    .executeTakeFirst()
  return inserted !== undefined
}
