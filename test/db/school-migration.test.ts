/*
 * Migration 0015 turns the free-text school of each account into a school record of its region, losing
 * none: the same text (up to surrounding spaces) in a region is one school, the same text in two regions
 * two schools, blank text no school; down restores the text. Every later change of an account row
 * counts a new version (the database's trigger).
 */
import { Migrator, sql } from 'kysely'
import t from 'tap'
import { migrations } from '../../migrations/index.js'
import { openTestDatabase } from '../helpers/test-database.js'

const { db } = await openTestDatabase(t, { migrate: false })
const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve(migrations) } })

const insert = (region: string, login: string, school: string | null) =>
  sql`insert into diary_account (region, login, role, family_name, given_name, school)
      values (${region}, ${login}, 'pupil', 'Иванова', 'Мария', ${school})`.execute(db)

t.test('free text becomes school records, and comes back down', async (t) => {
  const before = await migrator.migrateTo('0014-access-token-lifetimes')
  t.equal(before.error, undefined)
  await insert('29', 'a', 'Школа № 1')
  await insert('29', 'b', '  Школа № 1 ')
  await insert('29', 'c', 'Гимназия № 6')
  await insert('29', 'd', '   ')
  await insert('29', 'e', null)
  await insert('78', 'f', 'Школа № 1')

  const up = await migrator.migrateTo('0015-account-lifecycle')
  t.equal(up.error, undefined, 'migrated up')
  const schools = await sql<{ region: string; name: string; diary_id: string | null }>`
    select region, name, diary_id from school order by region, name`.execute(db)
  t.same(schools.rows, [
    { region: '29', name: 'Гимназия № 6', diary_id: null },
    { region: '29', name: 'Школа № 1', diary_id: null },
    { region: '78', name: 'Школа № 1', diary_id: null },
  ])
  const accounts = await sql<{ login: string; region: string; name: string | null; state: string }>`
    select a.login, a.region, s.name, a.state from diary_account a left join school s on s.id = a.school_id
    order by a.login`.execute(db)
  t.same(accounts.rows, [
    { login: 'a', region: '29', name: 'Школа № 1', state: 'active' },
    { login: 'b', region: '29', name: 'Школа № 1', state: 'active' },
    { login: 'c', region: '29', name: 'Гимназия № 6', state: 'active' },
    { login: 'd', region: '29', name: null, state: 'active' },
    { login: 'e', region: '29', name: null, state: 'active' },
    { login: 'f', region: '78', name: 'Школа № 1', state: 'active' },
  ])
  const regionOfSchool = await sql<{ mismatched: number }>`
    select count(*)::int as mismatched from diary_account a join school s on s.id = a.school_id where s.region <> a.region`.execute(
    db,
  )
  t.equal(regionOfSchool.rows[0]?.mismatched, 0, 'every account points at a school of its own region')

  const version = async () =>
    Number(
      (await sql<{ version: string }>`select version from diary_account where login = 'a'`.execute(db)).rows[0]
        ?.version,
    )
  t.equal(await version(), 1)
  await sql`update diary_account set class_name = '7А' where login = 'a'`.execute(db)
  await sql`update diary_account set class_name = '7Б' where login = 'a'`.execute(db)
  t.equal(await version(), 3, 'each update counts a version')

  await sql`update diary_account set state = 'deactivated' where login = 'b'`.execute(db).then(
    () => t.fail('a deactivation without when and by whom was accepted'),
    (error: { code?: string }) => t.equal(error.code, '23514', 'a deactivation needs when and by whom'),
  )

  const down = await migrator.migrateTo('0014-access-token-lifetimes')
  t.equal(down.error, undefined, 'migrated down')
  const restored = await sql<{ login: string; school: string | null }>`
    select login, school from diary_account order by login`.execute(db)
  t.same(
    restored.rows.map((row) => row.school),
    ['Школа № 1', 'Школа № 1', 'Гимназия № 6', null, null, 'Школа № 1'],
    'down gives the names back (trimmed)',
  )
})
