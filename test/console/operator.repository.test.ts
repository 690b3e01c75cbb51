/*
 * Console roles against a real, migrated database: every outcome of a grant, what the database refuses
 * when the repository is bypassed, revoke, list, an account's scope, and the scope as SQL.
 */
import { sql } from 'kysely'
import t, { type Test } from 'tap'
import {
  accountInScopeSql,
  findOperatorScope,
  grantOperatorRole,
  type GrantOutcome,
  holdsOperatorRole,
  listOperatorRoles,
  type OperatorRole,
  revokeOperatorRole,
} from '../../src/console/operator.repository.js'
import type { Role } from '../../src/db/schema.js'
import { schoolId } from '../helpers/schools.js'
import { openTestDatabase } from '../helpers/test-database.js'

const { db } = await openTestDatabase(t)

const school29a = await schoolId(db, '29', 'Школа № 1')
const school29b = await schoolId(db, '29', 'Гимназия № 6')
const school78 = await schoolId(db, '78', 'Лицей № 239')

async function account(login: string, role: Role, region: string, school: string | null, state = 'active') {
  const row = await db
    .insertInto('diary_account')
    .values({
      region,
      login,
      role,
      family_name: 'Кузнецова',
      given_name: 'Елена',
      patronymic: null,
      birth_date: null,
      snils_hmac: null,
      snils_last4: null,
      school_id: school,
      class_name: null,
      password_hash: null,
      ...(state === 'deactivated'
        ? { state: 'deactivated' as const, deactivated_at: new Date(), deactivated_by: 'import' }
        : {}),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

const teacher = await account('teacher.a', 'teacher', '29', school29a)
const staff = await account('staff.b', 'staff', '29', school29b)
const pupilA = await account('pupil.a', 'pupil', '29', school29a)
const pupilB = await account('pupil.b', 'pupil', '29', school29b)
const parent = await account('parent.a', 'parent', '29', school29a)
const teacher78 = await account('teacher.c', 'teacher', '78', school78)
const pupil78 = await account('pupil.c', 'pupil', '78', school78)
const leaver = await account('leaver.d', 'teacher', '29', school29a, 'deactivated')

const by = 'operator:anna'

t.test('a grant is granted, exists, or refused with a reason', async (t) => {
  const cases: [string, Parameters<typeof grantOperatorRole>[1], GrantOutcome['kind'], string?][] = [
    [
      'a teacher becomes the admin of a school of the region',
      { accountId: teacher, role: 'school-admin', region: '29', schoolId: school29a, grantedBy: by, reason: 'head' },
      'granted',
    ],
    [
      'the same again',
      { accountId: teacher, role: 'school-admin', region: '29', schoolId: school29a, grantedBy: 'operator:boris' },
      'exists',
    ],
    [
      'a second school for the same teacher',
      { accountId: teacher, role: 'school-admin', region: '29', schoolId: school29b, grantedBy: by },
      'granted',
    ],
    [
      'staff operate a region',
      { accountId: staff, role: 'region-operator', region: '29', schoolId: null, grantedBy: by },
      'granted',
    ],
    [
      'staff support it too',
      { accountId: staff, role: 'support', region: '29', schoolId: null, grantedBy: by },
      'granted',
    ],
    [
      'a pupil holds no role',
      { accountId: pupilA, role: 'support', region: '29', schoolId: null, grantedBy: by },
      'refused',
      'not_staff',
    ],
    [
      'nor does a parent',
      { accountId: parent, role: 'school-admin', region: '29', schoolId: school29a, grantedBy: by },
      'refused',
      'not_staff',
    ],
    [
      'a school of another region is unknown here',
      { accountId: teacher, role: 'school-admin', region: '29', schoolId: school78, grantedBy: by },
      'refused',
      'unknown_school',
    ],
    [
      'a school id that is not a uuid',
      { accountId: teacher, role: 'school-admin', region: '29', schoolId: 'SCH-1', grantedBy: by },
      'refused',
      'unknown_school',
    ],
    [
      "a role of a region that is not the account's",
      { accountId: teacher78, role: 'region-operator', region: '29', schoolId: null, grantedBy: by },
      'refused',
      'other_region',
    ],
    [
      'no such account',
      {
        accountId: '00000000-0000-4000-8000-000000000000',
        role: 'support',
        region: '29',
        schoolId: null,
        grantedBy: by,
      },
      'refused',
      'other_region',
    ],
    [
      'a deactivated account',
      { accountId: leaver, role: 'support', region: '29', schoolId: null, grantedBy: by },
      'refused',
      'inactive',
    ],
  ]
  for (const [why, input, kind, reason] of cases) {
    const outcome = await grantOperatorRole(db, input)
    t.equal(outcome.kind, kind, why)
    if (outcome.kind === 'refused') t.equal(outcome.reason, reason, `${why}: ${reason}`)
    else {
      t.equal(outcome.grant.accountId, input.accountId, `${why}: the account`)
      t.equal(outcome.grant.schoolId, input.schoolId, `${why}: the school`)
    }
  }
  const first = await grantOperatorRole(db, {
    accountId: teacher,
    role: 'school-admin',
    region: '29',
    schoolId: school29a,
    grantedBy: 'operator:boris',
  })
  t.equal(first.kind === 'exists' && first.grant.grantedBy, by, 'exists keeps the first grant')
  t.equal(first.kind === 'exists' && first.grant.reason, 'head')
  t.equal(first.kind === 'exists' && first.grant.login, 'teacher.a')
  t.equal(first.kind === 'exists' && first.grant.schoolName, 'Школа № 1')

  const audit = await db
    .selectFrom('audit_event')
    .select(['type', 'account_id', 'region', 'details'])
    .where('type', '=', 'operator_granted')
    .orderBy('id')
    .execute()
  t.equal(audit.length, 4, 'one audit event per role granted, none for exists or refused')
  t.same(audit[0], {
    type: 'operator_granted',
    account_id: teacher,
    region: '29',
    details: { role: 'school-admin', schoolId: school29a },
  })
  t.notMatch(JSON.stringify(audit), /anna|head|Школа/, 'ids only in the audit trail')
  await t.rejects(
    grantOperatorRole(db, { accountId: staff, role: 'school-admin', region: '29', schoolId: null, grantedBy: by }),
    TypeError,
    'a school-admin without a school is a mistake of the caller',
  )
})

async function rejects(t: Test, query: Promise<unknown>, sqlstate: string, name: string) {
  await query.then(
    () => t.fail(`${name}: accepted`),
    (error: { code?: string }) => t.equal(error.code, sqlstate, name),
  )
}

t.test('the database refuses what the repository would, when it is bypassed', async (t) => {
  const insert = (accountId: string, role: OperatorRole, region: string, school: string | null) =>
    sql`insert into operator_role (account_id, role, region, school_id, granted_by)
      values (${accountId}::uuid, ${role}, ${region}, ${school}::uuid, 'operator:raw')`.execute(db)
  await rejects(t, insert(pupilB, 'support', '29', null), '23514', "a pupil's role")
  await rejects(t, insert(parent, 'region-operator', '29', null), '23514', "a parent's role")
  await rejects(t, insert(teacher78, 'support', '29', null), '23514', 'a role of another region than the account')
  await rejects(t, insert(teacher, 'school-admin', '29', school78), '23503', 'a school of another region')
  await rejects(t, insert(teacher, 'school-admin', '29', null), '23514', 'a school-admin without a school')
  await rejects(t, insert(staff, 'support', '29', school29a), '23514', 'a region role with a school')
  await rejects(t, insert(staff, 'support', '29', null), '23505', 'the same region role twice')
  await rejects(t, insert(teacher, 'school-admin', '29', school29a), '23505', 'the same school twice')
  await rejects(
    t,
    sql`update operator_role set account_id = ${pupilA}::uuid where account_id = ${staff}::uuid`.execute(db),
    '23514',
    'nor by an update',
  )
})

t.test('scope: schools, regions and support regions of an active account', async (t) => {
  t.same(await findOperatorScope(db, teacher), {
    accountId: teacher,
    schools: [school29a, school29b].sort().map((id) => ({ id, region: '29' })),
    regions: [],
    supportRegions: [],
  })
  t.same(await findOperatorScope(db, staff), {
    accountId: staff,
    schools: [],
    regions: ['29'],
    supportRegions: ['29'],
  })
  t.equal(await findOperatorScope(db, pupilA), undefined, 'no role, no scope')
  t.equal(await findOperatorScope(db, 'not-a-uuid'), undefined)
})

t.test('the scope in the SQL returns only the accounts in scope', async (t) => {
  const scoped = async (accountId: string) => {
    const scope = await findOperatorScope(db, accountId)
    if (scope === undefined) throw new Error('no scope')
    const rows = await db
      .selectFrom('diary_account as a')
      .select('a.login')
      .where(accountInScopeSql(scope, 'a'))
      .orderBy('a.login')
      .execute()
    return rows.map((row) => row.login)
  }
  await grantOperatorRole(db, {
    accountId: teacher78,
    role: 'school-admin',
    region: '78',
    schoolId: school78,
    grantedBy: by,
  })
  t.same(await scoped(teacher78), ['pupil.c', 'teacher.c'], 'a school of region 78: its accounts only')
  t.same(
    await scoped(staff),
    ['leaver.d', 'parent.a', 'pupil.a', 'pupil.b', 'staff.b', 'teacher.a'],
    'region 29: every account of it, none of 78',
  )
  await revokeOperatorRole(db, { accountId: teacher, role: 'school-admin', region: '29', schoolId: school29b })
  t.same(await scoped(teacher), ['leaver.d', 'parent.a', 'pupil.a', 'teacher.a'], 'one school of region 29')
  t.ok(pupil78)
})

t.test('revoke takes one role away, audited; list filters by region, school and account', async (t) => {
  t.same(
    (await listOperatorRoles(db, { region: '29' })).map((grant) => [grant.login, grant.role, grant.schoolName]),
    [
      ['staff.b', 'region-operator', null],
      ['staff.b', 'support', null],
      ['teacher.a', 'school-admin', 'Школа № 1'],
    ],
  )
  t.same(
    (await listOperatorRoles(db, { schoolId: school78 })).map((grant) => grant.login),
    ['teacher.c'],
  )
  t.same(
    (await listOperatorRoles(db, { accountId: staff })).map((grant) => grant.role),
    ['region-operator', 'support'],
  )
  const revoked = await revokeOperatorRole(db, { accountId: staff, role: 'support', region: '29', schoolId: null })
  t.match(revoked, { login: 'staff.b', role: 'support', schoolId: null, grantedBy: by })
  t.equal(
    await revokeOperatorRole(db, { accountId: staff, role: 'support', region: '29', schoolId: null }),
    undefined,
    'twice: nothing to revoke',
  )
  t.same((await findOperatorScope(db, staff))?.supportRegions, [])
  const audit = await db
    .selectFrom('audit_event')
    .select(['account_id', 'details'])
    .where('type', '=', 'operator_revoked')
    .orderBy('id')
    .execute()
  t.same(audit, [
    { account_id: teacher, details: { role: 'school-admin', schoolId: school29b } },
    { account_id: staff, details: { role: 'support', schoolId: null } },
  ])
})

t.test('the roles follow the account: kept while deactivated, gone when it is a pupil or erased', async (t) => {
  await db
    .updateTable('diary_account')
    .set({ state: 'deactivated', deactivated_at: new Date(), deactivated_by: 'import' })
    .where('id', '=', staff)
    .execute()
  t.equal(await findOperatorScope(db, staff), undefined, 'a deactivated account has no scope')
  t.equal((await listOperatorRoles(db, { accountId: staff })).length, 1, 'but keeps its role')
  await db
    .updateTable('diary_account')
    .set({ state: 'active', deactivated_at: null, deactivated_by: null })
    .where('id', '=', staff)
    .execute()
  t.same((await findOperatorScope(db, staff))?.regions, ['29'], 'reactivated: the role is back')
  await db.updateTable('diary_account').set({ role: 'pupil' }).where('id', '=', staff).execute()
  t.same(await listOperatorRoles(db, { accountId: staff }), [], 'a pupil now: its roles are gone')
  await db
    .updateTable('diary_account')
    .set({ state: 'erased', deactivated_at: new Date(), deactivated_by: 'operator:anna' })
    .where('id', '=', teacher)
    .execute()
  t.same(await listOperatorRoles(db, { accountId: teacher }), [], 'erased: its roles are gone')
})

t.test('a school admin who moves to another school is no longer the admin of the one she left', async (t) => {
  const mover = await account('mover.e', 'teacher', '29', school29a)
  for (const school of [school29a, school29b])
    await grantOperatorRole(db, {
      accountId: mover,
      role: 'school-admin',
      region: '29',
      schoolId: school,
      grantedBy: by,
    })
  await grantOperatorRole(db, { accountId: mover, role: 'support', region: '29', schoolId: null, grantedBy: by })
  t.ok(await holdsOperatorRole(db, mover))
  await db.updateTable('diary_account').set({ school_id: school29b }).where('id', '=', mover).execute()
  t.same(
    (await listOperatorRoles(db, { accountId: mover })).map((grant) => [grant.role, grant.schoolId]).sort(),
    [
      ['school-admin', school29b],
      ['support', null],
    ],
    'the admin role of the school she left is gone; the others stay',
  )
  await db
    .updateTable('diary_account')
    .set({ state: 'deactivated', deactivated_at: new Date(), deactivated_by: 'import' })
    .where('id', '=', mover)
    .execute()
  t.ok(await holdsOperatorRole(db, mover), 'a deactivated operator still holds its roles (for holdsOperatorRole)')
})

t.test('the migration goes down and up again', async (t) => {
  const { Migrator } = await import('kysely')
  const { migrations } = await import('../../migrations/index.js')
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } })
  t.equal((await migrator.migrateTo('0016-second-factors')).error, undefined, 'down')
  const tables = await sql<{
    n: number
  }>`select count(*)::int as n from pg_tables where tablename = 'operator_role'`.execute(db)
  t.equal(tables.rows[0]?.n, 0, 'the table is gone')
  await t.resolves(
    db.updateTable('diary_account').set({ role: 'teacher' }).where('id', '=', staff).execute(),
    'no trigger left',
  )
  t.equal((await migrator.migrateToLatest()).error, undefined, 'up again')
})
