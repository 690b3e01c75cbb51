import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { openCliWorld } from '../helpers/cli-world.js'

const world = await openCliWorld(t)
const { db, cli, accountOf, addSession, sessionRow, familyRow, auditOf } = world
const hash = '$argon2id$v=19$m=19456,t=2,p=1$OY8bvtuP377263MSX8dVkg$yekfivYle/C0N55zFYEPWXUtgh6HQzlDDmqkzBM3szY'
const now = new Date('2026-12-01T09:00:00.000Z')
const dir = t.testdir({})
const header = 'login,password_hash,role,family_name,given_name,school,school_id,external_id,active'
const lyceum = 'Лицей № 2'
const pupils = Array.from({ length: 20 }, (_, index) => `lyc${String(index + 1).padStart(2, '0')}`)

/** A row of a Лицей № 2 pupil (letters only in names: the number goes into the given name as letters). */
const row = (login: string, columns: { externalId?: string; active?: string } = {}) =>
  `${login},"${hash}",pupil,Лицеист,${'Абвгдежзийклмнопрстуфхцчшщ'[Number(login.slice(3)) % 26]}н,${lyceum},L2,${columns.externalId ?? ''},${columns.active ?? ''}`

function writeCsv(name: string, rows: string[]): string {
  const file = join(dir, name)
  writeFileSync(file, [header, ...rows].join('\n'))
  return file
}

const importFile = (file: string, ...flags: string[]) =>
  cli(['accounts', 'import', file, '--region', '29', ...flags], { now })

/** Every row the import could touch, to compare before and after. */
async function snapshot() {
  return {
    accounts: await db.selectFrom('diary_account').selectAll().orderBy('id').execute(),
    schools: await db.selectFrom('school').selectAll().orderBy('id').execute(),
    sessions: await db.selectFrom('login_session').selectAll().orderBy('id').execute(),
    families: await db.selectFrom('token_family').selectAll().orderBy('id').execute(),
    audit: await db.selectFrom('audit_event').select(['id', 'type']).orderBy('id').execute(),
  }
}

const activeLogins = async (school: string) =>
  (
    await db
      .selectFrom('diary_account')
      .innerJoin('school', 'school.id', 'diary_account.school_id')
      .select('login')
      .where('school.name', '=', school)
      .where('state', '=', 'active')
      .orderBy('login')
      .execute()
  ).map((account) => account.login)

t.test('the school of the lyceum, with the diary ids of its school and accounts', async (t) => {
  const run = await importFile(
    writeCsv(
      'lyceum.csv',
      pupils.map((login) => row(login, { externalId: `ext-${login}` })),
    ),
  )
  t.equal(run.code, 0, run.all)
  t.ok(run.stdout.includes(`school "${lyceum}": 20 created, 0 updated, 0 deactivated, 0 reactivated`), run.all)
  t.match(await accountOf('lyc01'), { external_id: 'ext-lyc01', state: 'active' })
  const school = await db.selectFrom('school').selectAll().where('name', '=', lyceum).executeTakeFirstOrThrow()
  t.equal(school.diary_id, 'L2', "the school_id column is the diary's id of the school")
})

t.test(
  'active=false: a new account is created deactivated; an existing one is deactivated, then reactivated',
  async (t) => {
    const run = await importFile(
      writeCsv('inactive.csv', [
        row('lyc21', { active: 'false' }),
        row('lyc05', { externalId: 'ext-lyc05', active: 'нет' }),
      ]),
    )
    t.equal(run.code, 0, run.all)
    t.ok(run.stdout.includes(`school "${lyceum}": 1 created, 0 updated, 2 deactivated, 0 reactivated`), run.all)
    t.ok(run.stdout.includes('  deactivated: lyc05, lyc21'), run.all)
    for (const login of ['lyc21', 'lyc05']) {
      t.match(await accountOf(login), {
        state: 'deactivated',
        deactivated_by: 'import',
        deactivated_reason: 'inactive in the import of 2026-12-01',
      })
      t.equal((await auditOf(login, 'account_deactivated')).length, 1, `${login}: audited`)
    }

    const back = await importFile(writeCsv('active.csv', [row('lyc05', { externalId: 'ext-lyc05', active: 'да' })]))
    t.equal(back.code, 0, back.all)
    t.ok(back.stdout.includes('  reactivated: lyc05'), back.all)
    t.match(await accountOf('lyc05'), { state: 'active', deactivated_at: null })
    t.match(await auditOf('lyc05', 'account_reactivated'), [{ details: { by: 'import' } }])

    const bad = await importFile(writeCsv('bad-active.csv', [row('lyc06', { active: 'perhaps' })]))
    t.equal(bad.code, 2)
    t.ok(bad.stdout.includes('  line 2: active: must be true or false (1 or 0, да or нет); empty is true'), bad.all)
    t.notMatch(bad.all, 'perhaps', 'the value is never printed')
  },
)

