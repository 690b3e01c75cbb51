/*
 * The maintenance job against a real database: rows of every kind past their expiry plus the margin
 * are deleted, fresher ones kept; audit events only past the retention, and audit_event stays
 * append-only for everything else; /metrics counts the rows per table; a second instance does nothing
 * while the first holds the lock (needs DATABASE_URL: the embedded database belongs to one process).
 */
import { sql } from 'kysely'
import pg from 'pg'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { overviewWeek } from '../../src/console/region-overview.js'
import { createPasswordHasher } from '../../src/accounts/password-hash.js'
import { openDatabase } from '../../src/db/open-database.js'
import { createLogger } from '../../src/logger.js'
import { retentionPolicy, runMaintenance } from '../../src/ops/maintenance.js'
import { createMetrics } from '../../src/ops/metrics.js'
import { attemptKeys, recordFailure } from '../../src/accounts/throttle.js'
import { issueAuthorizationCode } from '../../src/oauth/authorization-code.repository.js'
import { maintainTables } from '../../src/service.js'
import { consumeLoginTransaction } from '../../src/sessions/login-session.js'
import { seedExpiringRows, seededRowsLeft } from '../helpers/expiring-rows.js'
import { loadTestConfig, validFiles } from '../helpers/test-config.js'
import { openTestDatabase } from '../helpers/test-database.js'

const auditRetentionDays = 30
const config = loadTestConfig(t, {
  ...validFiles,
  'bridge.json': { publicUrl: 'http://localhost:3000', audit: { retentionDays: auditRetentionDays } },
})
const policy = retentionPolicy(config)
const { db, url } = await openTestDatabase(t)
const account = await db
  .insertInto('diary_account')
  .values({
    region: '29',
    login: 'ivanova.m',
    role: 'pupil',
    family_name: 'Иванова',
    given_name: 'Мария',
    password_hash: null,
  })
  .returning('id')
  .executeTakeFirstOrThrow()

t.test('the defaults: a margin of an hour, audit events for a year', async (t) => {
  const defaults = retentionPolicy(loadTestConfig(t))
  t.equal(defaults.marginSeconds, 3600)
  t.equal(defaults.auditRetentionDays, 365)
  t.equal(defaults.loginTransactionKeepSeconds, 1200, 'twice the login-transaction lifetime')
})

t.test(
  'rows past their expiry plus the margin are deleted, fresher ones kept; a second run finds nothing',
  async (t) => {
    const now = new Date()
    const seeded = await seedExpiringRows(db, account.id, now, auditRetentionDays)
    const result = await runMaintenance(db, policy, now)
    t.same(result, { kind: 'done', deleted: seeded.deleted })
    t.same(await seededRowsLeft(db, seeded), seeded.kept)
    const revoked = await db
      .selectFrom('token_family')
      .select('session_id')
      .where('id', '=', seeded.ids.get('kept-family-revoked-live-token') as string)
      .executeTakeFirstOrThrow()
    t.equal(revoked.session_id, null, 'a revoked family outlives its deleted session')

    const again = await runMaintenance(db, policy, now)
    t.equal(again.kind, 'done')
    if (again.kind === 'done')
      t.same(
        Object.values(again.deleted).filter((rows) => rows > 0),
        [],
        'nothing left to delete',
      )
  },
)

t.test('audit_event stays append-only for everything but the job', async (t) => {
  await sql`insert into audit_event (at, type, outcome) values (${new Date(Date.now() - 400 * 86_400_000)}, 'ancient', 'success')`.execute(
    db,
  )
  await t.rejects(
    db.deleteFrom('audit_event').where('type', '=', 'ancient').execute(),
    /append-only/,
    'a plain delete is refused',
  )
  await t.rejects(
    db.updateTable('audit_event').set({ outcome: 'changed' }).where('type', '=', 'ancient').execute(),
    /append-only/,
    'so is an update',
  )
  const trigger = await sql<{
    tgenabled: string
  }>`select tgenabled from pg_trigger where tgname = 'audit_event_append_only'`.execute(db)
  t.same(trigger.rows, [{ tgenabled: 'O' }], 'the trigger is on after the job ran')
  await runMaintenance(db, policy, new Date())
  t.same(
    await db.selectFrom('audit_event').select('type').where('type', '=', 'ancient').execute(),
    [],
    'the job deleted it',
  )
  await t.rejects(db.deleteFrom('audit_event').execute(), /append-only/, 'and the rule holds again at once')
})

