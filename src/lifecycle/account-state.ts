/*
 * Accounts that end: deactivation, reactivation and erasure, whoever asks (an operator in the CLI, an
 * import that syncs a school, a SCIM client of the region's diary). A change of an account's whole
 * state, so it lives above accounts/, linking/ and sessions/.
 * - deactivation: the state, every session ended and every refresh-token family revoked
 *   (sessions/end-sessions.ts, so back-channel logout notices go out and the sessions are on the
 *   revocation list) and the audit event, in one transaction; links, contacts and second factors stay, unusable while
 *   the account is not active (every sign-in starts a session only for an active account:
 *   sessions/login-session.ts), so reactivation restores them; old tokens stay dead
 * - erasure (152-FZ, the right to have one's data removed): the same end of access, then the links,
 *   the one-time secrets, the second factors and recovery codes (no cascade: the row stays) and every
 *   personal column go; the row keeps its id, region, role and school
 *   (accounts/account.repository.ts eraseAccountData) and the audit keeps a tombstone with ids only
 * - every change is scoped to the caller's region in the statement; an account of another region is
 *   `not_found`, as an unknown id is
 * - who asked is `operator:<name>`, `import` or `scim:<client_id>`; the operator's name and the reason
 *   are free text, audited masked like any free text (a SNILS typed into them does not reach the table)
 * - a deactivation or reactivation that finds the account in the other state (SCIM's PATCH active) is one
 *   statement (setActiveAtOnce): the same writes, audit row and metric; when it changes nothing, the
 *   functions above tell why
 */
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely'
import {
  type Account,
  type AccountRow,
  accountRowsWithSchoolSql,
  changedStateCte,
  eraseAccountData,
  findAccountInRegion,
  setDeactivated,
  setReactivated,
  toAccount,
} from '../accounts/account.repository.js'
import { deleteAllSecretsOf } from '../accounts/recovery-secret.repository.js'
import { auditEventCte, recordAuditEvent } from '../audit/record-audit-event.js'
import { withCtes } from '../db/cte.js'
import { type Database, isUuid } from '../db/schema.js'
import { inTransaction } from '../db/transaction.js'
import { removeAllFactors } from '../factors/factor.repository.js'
import { deleteLinksOfAccount } from '../linking/identity-link.repository.js'
import { maskSnilsLike } from '../person/snils.js'
import { countSessions, endAccountSessionsCtes, endSessions } from '../sessions/end-sessions.js'
import { forgetSessionDetails } from '../sessions/login-session.js'

export type ChangedBy = { kind: 'operator'; name: string } | { kind: 'import' } | { kind: 'scim'; clientId: string }

export interface StateChange {
  region: string
  accountId: string
  by: ChangedBy
  /** Why, in the words of the school or the diary system. */
  reason?: string | null
  now: Date
  requestId?: string
}

export type StateOutcome =
  | { kind: 'changed'; sessionsEnded: number }
  /** The account is in that state already (nothing was written). */
  | { kind: 'unchanged' }
  | { kind: 'not_found' }

/** Counts state changes (bridge_account_state_changes_total); the CLI has none. */
export interface StateMetrics {
  accountState(region: string, change: 'deactivated' | 'reactivated' | 'erased', by: ChangedBy['kind']): void
}

export function describeChangedBy(by: ChangedBy): string {
  if (by.kind === 'operator') return `operator:${maskSnilsLike(by.name.trim())}`
  return by.kind === 'scim' ? `scim:${by.clientId}` : 'import'
}

const cleanReason = (reason: string | null | undefined) =>
  reason === undefined || reason === null || reason.trim() === '' ? null : maskSnilsLike(reason.trim()).slice(0, 500)

async function exists(db: Kysely<Database>, region: string, accountId: string): Promise<boolean> {
  const account = await findAccountInRegion(db, region, accountId)
  return account !== undefined && account.state !== 'erased'
}

/**
 * One state change: `apply` writes it in a transaction (answering what it did, with the audit details it
 * adds); a change that happened is audited as `account_<change>` with who asked, and counted.
 */
async function changeState(
  db: Kysely<Database>,
  change: StateChange,
  kind: 'deactivated' | 'reactivated' | 'erased',
  metrics: StateMetrics | undefined,
  apply: (
    trx: Transaction<Database>,
    by: string,
  ) => Promise<
    | { kind: 'changed'; sessionsEnded: number; details: Record<string, string | number | null> }
    | Exclude<StateOutcome, { kind: 'changed' }>
  >,
): Promise<StateOutcome> {
  const by = describeChangedBy(change.by)
  const outcome = await inTransaction(db, async (trx): Promise<StateOutcome> => {
    const applied = await apply(trx, by)
    if (applied.kind !== 'changed') return applied
    await recordAuditEvent(trx, {
      type: `account_${kind}`,
      outcome: 'success',
      accountId: change.accountId,
      region: change.region,
      requestId: change.requestId,
      details: { by, ...applied.details },
    })
    return { kind: 'changed', sessionsEnded: applied.sessionsEnded }
  })
  if (outcome.kind === 'changed') metrics?.accountState(change.region, kind, change.by.kind)
  return outcome
}

