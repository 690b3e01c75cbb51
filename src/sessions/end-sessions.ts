/*
 * Ending sessions: the one place that does it, and with it revokes the refresh-token families that
 * those sessions gave to diary modules.
 * - by session (logout, a new sign-in in the same browser), or by account: every session, every session
 *   but the current one (password change), or the sessions that came through one State Services
 *   provider (a removed or superseded link)
 * - ending every session of an account also revokes the account's families that belong to no session
 * - the ended sessions stay as rows with `ended_at` and `ended_reason`; every (session, client) pair
 *   whose family was revoked gets a back-channel logout notice in the same transaction
 *   (sessions/logout-notice.repository.ts, delivered by oauth/backchannel-logout.ts); the answer lists the
 *   affected pairs
 * - it runs in the caller's transaction (the type says so), together with the change that ends the
 *   sessions and its audit event: never half done
 */
import { sql, type Transaction } from 'kysely'
import { type Cte, cte, tableOf, withCtes } from '../db/cte.js'
import { type Database, isUuid } from '../db/schema.js'
import { logoutNoticesCte } from './logout-notice.repository.js'

export type SessionSelector =
  { sessionId: string } | { accountId: string; exceptSessionId?: string; upstreamIssuer?: string }

export type EndReason =
  | 'logout'
  | 'replaced'
  | 'sign_out_everywhere'
  | 'password_change'
  | 'password_reset'
  | 'link_removed'
  | 'link_superseded'
  | 'support'
  | 'deactivated'
  | 'erased'

export interface EndedSession {
  sessionId: string | null
  /** A diary module that held tokens of this session; null when it held none. */
  clientId: string | null
}

export async function endSessions(
  db: Transaction<Database>,
  selector: SessionSelector,
  reason: EndReason,
  now: Date,
): Promise<EndedSession[]> {
  if ('sessionId' in selector && !isUuid(selector.sessionId)) return []
  let sessions = db
    .updateTable('login_session')
    .set({ ended_at: now, ended_reason: reason })
    .where('ended_at', 'is', null)
  if ('sessionId' in selector) {
    sessions = sessions.where('id', '=', selector.sessionId)
  } else {
    sessions = sessions.where('account_id', '=', selector.accountId)
    if (selector.exceptSessionId !== undefined) sessions = sessions.where('id', '!=', selector.exceptSessionId)
    if (selector.upstreamIssuer !== undefined) {
      sessions = sessions.where('method', '=', 'state_services').where('upstream_issuer', '=', selector.upstreamIssuer)
    }
  }
  const ended = (await sessions.returning('id').execute()).map((row) => row.id)

  const wholeAccount = !('sessionId' in selector) && selector.upstreamIssuer === undefined
  let families = db
    .updateTable('token_family')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('revoked_at', 'is', null)
  if (wholeAccount) {
    families = families.where('account_id', '=', selector.accountId)
    const kept = selector.exceptSessionId
    if (kept !== undefined)
      families = families.where((eb) => eb.or([eb('session_id', 'is', null), eb('session_id', '!=', kept)]))
  } else if (ended.length > 0) {
    families = families.where('session_id', 'in', ended)
  }
  const revoked =
    wholeAccount || ended.length > 0
      ? await families.returning(['session_id', 'client_id', 'account_id']).execute()
      : []
  if (revoked.length > 0) {
    const pairs = JSON.stringify(
      revoked.map((row) => ({ session_id: row.session_id, client_id: row.client_id, account_id: row.account_id })),
    )
    const endedPairs = cte(
      'ended',
      ['session_id', 'client_id', 'account_id'],
      sql`select * from jsonb_to_recordset(${pairs}::jsonb) as r(session_id uuid, client_id text, account_id uuid)`,
    )
    await withCtes()
      .with(endedPairs)
      .then(logoutNoticesCte('notices', endedPairs, reason))
      .execute(db)
  }

  const pairs: EndedSession[] = revoked.map((row) => ({ sessionId: row.session_id, clientId: row.client_id }))
  for (const id of ended)
    if (!pairs.some((pair) => pair.sessionId === id)) pairs.push({ sessionId: id, clientId: null })
  return pairs
}

/** How many sessions the answer of endSessions names (families without a session do not count). */
export function countSessions(ended: readonly EndedSession[]): number {
  return new Set(ended.flatMap((pair) => (pair.sessionId === null ? [] : [pair.sessionId]))).size
}

/**
 * endSessions for every session of the accounts of `accounts` (a CTE of the same statement), as CTEs for
 * a state change written in one statement: the sessions ended, every family of those accounts revoked and
 * a logout notice for each (session, client) pair. `sessionsEnded` counts as countSessions does.
 */
export function endAccountSessionsCtes<Accounts extends Cte<string, 'id', string>>(
  accounts: Accounts,
  reason: EndReason,
  now: Date,
) {
  const sessions = cte(
    'ended_sessions',
    ['id'],
    sql`update login_session set ended_at = ${now}::timestamptz, ended_reason = ${reason}
      where ended_at is null and account_id in (select id from ${tableOf(accounts)}) returning id`,
    [accounts],
  )
  const families = cte(
    'revoked_families',
    ['session_id', 'client_id', 'account_id'],
    sql`update token_family set revoked_at = ${now}::timestamptz, revoked_reason = ${reason}
      where revoked_at is null and account_id in (select id from ${tableOf(accounts)})
      returning session_id, client_id, account_id`,
    [accounts],
  )
  return {
    sessions,
    families,
    notices: logoutNoticesCte('ended_notices', families, reason),
    sessionsEnded: sql<number>`(select count(*)::int from (select id from ${tableOf(sessions)}
      union select session_id from ${tableOf(families)} where session_id is not null) ended)`,
  }
}
