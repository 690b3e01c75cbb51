/*
 * Signed-in browsers, kept server-side so that ending a session (logout, password change, sign out
 * everywhere) makes every copy of its cookie useless. The cookie carries only the session id.
 * - a session ends by itself `absoluteLifetimeSeconds` after sign-in (`expires_at`), or after
 *   `idleTimeoutSeconds` without a request: idle time counts from the last request (`last_seen_at`,
 *   refreshed at most once a minute so that a busy session costs no write per request)
 * - `authenticated_at` is the last time the person proved who they are (sign-in or a confirmation):
 *   sensitive changes ask again when it is old
 *   (so it ends up to a minute before `idleTimeoutSeconds` after the last request)
 * - `findActiveSession` returns nothing for an unknown, ended, expired or idle session
 * - `amr` / `acr` say how strongly the person signed in (null: what `method` alone says, tokens/acr.ts);
 *   a second factor raises them (`raiseSessionAssurance`); a new sign-in into the same session
 *   (`renewSession`) starts again from its method
 * Sessions end only through end-sessions.ts.
 */
import { accountIsActiveSql } from '../accounts/account.repository.js'
import { BridgeError } from '../errors.js'
import { type RawBuilder, sql } from 'kysely'
import { type AnyCte, type Cte, cte, tableOf, withCtes } from '../db/cte.js'
import { type AcrLevel, type Executor, isUuid, type SessionMethod } from '../db/schema.js'

export interface ActiveSession {
  id: string
  accountId: string
  method: SessionMethod
  upstreamIssuer: string | null
  /** The State Services subject of a State Services sign-in. */
  upstreamSubject: string | null
  createdAt: Date
  authenticatedAt: Date
  lastSeenAt: Date
  browser: string | null
  /** RFC 8176 values, space separated, once a second factor was used; null: what `method` says. */
  amr: string | null
  /** The level the bridge vouches for; null: password. */
  acr: AcrLevel | null
}

export interface SessionClock {
  now: Date
  idleTimeoutSeconds: number
}

const TOUCH_AFTER_MS = 60_000

const columns = [
  'id',
  'account_id',
  'method',
  'upstream_issuer',
  'upstream_subject',
  'created_at',
  'authenticated_at',
  'last_seen_at',
  'browser',
  'amr',
  'acr',
] as const

function toSession(row: {
  id: string
  account_id: string
  method: SessionMethod
  upstream_issuer: string | null
  upstream_subject: string | null
  created_at: Date
  authenticated_at: Date
  last_seen_at: Date
  browser: string | null
  amr: string | null
  acr: AcrLevel | null
}): ActiveSession {
  return {
    id: row.id,
    accountId: row.account_id,
    method: row.method,
    upstreamIssuer: row.upstream_issuer,
    upstreamSubject: row.upstream_subject,
    createdAt: row.created_at,
    authenticatedAt: row.authenticated_at,
    lastSeenAt: row.last_seen_at,
    browser: row.browser,
    amr: row.amr,
    acr: row.acr,
  }
}

export interface SessionStart {
  accountId: string
  method: SessionMethod
  upstreamIssuer?: string
  upstreamSubject?: string
  browser: string | null
  lifetimeSeconds: number
  now: Date
  /** What the sign-in vouches for; absent: what `method` alone says. */
  assurance?: { amr: readonly string[]; acr: AcrLevel }
}

export async function startSession(db: Executor, session: SessionStart): Promise<ActiveSession> {
  const account = cte('account', ['account_id'], sql`select ${session.accountId}::uuid as account_id`)
  const { rows } = await withCtes()
    .with(account)
    .then<Parameters<typeof toSession>[0]>(startSessionCte('session', account, session))
    .execute(db)
  const [row] = rows
  // Only an active account signs in: deactivated (or erased) at any moment before this statement.
  if (row === undefined) throw new BridgeError('ERR_ACCOUNT_CLOSED', 'the account is not active')
  return toSession(row)
}

function startSessionSql(
  source: Cte<string, 'account_id', string>,
  session: Omit<SessionStart, 'accountId'>,
): RawBuilder<unknown> {
  return sql`insert into login_session (account_id, method, upstream_issuer, upstream_subject, browser, authenticated_at, last_seen_at, expires_at, amr, acr)
    select account_id, ${session.method}, ${session.upstreamIssuer ?? null}, ${session.upstreamSubject ?? null}, ${session.browser}, ${session.now}::timestamptz, ${session.now}::timestamptz,
           ${new Date(session.now.getTime() + session.lifetimeSeconds * 1000)}::timestamptz,
           ${session.assurance?.amr.join(' ') ?? null}::text, ${session.assurance?.acr ?? null}::text
    from ${tableOf(source)}
    where ${accountIsActiveSql(sql.ref('account_id'), { lock: true })}
    returning ${sql.join(columns.map((column) => sql.ref(column)))}`
}

