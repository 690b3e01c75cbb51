import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import t from 'tap'
import { importAccounts } from '../../../src/accounts/import/import-accounts.js'
import { createPasswordHasher } from '../../../src/accounts/password-hash.js'
import { hmacSnils } from '../../../src/person/snils.js'
import { openTestDatabase } from '../../helpers/test-database.js'

const pepper = Buffer.alloc(32, 7)
const hasher = createPasswordHasher({ workers: 2, maxQueue: Number.POSITIVE_INFINITY })
t.teardown(() => hasher.close())
const { db } = await openTestDatabase(t)
const header = 'login,password,role,family_name,given_name,patronymic,birth_date,snils,school,class'

function writeCsv(rows: string[]): string {
  const file = join(t.testdir(), 'accounts.csv')
  writeFileSync(file, [header, ...rows].join('\n'))
  return file
}

const importCsv = (file: string, region = '29') =>
  importAccounts(db, { file, format: 'csv', region, snilsPepper: pepper, hasher, batchSize: 3 })

const goodRows = [
  'ivanova.m,temp-pass-1,pupil,Иванова,Мария,Петровна,14.03.2012,112-233-445 95,Школа № 1,7А',
  'Ivanov.P,temp-pass-2,parent,Иванов,Пётр,Сергеевич,1984-07-02,123 456 789 64,Школа № 1,',
  'smirnov.a,temp-pass-3,pupil,Смирнов,Алексей,,2011-11-30,,Гимназия № 6,8Б',
  'kuznetsova.e,temp-pass-4,teacher,Кузнецова,Елена,Викторовна,,98765432183,Школа № 1,',
]
const badRows = [
  'bad.snils,temp-pass-5,pupil,Орлов,Иван,,2012-01-01,112-233-445 96,,', // line 6
  'ivanova.m,temp-pass-6,pupil,Другая,Мария,,2012-01-01,,,', // line 7: login again
  'twin,temp-pass-7,pupil,Двойник,Иван,,2012-01-01,112-233-445 95,,', // line 8: SNILS again
  'no.role,temp-pass-8,,Без,Роли,,,,,', // line 9
]

