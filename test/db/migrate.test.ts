import { sql } from 'kysely'
import t, { type Test } from 'tap'
import { openDatabase } from '../../src/db/open-database.js'
import { migrateToLatest, pendingMigrations } from '../../src/db/migrate.js'
import { openTestDatabase } from '../helpers/test-database.js'
import { migrations } from '../../migrations/index.js'

const { db, url } = await openTestDatabase(t, { migrate: false })

t.test('two instances migrating at once both succeed and apply each migration once', async (t) => {
  const other = url === undefined ? db : await openDatabase({ databaseUrl: url })
  if (other !== db) t.teardown(() => other.destroy())
  const all = Object.keys(migrations)
  t.same(
    all.slice(0, 5),
    ['0001-initial', '0002-sessions', '0003-tokens', '0004-throttling', '0005-self-service'],
    'in order',
  )
  t.same(await pendingMigrations(db), all)
  const [a, b] = await Promise.all([migrateToLatest(db), migrateToLatest(other)])
  t.same([...a, ...b].map((r) => r.migrationName).sort(), all, 'applied by exactly one of them')
  t.same(await pendingMigrations(db), [])
  t.same(await migrateToLatest(db), [], 'a third run has nothing to do')
})

const account = (login: string, region = '29') => ({
  region,
  login,
  role: 'pupil' as const,
  family_name: 'Иванова',
  given_name: 'Мария',
  patronymic: null,
  birth_date: null,
  snils_hmac: null,
  snils_last4: null,
  school_id: null,
  class_name: null,
  password_hash: null,
})

async function rejects(t: Test, query: Promise<unknown>, sqlstate: string, name: string) {
  await query.then(
    () => t.fail(`${name}: accepted`),
    (error: { code?: string }) => t.equal(error.code, sqlstate, name),
  )
}

t.test('the database enforces the rules linking depends on', async (t) => {
  const [a, b] = await db
    .insertInto('diary_account')
    .values([account('a'), account('b')])
    .returning('id')
    .execute()
  const link = (accountId: string, issuer: string, subject: string) =>
    db
      .insertInto('identity_link')
      .values({ account_id: accountId, issuer, subject, method: 'password', verified: false, evidence: '{}' })
      .execute()

  await link(a!.id, 'https://esia.example', 'sub-1')
  await t.resolves(link(b!.id, 'https://esia.example', 'sub-1'), 'one identity may be linked to several accounts')
  await rejects(t, link(b!.id, 'https://esia.example', 'sub-1'), '23505', 'one link per (issuer, subject, account)')
  await rejects(t, link(a!.id, 'https://esia.example', 'sub-2'), '23505', 'one identity per provider per account')
  await t.resolves(link(a!.id, 'https://other.example', 'sub-1'), 'another provider may link the same account')

  await rejects(t, db.insertInto('diary_account').values(account('a')).execute(), '23505', 'login unique per region')
  await db.insertInto('diary_account').values(account('a', '78')).execute()
  await rejects(
    t,
    db.insertInto('diary_account').values(account('Mixed')).execute(),
    '23514',
    'logins are stored normalised',
  )
  await rejects(
    t,
    db
      .insertInto('diary_account')
      .values({ ...account('c'), snils_hmac: 'f'.repeat(64) })
      .execute(),
    '23514',
    'SNILS HMAC and last 4 digits come together',
  )
  await rejects(
    t,
    db
      .insertInto('diary_account')
      .values({ ...account('d'), snils_hmac: '11223344595', snils_last4: '4595' })
      .execute(),
    '23514',
    'a clear SNILS does not fit the HMAC column',
  )
})

t.test('audit events are append-only', async (t) => {
  await db.insertInto('audit_event').values({ type: 'test', outcome: 'success' }).execute()
  await rejects(t, sql`update audit_event set outcome = 'changed'`.execute(db), 'P0001', 'no update')
  await rejects(t, sql`delete from audit_event`.execute(db), 'P0001', 'no delete')
  const rows = await db.selectFrom('audit_event').select(['outcome', 'details']).execute()
  t.same(rows, [{ outcome: 'success', details: {} }])
})