t.test("external_id: twice in the file, or another login's already, is a row problem; the rest imports", async (t) => {
  const before = await accountOf('lyc02')
  const run = await importFile(
    writeCsv('clash.csv', [
      row('lyc02', { externalId: 'ext-lyc01' }),
      row('lyc22', { externalId: 'ext-new' }),
      row('lyc23', { externalId: 'ext-new' }),
    ]),
  )
  t.equal(run.code, 2)
  t.ok(run.stdout.includes('  line 2: external_id: already belongs to account "lyc01" of this region'), run.all)
  t.ok(run.stdout.includes('  line 4: external_id: the same external_id is on line 3'), run.all)
  t.notMatch(run.all, /ext-/, 'the values are never printed')
  t.same(await accountOf('lyc02'), before, 'the refused row changed nothing')
  t.match(await accountOf('lyc22'), { external_id: 'ext-new' })
  await db.deleteFrom('diary_account').where('login', '=', 'lyc22').execute()
})

t.test('--sync school --dry-run prints what would change and changes nothing', async (t) => {
  const file = writeCsv(
    'sync.csv',
    pupils.filter((login) => login !== 'lyc20').map((login) => row(login, { externalId: `ext-${login}` })),
  )
  const before = await snapshot()
  const run = await importFile(file, '--sync', 'school', '--dry-run')
  t.equal(run.code, 0, run.all)
  t.equal(run.stdout[0], 'dry run: nothing was changed; the import would do this:')
  t.ok(run.stdout.includes(`school "${lyceum}": 0 created, 0 updated, 1 deactivated, 0 reactivated`), run.all)
  t.ok(run.stdout.includes('  deactivated: lyc20'), run.all)
  t.same(await snapshot(), before, 'no row of any table changed')
})

t.test('--sync school deactivates the unlisted accounts of the schools in the file, and only those', async (t) => {
  const { sessionId, familyId } = await addSession('lyc20', { method: 'password' })
  const otherSchools = [await activeLogins('Школа № 1'), await activeLogins('Гимназия № 6')]
  const run = await importFile(join(dir, 'sync.csv'), '--sync', 'school')
  t.equal(run.code, 0, run.all)
  t.ok(run.stdout.includes('  deactivated: lyc20'), run.all)
  t.match(await accountOf('lyc20'), {
    state: 'deactivated',
    deactivated_by: 'import',
    deactivated_reason: 'not in the import of 2026-12-01',
  })
  t.match(await sessionRow(sessionId), { ended_reason: 'deactivated' })
  t.not((await sessionRow(sessionId)).ended_at, null, 'the session ended')
  t.not((await familyRow(familyId)).revoked_at, null, 'its refresh tokens are revoked')
  t.match(await auditOf('lyc20', 'account_deactivated'), [{ details: { by: 'import', sessions_ended: 1 } }])
  t.same([await activeLogins('Школа № 1'), await activeLogins('Гимназия № 6')], otherSchools, 'other schools untouched')
  t.equal((await activeLogins(lyceum)).length, 19, 'the 19 listed; lyc20 and lyc21 not')
})

t.test('the 10 % rule: refused before anything changes, passes with --allow-mass-deactivation', async (t) => {
  const file = writeCsv(
    'short.csv',
    pupils.slice(0, 15).map((login) => row(login, { externalId: `ext-${login}` })),
  )
  const before = await snapshot()
  for (const flags of [[], ['--dry-run']]) {
    const refused = await importFile(file, '--sync', 'school', ...flags)
    t.equal(refused.code, 1, `refused ${flags.join(' ')}`)
    t.same(refused.stdout, [])
    t.match(
      refused.stderr[0],
      /^--sync school refused, nothing was changed: it would deactivate 4 of the 19 active accounts of school "Лицей № 2" \(21 %\), more than 10 %$/,
    )
    t.match(refused.stderr.at(-1), /--allow-mass-deactivation/)
  }
  t.same(await snapshot(), before, 'nothing changed')

  const allowed = await importFile(file, '--sync', 'school', '--allow-mass-deactivation')
  t.equal(allowed.code, 0, allowed.all)
  t.same(await activeLogins(lyceum), pupils.slice(0, 15))
})

t.test('--sync takes only "school"; --allow-mass-deactivation only with it', async (t) => {
  const file = join(dir, 'sync.csv')
  const wrong = await importFile(file, '--sync', 'class')
  t.equal(wrong.code, 1)
  t.same(wrong.stderr, ['--sync takes "school" (the only kind of sync), not "class"'])
  const alone = await importFile(file, '--allow-mass-deactivation')
  t.equal(alone.code, 1)
  t.same(alone.stderr, ['--allow-mass-deactivation goes with --sync school'])
})