t.test('/metrics shows the rows deleted per table', async (t) => {
  const now = new Date()
  const seeded = await seedExpiringRows(db, account.id, now, auditRetentionDays)
  const hasher = createPasswordHasher({ workers: 1, maxQueue: 1 })
  t.teardown(() => hasher.close())
  const metrics = createMetrics({ hasher })
  const logger = createLogger({ level: 'silent' })
  const app = await buildApp({ config, deps: { db, logger, hasher, metrics } })
  t.teardown(() => app.close())

  const result = await maintainTables(db, config, logger, metrics)
  t.equal(result?.kind, 'done')
  const text = (await app.inject('/metrics')).body
  for (const [table, rows] of Object.entries(seeded.deleted)) {
    t.match(
      text,
      new RegExp(`^bridge_maintenance_deleted_rows_total\\{table="${table}"\\} ${rows}$`, 'm'),
      `${table}: ${rows}`,
    )
  }
  t.match(text, /^bridge_maintenance_runs_total\{outcome="done"\} 1$/m)
})

t.test('a login (or a failed password) no longer sweeps expired rows itself: the job does it', async (t) => {
  const now = new Date()
  const seeded = await seedExpiringRows(db, account.id, now, auditRetentionDays)
  t.ok(await consumeLoginTransaction(db, `fresh-${seeded.tag}`))
  await issueAuthorizationCode(db, {
    clientId: 'web-diary',
    regions: ['29'],
    accountId: account.id,
    sessionId: null,
    redirectUri: 'https://diary.example/callback',
    scope: 'openid',
    nonce: null,
    codeChallenge: 'x',
    authTime: now,
    amr: 'pwd',
    acr: 'password',
    ttlSeconds: 60,
    now,
  })
  await recordFailure(
    db,
    attemptKeys('29', `nobody-${seeded.tag}`, '192.0.2.1'),
    { accountFailures: 10, ipFailures: 100, windowSeconds: 900, blockSeconds: 900 },
    now,
  )
  const left = await seededRowsLeft(db, seeded)
  t.ok(
    left.login_throttle?.includes('gone-throttle'),
    'a failed password attempt leaves old throttle counters to the job',
  )
  t.ok(left.login_transaction_use?.includes('gone-tx'), 'a used login transaction stays until the job runs')
  t.ok(left.authorization_code?.includes('gone-code'), 'so does an expired authorization code')
  await runMaintenance(db, policy, now)
  t.same(await seededRowsLeft(db, seeded), seeded.kept)
})

