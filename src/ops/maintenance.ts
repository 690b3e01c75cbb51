/*
 * Rows that expire, deleted by one job that every instance schedules (service.ts) and an operator can
 * run once (`npm run cli -- maintenance run`):
 * - one run at a time across instances: a session advisory lock taken with pg_try_advisory_lock; an
 *   instance that finds it taken skips its run (the holder is doing the work)
 * - a row goes `marginSeconds` after the moment it stopped mattering:
 *   - login_transaction_use: used longer ago than twice the login-transaction lifetime (the mark only has
 *     to outlive the cookie it refuses)
 *   - authorization_code: past expires_at (until then a used code still revokes what it issued)
 *   - refresh_token: past expires_at (until then a used token still gives reuse away)
 *   - token_family: no refresh token left, and older than the longest access-token lifetime
 *   - login_session: ended or past its lifetime, and no unrevoked token family names it (a logout must
 *     still reach those families through it)
 *   - login_throttle: its window is over (at least an hour: recovery requests count per hour) and its
 *     block, if any, too
 *   - revoked_access_token: past the token's own expiry
 *   - client_assertion_use: past the assertion's own expiry (it is refused by its `exp` from then on)
 *   - recovery_secret: past expires_at (a spent code expires when it is spent)
 *   - account_factor: a TOTP enrolment never confirmed, older than its hour (factors/factor.repository.ts
 *     refuses to confirm it from then on); confirmed factors stay until removed
 *   - logout_notice: delivered or given up (the metrics counted it)
 *   - request_rate: its window is over (window_start older than one `rateLimits.windowSeconds`); no
 *     instance reads a window once it has ended
 *   - diary_account: erased (lifecycle/account-state.ts) longer ago than the longest access-token
 *     lifetime: until then its ended sessions stay on the revocation list; its sessions and tokens go with
 *     it (foreign keys), its audit tombstone stays
 *   - audit_event: older than `audit.retentionDays` (no margin: the retention is the rule)
 * - audit_event is append-only (a trigger refuses UPDATE and DELETE, migrations/0001 and 0008): only
 *   this step deletes, in a transaction that says so (`bridge.audit_retention`, transaction-local) as the
 *   table's owner (the database user that ran the migrations, or a member of it); the trigger lets no
 *   other role and no other transaction through. No table lock: logins go on writing audit events
 *   while a batch is deleted (switching the trigger off took an exclusive lock and stalled them).
 * - deletes go in batches of `batchSize` rows (by ctid), one statement each: no table is locked for long
 */
import { type Kysely, type RawBuilder, sql } from 'kysely'
import type { Config } from '../config/load.js'
import { longestAccessTokenTtl } from '../config/token-lifetimes.js'
import type { Database } from '../db/schema.js'
import { pendingTotpLifetimeMs } from '../factors/factor.repository.js'

export const maintainedTables = [
  'login_transaction_use',
  'authorization_code',
  'refresh_token',
  'token_family',
  'login_session',
  'login_throttle',
  'revoked_access_token',
  'client_assertion_use',
  'request_rate',
  'recovery_secret',
  'account_factor',
  'logout_notice',
  'diary_account',
  'audit_event',
] as const

export type MaintainedTable = (typeof maintainedTables)[number]

export type MaintenanceResult = { kind: 'done'; deleted: Record<MaintainedTable, number> } | { kind: 'skipped' }

export interface RetentionPolicy {
  marginSeconds: number
  loginTransactionKeepSeconds: number
  maxAccessTokenTtlSeconds: number
  throttleWindowSeconds: number
  rateWindowSeconds: number
  auditRetentionDays: number
  batchSize: number
}

const LOCK = 7_404_111_202

/** The retention that follows from the configuration. */
export function retentionPolicy(config: Config): RetentionPolicy {
  const { bridge } = config
  return {
    marginSeconds: bridge.maintenance.marginSeconds,
    loginTransactionKeepSeconds: 2 * bridge.loginTransactionTtlSeconds,
    maxAccessTokenTtlSeconds: longestAccessTokenTtl(config),
    // Recovery requests are counted per hour (login/password-recovery.ts): their counters live that long at least.
    throttleWindowSeconds: Math.max(bridge.throttling.windowSeconds, 3600),
    rateWindowSeconds: bridge.rateLimits.windowSeconds,
    auditRetentionDays: bridge.audit.retentionDays,
    batchSize: 5000,
  }
}

