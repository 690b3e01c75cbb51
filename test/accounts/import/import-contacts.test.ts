import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { importAccounts } from '../../../src/accounts/import/import-accounts.js'
import { writeContacts } from '../../../src/accounts/contacts.repository.js'
import { createPasswordHasher } from '../../../src/accounts/password-hash.js'
import { openTestDatabase } from '../../helpers/test-database.js'

const pepper = Buffer.alloc(32, 7)
const hasher = createPasswordHasher({ workers: 1 })
t.teardown(() => hasher.close())
const { db } = await openTestDatabase(t)
const hash = '$argon2id$v=19$m=19456,t=2,p=1$OY8bvtuP377263MSX8dVkg$yekfivYle/C0N55zFYEPWXUtgh6HQzlDDmqkzBM3szY'
const firstImport = new Date('2026-09-01T08:00:00.000Z')

function writeFile(name: string, lines: string[]): string {
  const file = join(t.testdir(), name)
  writeFileSync(file, `${lines.join('\n')}\n`)
  return file
}

function csv(header: string, rows: string[]): string {
  return writeFile('accounts.csv', [header, ...rows.map((row) => row.replace(/^(\S+?),/, `$1,"${hash}",`))])
}

const importCsv = (file: string, options: { contactsVerified?: boolean; now?: Date; region?: string } = {}) =>
  importAccounts(db, {
    file,
    format: 'csv',
    region: options.region ?? '29',
    snilsPepper: pepper,
    hasher,
    ...(options.contactsVerified === undefined ? {} : { contactsVerified: options.contactsVerified }),
    now: () => options.now ?? new Date(),
  })

const contactsOf = (login: string, region = '29') =>
  db
    .selectFrom('diary_account')
    .select(['email', 'email_verified_at', 'phone', 'phone_verified_at', 'updated_at'])
    .where('region', '=', region)
    .where('login', '=', login)
    .executeTakeFirstOrThrow()

const header = 'login,password_hash,role,family_name,given_name,email,phone'
const rows = [
  'ivanova.m,pupil,Иванова,Мария, Maria.Ivanova@Example.RU ,8 (916) 123-45-67',
  'ivanov.p,parent,Иванов,Пётр,IVANOV@ПОЧТА.РФ,',
  'smirnov.a,pupil,Смирнов,Алексей,,+49 151 1234 5678',
  'orlov.i,pupil,Орлов,Иван,,',
]

t.test('imported contacts are stored normalised and unverified', async (t) => {
  const report = await importCsv(csv(header, rows), { now: firstImport })
  t.match(report, { rows: 4, created: 4, updated: 0, unchanged: 0, rejected: [] })
  t.match(await contactsOf('ivanova.m'), {
    email: 'maria.ivanova@example.ru',
    email_verified_at: null,
    phone: '+79161234567',
    phone_verified_at: null,
  })
  t.match(await contactsOf('ivanov.p'), {
    email: 'ivanov@почта.рф',
    email_verified_at: null,
    phone: null,
    phone_verified_at: null,
  })
  t.match(await contactsOf('smirnov.a'), { email: null, phone: '+4915112345678', phone_verified_at: null })
  t.match(await contactsOf('orlov.i'), { email: null, email_verified_at: null, phone: null, phone_verified_at: null })
})

t.test('with contactsVerified, contacts are verified at the import time', async (t) => {
  const report = await importCsv(csv(header, rows), { contactsVerified: true, now: firstImport, region: '78' })
  t.match(report, { created: 4, rejected: [] })
  t.match(await contactsOf('ivanova.m', '78'), {
    email: 'maria.ivanova@example.ru',
    email_verified_at: firstImport,
    phone: '+79161234567',
    phone_verified_at: firstImport,
  })
  t.match(
    await contactsOf('orlov.i', '78'),
    { email_verified_at: null, phone_verified_at: null },
    'no contact, nothing verified',
  )
})

t.test('re-importing with empty cells, or without the columns, keeps the stored contacts', async (t) => {
  const before = await contactsOf('ivanova.m', '78')
  const emptyCells = await importCsv(csv(header, ['ivanova.m,pupil,Иванова,Мария,,']), { region: '78' })
  t.match(emptyCells, { rows: 1, created: 0, updated: 0, unchanged: 1, rejected: [] })
  const noColumns = await importCsv(
    csv('login,password_hash,role,family_name,given_name', ['ivanova.m,pupil,Иванова,Мария']),
    { contactsVerified: true, region: '78' },
  )
  t.match(noColumns, { rows: 1, created: 0, updated: 0, unchanged: 1, rejected: [] })
  t.same(await contactsOf('ivanova.m', '78'), before, 'both contacts stay verified, the row is not touched')
})