t.test('good rows import, bad rows are listed by line with reasons', async (t) => {
  const report = await importCsv(writeCsv([...goodRows, ...badRows]))
  t.match(report, {
    rows: 8,
    created: 4,
    updated: 0,
    unchanged: 0,
    rejected: [
      { line: 6, problems: ['snils: check number does not match'] },
      { line: 7, problems: ['login: the same login is on line 2'] },
      { line: 8, problems: ['snils: the same SNILS is on line 2'] },
      { line: 9, problems: ['role: is required'] },
    ],
  })
  const accounts = await db
    .selectFrom('diary_account')
    .selectAll('diary_account')
    .select((eb) =>
      eb.selectFrom('school').select('name').whereRef('school.id', '=', 'diary_account.school_id').as('school'),
    )
    .orderBy('login')
    .execute()
  t.same(
    accounts.map((a) => a.login),
    ['ivanov.p', 'ivanova.m', 'kuznetsova.e', 'smirnov.a'],
  )
  const maria = accounts.find((a) => a.login === 'ivanova.m')
  t.match(maria, {
    region: '29',
    role: 'pupil',
    family_name: 'Иванова',
    given_name: 'Мария',
    patronymic: 'Петровна',
    birth_date: '2012-03-14',
    snils_hmac: hmacSnils(pepper, '11223344595'),
    snils_last4: '4595',
    school: 'Школа № 1',
    class_name: '7А',
    must_change_password: true,
  })
  t.ok(await hasher.verify(maria?.password_hash as string, 'temp-pass-1'), 'the initial password is hashed')
  t.match(maria?.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
  t.equal(accounts.find((a) => a.login === 'smirnov.a')?.snils_hmac, null)
})

t.test('no SNILS or password in clear anywhere in the database', async (t) => {
  const dump = await sql<{ row: string }>`
    select row_to_json(a)::text as row from diary_account a
    union all select row_to_json(e)::text from audit_event e`.execute(db)
  const text = dump.rows.map((r) => r.row).join('\n')
  for (const secret of ['11223344595', '112-233-445', '12345678964', '98765432183', 'temp-pass']) {
    t.notOk(text.includes(secret), `no ${secret.startsWith('temp') ? 'password' : 'SNILS'} in clear`)
  }
})

t.test('re-importing the same file changes nothing', async (t) => {
  const before = await db
    .selectFrom('diary_account')
    .select(['login', 'updated_at', 'password_hash'])
    .orderBy('login')
    .execute()
  const report = await importCsv(writeCsv([...goodRows, ...badRows]))
  t.match(report, { rows: 8, created: 0, updated: 0, unchanged: 4 })
  t.equal(report.rejected.length, 4)
  const after = await db
    .selectFrom('diary_account')
    .select(['login', 'updated_at', 'password_hash'])
    .orderBy('login')
    .execute()
  t.same(after, before)
})

t.test('a changed row updates its fields but never the password', async (t) => {
  const before = await db
    .selectFrom('diary_account')
    .selectAll()
    .where('login', '=', 'ivanova.m')
    .executeTakeFirstOrThrow()
  const report = await importCsv(
    writeCsv(['ivanova.m,another-pass,pupil,Иванова,Мария,Петровна,14.03.2012,112-233-445 95,Школа № 1,8А']),
  )
  t.match(report, { created: 0, updated: 1, unchanged: 0, rejected: [] })
  const after = await db
    .selectFrom('diary_account')
    .selectAll()
    .where('login', '=', 'ivanova.m')
    .executeTakeFirstOrThrow()
  t.equal(after.class_name, '8А')
  t.equal(after.password_hash, before.password_hash)
  t.equal(after.id, before.id, 'the account id (token sub) is stable')
})

t.test('a SNILS that belongs to another account of the region is refused; other regions are separate', async (t) => {
  const file = writeCsv(['newcomer,temp-pass-9,pupil,Новиков,Иван,,2012-01-01,112-233-445 95,,'])
  t.same((await importCsv(file)).rejected, [
    { line: 2, problems: ['snils: already belongs to account "ivanova.m" of this region'] },
  ])
  t.match(await importCsv(file, '78'), { created: 1, rejected: [] })
})

t.test('imported argon2id hashes are kept and are not temporary', async (t) => {
  const hash = '$argon2id$v=19$m=19456,t=2,p=1$OY8bvtuP377263MSX8dVkg$yekfivYle/C0N55zFYEPWXUtgh6HQzlDDmqkzBM3szY'
  const file = join(t.testdir(), 'a.jsonl')
  writeFileSync(
    file,
    `${JSON.stringify({ login: 'hashed', password_hash: hash, role: 'staff', family_name: 'Хэш', given_name: 'Иван' })}\n`,
  )
  t.match(await importAccounts(db, { file, format: 'jsonl', region: '29', snilsPepper: pepper, hasher }), {
    created: 1,
  })
  t.match(await db.selectFrom('diary_account').selectAll().where('login', '=', 'hashed').executeTakeFirst(), {
    password_hash: hash,
    must_change_password: false,
  })
})

t.test('every import is an audit event with counts only', async (t) => {
  const events = await db
    .selectFrom('audit_event')
    .selectAll()
    .where('type', '=', 'accounts_import')
    .orderBy('id')
    .execute()
  t.equal(events.length, 6)
  t.match(events[0], {
    outcome: 'partial',
    region: '29',
    details: { rows: 8, created: 4, updated: 0, unchanged: 0, rejected: 4 },
  })
  t.match(events[5], { outcome: 'success', details: { created: 1 } })
})

t.test('a move to another school of the region keeps the account and its sessions, and is audited', async (t) => {
  const before = await db
    .selectFrom('diary_account')
    .select(['id', 'school_id'])
    .where('region', '=', '29')
    .where('login', '=', 'smirnov.a')
    .executeTakeFirstOrThrow()
  const session = await db
    .insertInto('login_session')
    .values({ account_id: before.id, method: 'password', expires_at: new Date(Date.now() + 3_600_000) })
    .returning('id')
    .executeTakeFirstOrThrow()
  await importCsv(writeCsv(['smirnov.a,temp-pass-3,pupil,Смирнов,Алексей,,2011-11-30,,Лицей № 2,8Б']))
  const after = await db
    .selectFrom('diary_account')
    .select(['id', 'school_id'])
    .where('region', '=', '29')
    .where('login', '=', 'smirnov.a')
    .executeTakeFirstOrThrow()
  t.equal(after.id, before.id, 'the same account')
  t.not(after.school_id, before.school_id, 'at the new school')
  const ended = await db
    .selectFrom('login_session')
    .select('ended_at')
    .where('id', '=', session.id)
    .executeTakeFirstOrThrow()
  t.equal(ended.ended_at, null, 'the session goes on')
  const moved = await db
    .selectFrom('audit_event')
    .select(['details'])
    .where('type', '=', 'account_moved')
    .where('account_id', '=', before.id)
    .executeTakeFirstOrThrow()
  t.same(moved.details, { by: 'import', from_school: before.school_id, to_school: after.school_id }, 'ids only')
})
