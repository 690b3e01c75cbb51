/*
 * `operators grant | list | revoke` on the demo accounts of region 29 (kuznetsova.e is the one teacher):
 * what is printed, the rows and audit events written, and every refusal, which writes nothing.
 */
import t from 'tap'
import { openCliWorld } from '../helpers/cli-world.js'
import { schoolId } from '../helpers/schools.js'

const { db, cli, accountOf, auditOf } = await openCliWorld(t)
const now = new Date('2026-12-01T09:00:00.000Z')
const school1 = await schoolId(db, '29', 'Школа № 1')
const gymnasium = await schoolId(db, '29', 'Гимназия № 6')
await db.updateTable('school').set({ diary_id: 'SCH-6' }).where('id', '=', gymnasium).execute()
const lyceum = await schoolId(db, '78', 'Лицей № 239')

async function roles() {
  return db
    .selectFrom('operator_role')
    .select(['role', 'region', 'school_id', 'granted_by', 'reason'])
    .orderBy('granted_at')
    .execute()
}

t.test('grant a school by its name, its diary id or its id; again is nothing', async (t) => {
  const byName = await cli(
    [
      'operators',
      'grant',
      'kuznetsova.e',
      '--region',
      '29',
      '--role',
      'school-admin',
      '--school',
      'Школа № 1',
      '--operator',
      'Петрова',
      '--reason',
      'head of studies',
    ],
    { now },
  )
  t.equal(byName.code, 0, byName.all)
  t.same(byName.stdout, ['kuznetsova.e (29) is now school-admin of Школа № 1'])
  const byDiaryId = await cli([
    'operators',
    'grant',
    'kuznetsova.e',
    '--region',
    '29',
    '--role',
    'school-admin',
    '--school',
    'SCH-6',
    '--operator',
    'Петрова',
  ])
  t.same(byDiaryId.stdout, ['kuznetsova.e (29) is now school-admin of Гимназия № 6'], byDiaryId.all)
  const again = await cli([
    'operators',
    'grant',
    'kuznetsova.e',
    '--region',
    '29',
    '--role',
    'school-admin',
    '--school',
    school1,
    '--operator',
    'Иванов',
  ])
  t.equal(again.code, 0, again.all)
  t.match(again.stdout, [
    /^kuznetsova\.e \(29\) is school-admin of Школа № 1 already \(since .*, by operator:Петрова\): nothing changed$/,
  ])
  const region = await cli([
    'operators',
    'grant',
    'kuznetsova.e',
    '--region',
    '29',
    '--role',
    'support',
    '--operator',
    'Петрова',
  ])
  t.same(region.stdout, ['kuznetsova.e (29) is now support of region 29'], region.all)
  t.same(await roles(), [
    {
      role: 'school-admin',
      region: '29',
      school_id: school1,
      granted_by: 'operator:Петрова',
      reason: 'head of studies',
    },
    { role: 'school-admin', region: '29', school_id: gymnasium, granted_by: 'operator:Петрова', reason: null },
    { role: 'support', region: '29', school_id: null, granted_by: 'operator:Петрова', reason: null },
  ])
  t.same(
    (await auditOf('kuznetsova.e', 'operator_granted')).map((event) => event.details),
    [
      { role: 'school-admin', schoolId: school1 },
      { role: 'school-admin', schoolId: gymnasium },
      { role: 'support', schoolId: null },
    ],
  )
})

t.test('list: a table of the roles, filtered by region or school', async (t) => {
  const all = await cli(['operators', 'list'])
  t.equal(all.code, 0, all.all)
  t.match(all.stdout[0], /^LOGIN\s+ROLE\s+REGION\s+SCHOOL\s+GRANTED BY\s+WHEN$/)
  t.equal(all.stdout.length, 4)
  t.match(
    all.stdout[1],
    /^kuznetsova\.e\s+school-admin\s+29\s+Гимназия № 6\s+operator:Петрова\s+\d{4}-\d\d-\d\dT[\d:]+Z$/,
  )
  t.match(all.stdout[3], /^kuznetsova\.e\s+support\s+29\s+—\s+operator:Петрова/)
  const school = await cli(['operators', 'list', '--region', '29', '--school', 'Школа № 1'])
  t.equal(school.stdout.length, 2, school.all)
  t.match(school.stdout[1], /Школа № 1/)
  t.same((await cli(['operators', 'list', '--region', '78'])).stdout, ['no console roles'])
  const noRegion = await cli(['operators', 'list', '--school', 'SCH-6'])
  t.equal(noRegion.code, 1)
  t.match(noRegion.stderr, [/--school needs --region R/])
})