t.test(
  'a second instance does nothing while the first holds the lock',
  { skip: url === undefined && 'needs DATABASE_URL: two instances need two connections' },
  async (t) => {
    const now = new Date()
    const seeded = await seedExpiringRows(db, account.id, now, auditRetentionDays)
    const second = await openDatabase({ databaseUrl: url })
    t.teardown(() => second.destroy())
    // A diary module's request holds an expired refresh token: the first instance waits for it mid-run.
    const request = new pg.Client({ connectionString: url })
    await request.connect()
    t.teardown(() => request.end())
    await request.query('begin')
    await request.query('select 1 from refresh_token where token_hash = $1 for update', [
      `gone-token-expired#${seeded.tag}`,
    ])

    const first = runMaintenance(db, policy, now)
    for (let waited = 0; waited < 50; waited += 1) {
      const { rows } = await request.query(
        `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like 'delete from "refresh_token"%'`,
      )
      if (rows[0].n > 0) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    t.same(await runMaintenance(second, policy, now), { kind: 'skipped' }, 'the second instance skips its run')
    const during = await seededRowsLeft(second, seeded)
    t.ok(
      during.audit_event?.includes('gone-audit') && during.login_throttle?.includes('gone-throttle'),
      'and deletes nothing',
    )

    await request.query('commit')
    t.same(await first, { kind: 'done', deleted: seeded.deleted }, 'the first finishes the work')
    t.same(await seededRowsLeft(db, seeded), seeded.kept)
    t.equal((await runMaintenance(second, policy, now)).kind, 'done', 'the lock is free again')
  },
)

t.test(
  'the retention step locks no table: audit events go on being written while a batch is deleted',
  { skip: url === undefined && 'needs DATABASE_URL: two connections' },
  async (t) => {
    await sql`insert into audit_event (at, type, outcome) values (${new Date(Date.now() - 400 * 86_400_000)}, 'ancient-2', 'success')`.execute(
      db,
    )
    const purge = new pg.Client({ connectionString: url })
    const login = new pg.Client({ connectionString: url })
    await purge.connect()
    await login.connect()
    t.teardown(async () => {
      await purge.end()
      await login.end()
    })
    // What the job does in one batch, held open: the deletion of old rows, uncommitted.
    await purge.query('begin')
    await purge.query(`select set_config('bridge.audit_retention', 'on', true)`)
    t.equal((await purge.query(`delete from audit_event where type = 'ancient-2'`)).rowCount, 1)
    // A login meanwhile writes its audit event at once (it would wait for an exclusive lock).
    await login.query(`set lock_timeout = '1s'`)
    await login.query(`insert into audit_event (type, outcome) values ('during-purge', 'success')`)
    await purge.query('commit')
    t.same(
      await db.selectFrom('audit_event').select('type').where('type', 'in', ['ancient-2', 'during-purge']).execute(),
      [{ type: 'during-purge' }],
    )
  },
)

t.test(
  'the retention setting lets no other role delete audit events, nor anyone update them',
  { skip: url === undefined && 'needs DATABASE_URL: a second role' },
  async (t) => {
    const role = `bridge_reader_${process.pid}`
    await sql`create role ${sql.raw(role)} login`.execute(db)
    await sql`grant select, insert, update, delete on audit_event to ${sql.raw(role)}`.execute(db)
    const other = new pg.Client({
      connectionString: Object.assign(new URL(url as string), { username: role }).toString(),
    })
    await other.connect()
    t.teardown(async () => {
      await other.end()
      await sql`revoke all on audit_event from ${sql.raw(role)}`.execute(db)
      await sql`drop role ${sql.raw(role)}`.execute(db)
    })
    await sql`insert into audit_event (at, type, outcome) values (${new Date(Date.now() - 400 * 86_400_000)}, 'ancient-3', 'success')`.execute(
      db,
    )
    await other.query('begin')
    await other.query(`select set_config('bridge.audit_retention', 'on', true)`)
    await t.rejects(
      other.query(`delete from audit_event where type = 'ancient-3'`),
      /append-only/,
      'a role that does not own the table cannot delete',
    )
    await other.query('rollback')
    await t.rejects(
      db.transaction().execute(async (trx) => {
        await sql`select set_config('bridge.audit_retention', 'on', true)`.execute(trx)
        await trx.updateTable('audit_event').set({ outcome: 'changed' }).where('type', '=', 'ancient-3').execute()
      }),
      /append-only/,
      'not even the owner updates one',
    )
    t.same(await db.selectFrom('audit_event').select('outcome').where('type', '=', 'ancient-3').execute(), [
      { outcome: 'success' },
    ])
  },
)

t.test('after its run the job counts the audit hours just over for the region overview, 24 at a time', async (t) => {
  const hoursCounted = async () =>
    (await db.selectFrom('audit_hour_rolled').select('hour').orderBy('hour').execute()).map((row) => row.hour.getTime())
  const before = await hoursCounted()
  const next = new Date(overviewWeek(new Date()).from.getTime() + before.length * 3_600_000 + 1_800_000)
  await sql`insert into audit_event (at, type, outcome, region) values (${next}, 'password_sign_in', 'success', '29')`.execute(
    db,
  )
  const result = await maintainTables(db, config, createLogger({ level: 'silent' }))
  t.equal(result?.kind, 'done')
  const after = await hoursCounted()
  t.same(after.slice(0, before.length), before, 'the hours counted before stay')
  t.ok(after.length === before.length + 24 || after.length >= 166, `${after.length - before.length} hours more`)
  t.ok(
    after.every((hour, index) => index === 0 || hour - (after[index - 1] as number) === 3_600_000),
    'oldest first, none skipped',
  )
  const counted = await db
    .selectFrom('audit_hourly_count')
    .select('count')
    .where('region', '=', '29')
    .where('type', '=', 'password_sign_in')
    .execute()
  t.same(counted, [{ count: 1 }], 'a sign-in in the first hour not counted before is counted now')
})