t.test('the same contacts again keep their verification; contactsVerified verifies the unverified ones', async (t) => {
  const same = await importCsv(csv(header, rows), { region: '78' })
  t.match(same, { created: 0, updated: 0, unchanged: 4 }, 'without the option the verified contacts stay verified')
  t.match(await contactsOf('ivanova.m', '78'), { email_verified_at: firstImport, phone_verified_at: firstImport })

  const later = new Date('2026-11-29T10:00:00.000Z')
  const verifying = await importCsv(csv(header, rows), { contactsVerified: true, now: later })
  t.match(verifying, { created: 0, updated: 3, unchanged: 1 }, 'three accounts of region 29 had unverified contacts')
  t.match(await contactsOf('ivanova.m'), {
    email: 'maria.ivanova@example.ru',
    email_verified_at: later,
    phone_verified_at: later,
    updated_at: later,
  })
  const again = await importCsv(csv(header, rows), {
    contactsVerified: true,
    now: new Date('2026-12-01T00:00:00.000Z'),
  })
  t.match(again, { updated: 0, unchanged: 4 })
  t.match(await contactsOf('ivanova.m'), { email_verified_at: later }, 'the first verification time stays')
})

t.test('a changed e-mail replaces the stored one and is unverified; the phone keeps its verification', async (t) => {
  const report = await importCsv(
    csv(header, ['ivanova.m,pupil,Иванова,Мария,mama.ivanovoy@example.ru,+7 916 123 45 67']),
    { region: '78' },
  )
  t.match(report, { rows: 1, created: 0, updated: 1, unchanged: 0, rejected: [] })
  t.match(await contactsOf('ivanova.m', '78'), {
    email: 'mama.ivanovoy@example.ru',
    email_verified_at: null,
    phone: '+79161234567',
    phone_verified_at: firstImport,
  })
})

t.test('a change of fields and of contacts in one row is one update', async (t) => {
  const report = await importCsv(
    csv('login,password_hash,role,family_name,given_name,phone', ['orlov.i,pupil,Орлов,Иван Ильич,89031112233']),
    { region: '78' },
  )
  t.match(report, { rows: 1, created: 0, updated: 1, unchanged: 0, rejected: [] })
  t.match(
    await db
      .selectFrom('diary_account')
      .selectAll()
      .where('region', '=', '78')
      .where('login', '=', 'orlov.i')
      .executeTakeFirst(),
    {
      given_name: 'Иван Ильич',
      phone: '+79031112233',
      phone_verified_at: null,
    },
  )
})

t.test('bad contacts are rejected by column, never showing the value; JSON Lines carry contacts too', async (t) => {
  const report = await importCsv(
    csv(header, ['bad.email,pupil,Петров,Пётр,petrov@mail,', 'bad.phone,pupil,Петров,Пётр,,8 916 12-34']),
  )
  t.same(report.rejected, [
    { line: 2, problems: ['email: must be an e-mail address such as name@example.ru'] },
    { line: 3, problems: ['phone: must be a phone number: +7 and 10 digits, or + and 8 to 15 digits'] },
  ])
  t.notMatch(JSON.stringify(report), /petrov@mail|12-34/)

  const file = writeFile('a.jsonl', [
    JSON.stringify({
      login: 'json',
      password_hash: hash,
      role: 'staff',
      family_name: 'Жсон',
      given_name: 'Иван',
      email: 'Json@Example.ru',
      phone: '9031112233',
    }),
  ])
  t.match(
    await importAccounts(db, {
      file,
      format: 'jsonl',
      region: '29',
      snilsPepper: pepper,
      hasher,
      contactsVerified: true,
    }),
    { created: 1 },
  )
  t.match(await contactsOf('json'), {
    email: 'json@example.ru',
    email_verified_at: Date,
    phone: '+79031112233',
    phone_verified_at: Date,
  })
})

t.test('a contact is replaced only while it still holds the value the import read', async (t) => {
  const now = new Date('2026-12-02T00:00:00.000Z')
  const changed = await writeContacts(
    db,
    '29',
    [
      {
        login: 'ivanov.p',
        contacts: { email: { from: 'someone.else@example.ru', value: 'late@example.ru', verifiedAt: null } },
      },
      {
        login: 'smirnov.a',
        contacts: {
          email: { from: null, value: 'smirnov@example.ru', verifiedAt: null },
          phone: { from: '+70000000000', value: '+79990000000', verifiedAt: null },
        },
      },
    ],
    now,
  )
  t.equal(changed, 1)
  t.match(await contactsOf('ivanov.p'), { email: 'ivanov@почта.рф' }, 'the owner changed it meanwhile: it stays')
  t.match(
    await contactsOf('smirnov.a'),
    { email: 'smirnov@example.ru', phone: '+4915112345678', updated_at: now },
    'only the e-mail was as read',
  )
})