t.test('refusals say why and write nothing', async (t) => {
  const before = { roles: await roles(), audit: await db.selectFrom('audit_event').select('id').execute() }
  const cases: [string, string[], RegExp][] = [
    [
      'an unknown login',
      ['grant', 'nobody', '--region', '29', '--role', 'support'],
      /^no account with login "nobody" in region 29$/,
    ],
    [
      'a pupil',
      ['grant', 'ivanova.m', '--region', '29', '--role', 'support'],
      /^only teacher or staff accounts may hold a console role: ivanova\.m \(29\) is a pupil$/,
    ],
    [
      'a parent',
      ['grant', 'ivanov.p', '--region', '29', '--role', 'school-admin', '--school', 'Школа № 1'],
      /^only teacher or staff accounts may hold a console role: ivanov\.p \(29\) is a parent$/,
    ],
    [
      'an unknown school',
      ['grant', 'kuznetsova.e', '--region', '29', '--role', 'school-admin', '--school', 'Школа № 99'],
      /^no school "Школа № 99" in region 29 \(see schools list --region 29\)$/,
    ],
    [
      'a school of another region',
      ['grant', 'kuznetsova.e', '--region', '29', '--role', 'school-admin', '--school', lyceum],
      /^no school ".*" in region 29/,
    ],
    [
      'a school-admin without --school',
      ['grant', 'kuznetsova.e', '--region', '29', '--role', 'school-admin'],
      /^operators grant: a school-admin needs --school ID/,
    ],
    [
      '--school for a region role',
      ['grant', 'kuznetsova.e', '--region', '29', '--role', 'region-operator', '--school', 'SCH-6'],
      /^operators grant: --school is for a school-admin only/,
    ],
    [
      'an unknown role',
      ['grant', 'kuznetsova.e', '--region', '29', '--role', 'admin'],
      /^operators grant: unknown role "admin"; one of school-admin, region-operator, support$/,
    ],
    [
      'no --operator',
      ['grant', 'kuznetsova.e', '--region', '29', '--role', 'support'],
      /^operators grant: --operator NAME is required/,
    ],
    [
      'revoke: an unknown role',
      ['revoke', 'kuznetsova.e', '--region', '29', '--role', 'owner'],
      /^operators revoke: unknown role "owner"/,
    ],
    ['an unknown region', ['grant', 'kuznetsova.e', '--region', '99', '--role', 'support'], /^unknown region "99"/],
  ]
  for (const [why, args, message] of cases) {
    const withOperator = why === 'no --operator' ? args : [...args, '--operator', 'Петрова']
    const run = await cli(['operators', ...withOperator])
    t.equal(run.code, 1, `${why}: exit 1`)
    t.match(run.stderr[0], message, why)
  }
  await db
    .updateTable('diary_account')
    .set({ state: 'deactivated', deactivated_at: now, deactivated_by: 'import' })
    .where('login', '=', 'kuznetsova.e')
    .execute()
  const inactive = await cli([
    'operators',
    'grant',
    'kuznetsova.e',
    '--region',
    '29',
    '--role',
    'region-operator',
    '--operator',
    'Петрова',
  ])
  t.equal(inactive.code, 1)
  t.same(inactive.stderr, ['kuznetsova.e (29) is deactivated: reactivate it first (accounts reactivate)'])
  await db
    .updateTable('diary_account')
    .set({ state: 'active', deactivated_at: null, deactivated_by: null })
    .where('login', '=', 'kuznetsova.e')
    .execute()
  t.same({ roles: await roles(), audit: await db.selectFrom('audit_event').select('id').execute() }, before)
})

t.test('revoke takes one role away, audited', async (t) => {
  const teacher = await accountOf('kuznetsova.e')
  const revoked = await cli([
    'operators',
    'revoke',
    'kuznetsova.e',
    '--region',
    '29',
    '--role',
    'school-admin',
    '--school',
    'SCH-6',
    '--operator',
    'Петрова',
  ])
  t.equal(revoked.code, 0, revoked.all)
  t.same(revoked.stdout, ['kuznetsova.e (29) is no longer school-admin of Гимназия № 6'])
  const again = await cli([
    'operators',
    'revoke',
    'kuznetsova.e',
    '--region',
    '29',
    '--role',
    'school-admin',
    '--school',
    'SCH-6',
    '--operator',
    'Петрова',
  ])
  t.same(again.stdout, ['kuznetsova.e (29) is not school-admin of Гимназия № 6: nothing changed'])
  const support = await cli([
    'operators',
    'revoke',
    'kuznetsova.e',
    '--region',
    '29',
    '--role',
    'support',
    '--operator',
    'Петрова',
  ])
  t.same(support.stdout, ['kuznetsova.e (29) is no longer support of region 29'])
  t.same(
    (await roles()).map((row) => row.school_id),
    [school1],
  )
  t.same(
    (await auditOf('kuznetsova.e', 'operator_revoked')).map((event) => [event.account_id, event.details]),
    [
      [teacher.id, { role: 'school-admin', schoolId: gymnasium }],
      [teacher.id, { role: 'support', schoolId: null }],
    ],
  )
})

t.test('--help lists the commands under their group', async (t) => {
  const help = await cli(['--help'])
  const at = help.stdout.indexOf('Console roles (docs/accounts.md):')
  t.ok(at > 0, help.all)
  t.same(help.stdout.slice(at + 1, at + 4), [
    '  diary-bridge operators grant LOGIN --region R --role ROLE [--school ID] --operator NAME [--reason TEXT]',
    '  diary-bridge operators list [--region R] [--school ID]',
    '  diary-bridge operators revoke LOGIN --region R --role ROLE [--school ID] --operator NAME',
  ])
})