/**
 * `startSession` as part of a larger statement (a data-modifying CTE): a session for the account of each
 * row of `source`; its rows are the session's columns.
 */
export function startSessionCte<Name extends string, Source extends Cte<string, 'account_id', string>>(
  name: Name,
  source: Source,
  session: Omit<SessionStart, 'accountId'>,
) {
  return cte(name, columns, startSessionSql(source, session), [source])
}

/** Sessions not ended, not expired and not idle at `clock.now`. */
function activeSessions(db: Executor, clock: SessionClock) {
  return db
    .selectFrom('login_session')
    .select(columns)
    .where('ended_at', 'is', null)
    .where('expires_at', '>', clock.now)
    .where('last_seen_at', '>', new Date(clock.now.getTime() - clock.idleTimeoutSeconds * 1000))
}

/** The session, if it is active; its last use moves to now (at most one write a minute). */
export async function findActiveSession(
  db: Executor,
  id: string,
  clock: SessionClock,
): Promise<ActiveSession | undefined> {
  if (!isUuid(id)) return undefined
  const row = await activeSessions(db, clock).where('id', '=', id).executeTakeFirst()
  if (row === undefined) return undefined
  if (clock.now.getTime() - row.last_seen_at.getTime() >= TOUCH_AFTER_MS) {
    await db.updateTable('login_session').set({ last_seen_at: clock.now }).where('id', '=', id).execute()
    row.last_seen_at = clock.now
  }
  return toSession(row)
}

/** Every active session of an account, the most recently used first. */
export async function listActiveSessions(
  db: Executor,
  accountId: string,
  clock: SessionClock,
): Promise<ActiveSession[]> {
  const rows = await activeSessions(db, clock)
    .where('account_id', '=', accountId)
    .orderBy('last_seen_at', 'desc')
    .execute()
  return rows.map(toSession)
}

/** A session that has not been ended, whether or not it is idle or past its lifetime (logout ends it anyway). */
export async function findUnendedSession(db: Executor, id: string): Promise<ActiveSession | undefined> {
  if (!isUuid(id)) return undefined
  const row = await db
    .selectFrom('login_session')
    .select(columns)
    .where('id', '=', id)
    .where('ended_at', 'is', null)
    .executeTakeFirst()
  return row && toSession(row)
}

/**
 * The same account signed in again in this browser: the session goes on, confirmed now, with the new
 * method; what a second factor had added is gone with the old sign-in (amr and acr are the new sign-in's:
 * its assurance, or what its method alone says).
 */
export async function renewSession(
  db: Executor,
  id: string,
  renewal: {
    method: SessionMethod
    upstreamIssuer?: string
    upstreamSubject?: string
    now: Date
    assurance?: { amr: readonly string[]; acr: AcrLevel }
  },
): Promise<ActiveSession> {
  const row = await db
    .updateTable('login_session')
    .set({
      method: renewal.method,
      amr: renewal.assurance?.amr.join(' ') ?? null,
      acr: renewal.assurance?.acr ?? null,
      upstream_issuer: renewal.upstreamIssuer ?? null,
      upstream_subject: renewal.upstreamSubject ?? null,
      authenticated_at: renewal.now,
      last_seen_at: renewal.now,
    })
    .where('id', '=', id)
    .returning(columns)
    .executeTakeFirstOrThrow()
  return toSession(row)
}

/**
 * A second factor was used in this session: it now says `amr` (RFC 8176 values, space separated, e.g.
 * 'pwd otp mfa') and vouches for `acr`, proven at `authenticatedAt` (the new auth_time). Only a session
 * not ended changes; undefined when there is none.
 */
export async function raiseSessionAssurance(
  db: Executor,
  id: string,
  assurance: { amr: string; acr: AcrLevel; authenticatedAt: Date },
): Promise<ActiveSession | undefined> {
  if (!isUuid(id)) return undefined
  const row = await db
    .updateTable('login_session')
    .set({
      amr: assurance.amr,
      acr: assurance.acr,
      authenticated_at: assurance.authenticatedAt,
      last_seen_at: assurance.authenticatedAt,
    })
    .where('id', '=', id)
    .where('ended_at', 'is', null)
    .returning(columns)
    .executeTakeFirst()
  return row && toSession(row)
}

/**
 * Forgets what an account's sessions say of the person (the State Services subject, the browser family):
 * an erasure keeps the ended sessions, ids and times only, for the revocation list.
 */