interface Step {
  table: MaintainedTable
  expired: RawBuilder<unknown>
}

function steps(policy: RetentionPolicy, now: Date): Step[] {
  const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000)
  const cutoff = ago(policy.marginSeconds)
  return [
    {
      table: 'login_transaction_use',
      expired: sql`used_at < ${ago(policy.loginTransactionKeepSeconds + policy.marginSeconds)}`,
    },
    { table: 'authorization_code', expired: sql`expires_at < ${cutoff}` },
    { table: 'refresh_token', expired: sql`expires_at < ${cutoff}` },
    {
      table: 'token_family',

      expired: sql`created_at < ${ago(policy.maxAccessTokenTtlSeconds + policy.marginSeconds)}
        and not exists (select 1 from refresh_token r where r.family_id = token_family.id)`,
    },
    {
      table: 'login_session',

      expired: sql`(ended_at < ${cutoff} or expires_at < ${cutoff})
        and not exists (select 1 from token_family f where f.session_id = login_session.id and f.revoked_at is null)`,
    },
    {
      table: 'login_throttle',
      expired: sql`window_started_at < ${ago(policy.throttleWindowSeconds + policy.marginSeconds)} and (blocked_until is null or blocked_until < ${cutoff})`,
    },
    { table: 'revoked_access_token', expired: sql`expires_at < ${cutoff}` },
    { table: 'client_assertion_use', expired: sql`expires_at < ${cutoff}` },
    { table: 'recovery_secret', expired: sql`expires_at < ${cutoff}` },
    {
      table: 'account_factor',
      expired: sql`confirmed_at is null and created_at < ${ago(pendingTotpLifetimeMs / 1000 + policy.marginSeconds)}`,
    },
    { table: 'logout_notice', expired: sql`(delivered_at < ${cutoff} or gave_up_at < ${cutoff})` },
    { table: 'request_rate', expired: sql`window_start < ${ago(policy.rateWindowSeconds + policy.marginSeconds)}` },
    {
      table: 'diary_account',
      expired: sql`state = 'erased' and deactivated_at < ${ago(policy.maxAccessTokenTtlSeconds + policy.marginSeconds)}`,
    },
  ]
}

async function deleteBatch(db: Kysely<Database>, step: Step, batchSize: number): Promise<number> {
  const result = await sql`
    delete from ${sql.table(step.table)}
    where ctid = any(array(select ctid from ${sql.table(step.table)} where ${step.expired} limit ${batchSize}))`.execute(
    db,
  )
  return Number(result.numAffectedRows ?? 0n)
}

async function deleteAuditBatch(db: Kysely<Database>, step: Step, batchSize: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('bridge.audit_retention', 'on', true)`.execute(trx)
    return deleteBatch(trx, step, batchSize)
  })
}

async function deleteExpired(db: Kysely<Database>, step: Step, batchSize: number): Promise<number> {
  let total = 0
  for (;;) {
    const deleted =
      step.table === 'audit_event'
        ? await deleteAuditBatch(db, step, batchSize)
        : await deleteBatch(db, step, batchSize)
    total += deleted
    if (deleted < batchSize) return total
  }
}

/**
 * Deletes every expired row (the rules above), unless another instance is doing it right now.
 * Answers the rows deleted per table, or `skipped`.
 */
export function runMaintenance(db: Kysely<Database>, policy: RetentionPolicy, now: Date): Promise<MaintenanceResult> {
  return db.connection().execute(async (connection) => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${LOCK}) as locked`.execute(connection)
    if (rows[0]?.locked !== true) return { kind: 'skipped' }
    try {
      const deleted = Object.fromEntries(maintainedTables.map((table) => [table, 0])) as Record<MaintainedTable, number>
      const audit: Step = {
        table: 'audit_event',
        expired: sql`at < ${new Date(now.getTime() - policy.auditRetentionDays * 86_400_000)}`,
      }
      for (const step of [...steps(policy, now), audit])
        deleted[step.table] = await deleteExpired(connection, step, policy.batchSize)
      return { kind: 'done', deleted }
    } finally {
      await sql`select pg_advisory_unlock(${LOCK})`.execute(connection)
    }
  })
}