/** Nothing was written: the account is in that state already, or not one of the region's. */
async function unchangedOrMissing(
  trx: Transaction<Database>,
  change: StateChange,
): Promise<Exclude<StateOutcome, { kind: 'changed' }>> {
  return { kind: (await exists(trx, change.region, change.accountId)) ? 'unchanged' : 'not_found' }
}

export function deactivateAccount(
  db: Kysely<Database>,
  change: StateChange,
  metrics?: StateMetrics,
): Promise<StateOutcome> {
  const reason = cleanReason(change.reason)
  return changeState(db, change, 'deactivated', metrics, async (trx, by) => {
    if (!(await setDeactivated(trx, change.region, change.accountId, { at: change.now, reason, by })))
      return unchangedOrMissing(trx, change)
    const sessionsEnded = countSessions(
      await endSessions(trx, { accountId: change.accountId }, 'deactivated', change.now),
    )
    return { kind: 'changed', sessionsEnded, details: { reason, sessions_ended: sessionsEnded } }
  })
}

export function reactivateAccount(
  db: Kysely<Database>,
  change: StateChange,
  metrics?: StateMetrics,
): Promise<StateOutcome> {
  return changeState(db, change, 'reactivated', metrics, async (trx) => {
    if (!(await setReactivated(trx, change.region, change.accountId, change.now)))
      return unchangedOrMissing(trx, change)
    return { kind: 'changed', sessionsEnded: 0, details: { reason: cleanReason(change.reason) } }
  })
}

/** Erases an active or deactivated account (see the header); `not_found` for an unknown or erased one. */
export function eraseAccount(db: Kysely<Database>, change: StateChange, metrics?: StateMetrics): Promise<StateOutcome> {
  return changeState(db, change, 'erased', metrics, async (trx, by) => {
    if (!(await eraseAccountData(trx, change.region, change.accountId, { at: change.now, by })))
      return { kind: 'not_found' }
    // The row stays (without anything personal): its sessions end as any deactivated account's do, with
    // logout notices, and stay on the revocation list until their tokens expire.
    const sessionsEnded = countSessions(await endSessions(trx, { accountId: change.accountId }, 'erased', change.now))
    await forgetSessionDetails(trx, change.accountId)
    const linksRemoved = await deleteLinksOfAccount(trx, change.accountId)
    await deleteAllSecretsOf(trx, change.accountId)
    const factorsRemoved = await removeAllFactors(trx, change.accountId)
    return {
      kind: 'changed',
      sessionsEnded,
      details: {
        links_removed: linksRemoved,
        sessions_ended: sessionsEnded,
        factors_removed: factorsRemoved.passkeys + factorsRemoved.totp,
      },
    }
  })
}

/**
 * Deactivates (`active` false) or reactivates the account `accountId` of one of `regions`, with
 * `expectedVersion` when given, in one statement: the state, the end of its sessions (deactivation), the
 * audit event as deactivateAccount and reactivateAccount write it, and the account as it is now. Undefined
 * when nothing was written (already in that state, another version, not one of the regions' accounts,
 * or `unless` holds: a condition of the caller's right to write).
 */
export async function setActiveAtOnce(
  db: Kysely<Database>,
  change: Omit<StateChange, 'region'> & { regions: readonly string[]; expectedVersion?: string },
  active: boolean,
  metrics?: StateMetrics,
  unless?: RawBuilder<boolean>,
): Promise<Account | undefined> {
  if (change.regions.length === 0 || !isUuid(change.accountId)) return undefined
  const by = describeChangedBy(change.by)
  const reason = cleanReason(change.reason)
  const target = { regions: change.regions, accountId: change.accountId, expectedVersion: change.expectedVersion }
  const event = { outcome: 'success', requestId: change.requestId }
  let rows: (AccountRow & { sessions_ended: number })[]
  if (active) {
    const account = changedStateCte('account', target, { state: 'active', now: change.now }, unless)
    const audited = auditEventCte('audited', account, {
      ...event,
      type: 'account_reactivated',
      details: { by, reason },
    })
    const statement = withCtes()
      .with(account)
      .with(audited)
      .select<AccountRow & { sessions_ended: number }>(() =>
        accountRowsWithSchoolSql(account, sql`, 0 as sessions_ended`),
      )
    rows = (await statement.execute(db)).rows
  } else {
    const account = changedStateCte(
      'account',
      target,
      { state: 'deactivated', deactivation: { at: change.now, reason, by } },
      unless,
    )
    const ended = endAccountSessionsCtes(account, 'deactivated', change.now)
    const audited = auditEventCte('audited', account, {
      ...event,
      type: 'account_deactivated',
      details: () =>
        sql`jsonb_build_object('by', ${by}::text, 'reason', ${reason}::text, 'sessions_ended', ${ended.sessionsEnded})`,
    })
    const statement = withCtes()
      .with(account)
      .with(ended.sessions)
      .with(ended.families)
      .with(ended.notices)
      .with(audited)
      .select<AccountRow & { sessions_ended: number }>(() =>
        accountRowsWithSchoolSql(account, sql`, ${ended.sessionsEnded} as sessions_ended`),
      )
    rows = (await statement.execute(db)).rows
  }
  const row = rows[0]
  if (row === undefined) return undefined
  metrics?.accountState(row.region, active ? 'reactivated' : 'deactivated', change.by.kind)
  return toAccount(row)
}