export async function forgetSessionDetails(db: Executor, accountId: string): Promise<void> {
  await db
    .updateTable('login_session')
    .set({ upstream_subject: null, browser: null })
    .where('account_id', '=', accountId)
    .execute()
}

/**
 * The person proved who they are again inside this session, by one factor (`pwd`: the password, `fed`:
 * State Services): the session's sign-in time moves to now, and its level with it to what was proved
 * now (acr password). A session that keeps `mfa` with a later time would vouch for a second factor
 * nobody gave then (the console and `acr_values` with `max_age` read the two together).
 */
export async function confirmSession(db: Executor, id: string, now: Date, proof: 'pwd' | 'fed'): Promise<void> {
  await db
    .updateTable('login_session')
    .set({ authenticated_at: now, last_seen_at: now, acr: 'password', amr: proof })
    .where('id', '=', id)
    .execute()
}

/** The diary module that most recently received tokens through this session, if any. */
export async function lastClientOfSession(db: Executor, sessionId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('token_family')
    .select('client_id')
    .where('session_id', '=', sessionId)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row?.client_id
}

/**
 * Marks a login transaction as used. True the first time for an id, false ever after, on every
 * instance: a copied cookie cannot finish the same login twice. The maintenance job deletes a mark
 * once the transaction it refuses has expired (ops/maintenance.ts).
 */
export async function consumeLoginTransaction(db: Executor, id: string): Promise<boolean> {
  return (await consumeLoginTransactionCte('used', id).body.execute(db)).rows.length === 1
}

/** Whether a login transaction was used already (to tell a replayed callback from a provider's failure). */
export async function isLoginTransactionUsed(db: Executor, id: string): Promise<boolean> {
  return (
    (await db.selectFrom('login_transaction_use').select('id').where('id', '=', id).executeTakeFirst()) !== undefined
  )
}

/** `isLoginTransactionUsed` as a value of a larger read. */
export function loginTransactionUsedSql(id: string): RawBuilder<boolean> {
  return sql<boolean>`exists (select from login_transaction_use where id = ${id})`
}

/** `consumeLoginTransactionCte` done only if `after` has a row: the id the first time, none after. */
export function consumeLoginTransactionAfterCte<Name extends string, After extends AnyCte>(
  name: Name,
  id: string,
  after: After,
) {
  return cte(
    name,
    ['id'],
    sql`insert into login_transaction_use (id) select ${id} where exists (select from ${tableOf(after)})
      on conflict do nothing returning id`,
    [after],
  )
}

/** `consumeLoginTransaction` as part of a larger statement: one row (the id) the first time, none after. */
export function consumeLoginTransactionCte<Name extends string>(name: Name, id: string) {
  return cte(
    name,
    ['id'],
    sql`insert into login_transaction_use (id) values (${id}) on conflict do nothing returning id`,
  )
}

/** An ended session whose access tokens may still be valid, and until when (the revocation list). */
export interface EndedSessionWithTokens {
  id: string
  until: Date
}

/**
 * The sessions that ended since `since` and gave diary modules an access token still valid at `now`
 * (their families' `access_expires_at`; a family from before migration 0012 counts until
 * `unknownUntilSeconds` after the session ended), the longest valid first, at most `limit`.
 */
export async function listEndedSessionsWithTokens(
  db: Executor,
  query: { since: Date; now: Date; unknownUntilSeconds: number; limit: number },
): Promise<EndedSessionWithTokens[]> {
  const { rows } = await sql<EndedSessionWithTokens>`
    select id, until from (
      select s.id, max(coalesce(f.access_expires_at, s.ended_at + ${query.unknownUntilSeconds}::integer * interval '1 second')) as until
      from login_session s join token_family f on f.session_id = s.id
      where s.ended_at > ${query.since}::timestamptz
      group by s.id
    ) ended
    where until > ${query.now}::timestamptz
    order by until desc, id
    limit ${query.limit}`.execute(db)
  return rows
}

/**
 * Whether the session in the column `column` (say `authorization_code.session_id`) has ended, as a
 * part of a larger statement: a code issued just before "sign out everywhere" must not be redeemed after it.
 */
export function sessionInColumnEndedSql(column: string): RawBuilder<boolean> {
  return sql<boolean>`exists (select 1 from login_session where id = ${sql.ref(column)} and ended_at is not null)`
}

/** Whether `sessionId` names a session that has ended (a part of larger statements: the access-token checks). */
export function sessionEndedSql(sessionId: string | undefined): RawBuilder<boolean> {
  if (sessionId === undefined || !isUuid(sessionId)) return sql<boolean>`false`
  return sql<boolean>`exists (select 1 from login_session where id = ${sessionId}::uuid and ended_at is not null)`
}
