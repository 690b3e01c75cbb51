import t from 'tap'
import { validateAccountRow } from '../../../src/accounts/import/validate-row.js'
import type { RawAccount } from '../../../src/accounts/import/read-records.js'

const today = '2026-11-29'
const hash = '$argon2id$v=19$m=19456,t=2,p=1$OY8bvtuP377263MSX8dVkg$yekfivYle/C0N55zFYEPWXUtgh6HQzlDDmqkzBM3szY'
const good: RawAccount = {
  login: '  Ivanova.M ',
  password: 'temp-pass-1',
  role: 'pupil',
  family_name: ' Иванова ',
  given_name: 'Мария',
  patronymic: 'Петровна',
  birth_date: '14.03.2012',
  snils: '112-233-445 95',
  school: 'Школа  № 1',
  class: '7А',
  email: ' Maria.Ivanova@Example.RU ',
  phone: '8 (916) 123-45-67',
}

t.test('a good row is normalised', async (t) => {
  t.same(validateAccountRow(good, today), {
    ok: true,
    account: {
      login: 'ivanova.m',
      password: 'temp-pass-1',
      passwordHash: null,
      role: 'pupil',
      familyName: 'Иванова',
      givenName: 'Мария',
      patronymic: 'Петровна',
      birthDate: '2012-03-14',
      snils: '11223344595',
      school: 'Школа № 1',
      schoolDiaryId: null,
      className: '7А',
      externalId: null,
      active: null,
      email: 'maria.ivanova@example.ru',
      phone: '+79161234567',
    },
  })
})

t.test('contacts are normalised; empty or absent means "keep what is stored" (null)', async (t) => {
  const cases: [
    email: string | undefined,
    phone: string | undefined,
    expected: { email: string | null; phone: string | null },
    why: string,
  ][] = [
    ['ivan@mail.ru', '+79161234567', { email: 'ivan@mail.ru', phone: '+79161234567' }, 'already normalised'],
    [
      'IVAN@ПОЧТА.РФ',
      '9161234567',
      { email: 'ivan@почта.рф', phone: '+79161234567' },
      'a Cyrillic domain lower-cased; a mobile number without its code',
    ],
    [
      ' ivan@mail.ru\t',
      '+7 916 123 45 67',
      { email: 'ivan@mail.ru', phone: '+79161234567' },
      'spaces around and inside the number',
    ],
    [
      'x@mail.ru',
      '+49 151 1234 5678',
      { email: 'x@mail.ru', phone: '+4915112345678' },
      'an international number keeps its country code',
    ],
    ['', '', { email: null, phone: null }, 'empty cells'],
    ['  ', ' ', { email: null, phone: null }, 'cells of spaces are empty'],
    [undefined, undefined, { email: null, phone: null }, 'absent columns'],
  ]
  for (const [email, phone, expected, why] of cases) {
    t.match(validateAccountRow({ ...good, email, phone }, today), { ok: true, account: expected }, why)
  }
})

t.test('optional columns may be empty; Russian role names are understood', async (t) => {
  const result = validateAccountRow(
    {
      login: 'p',
      password_hash: hash,
      role: 'Родитель',
      family_name: 'Петров',
      given_name: 'Пётр',
      snils: '',
      birth_date: '',
    },
    today,
  )
  t.match(result, {
    ok: true,
    account: { role: 'parent', passwordHash: hash, password: null, snils: null, birthDate: null, patronymic: null },
  })
})

t.test(
  'active: true/false, 1/0, да/нет, yes/no in any case; empty is true; an absent column says nothing',
  async (t) => {
    const cases: [value: string | undefined, active: boolean | null, why: string][] = [
      ['true', true, 'English'],
      ['FALSE', false, 'any case'],
      ['1', true, 'a digit'],
      ['0', false, 'a digit'],
      ['Да', true, 'Russian, any case'],
      [' нет ', false, 'Russian, spaces around'],
      ['yes', true, 'yes'],
      ['no', false, 'no'],
      ['', true, 'an empty cell is true'],
      [undefined, null, 'no column: the state stays as it is'],
    ]
    for (const [value, active, why] of cases) {
      const result = validateAccountRow({ ...good, active: value }, today)
      t.equal(result.ok && result.account.active, active, why)
    }
    const ids = validateAccountRow({ ...good, school_id: ' sch-7 ', external_id: ' pupil-42 ' }, today)
    t.match(ids, { ok: true, account: { schoolDiaryId: 'sch-7', externalId: 'pupil-42' } }, 'the diary ids, trimmed')
  },
)

t.test('every bad field is reported by column, without its value', async (t) => {
  const cases: [fields: RawAccount, problems: string[]][] = [
    [{ ...good, login: ' ' }, ['login: is required']],
    [{ ...good, login: 'a b' }, ['login: must not contain spaces or control characters']],
    [{ ...good, login: 'x'.repeat(65) }, ['login: longer than 64 characters']],
    [{ ...good, password: undefined }, ['password: either password or password_hash is required']],
    [{ ...good, password_hash: hash }, ['password, password_hash: give one of them, not both']],
    [{ ...good, password: '12345' }, ['password: must be 6 to 128 characters long']],
    [
      { ...good, password: undefined, password_hash: '$2b$10$abcdefghijklmnopqrstuv' },
      ['password_hash: must be an argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash)'],
    ],
    [
      { ...good, password: undefined, password_hash: hash.replace('m=19456,t=2', 'm=4096,t=3') },
      ['password_hash: is weaker than argon2id m=19456,t=2 (OWASP minimum)'],
    ],
    [{ ...good, role: 'director' }, ['role: must be pupil, parent, teacher or staff']],
    [{ ...good, role: '' }, ['role: is required']],
    [{ ...good, family_name: '' }, ['family_name: is required']],
    [{ ...good, given_name: '123' }, ['given_name: must contain letters']],
    [{ ...good, patronymic: 'x'.repeat(201) }, ['patronymic: longer than 200 characters']],
    [{ ...good, birth_date: '31.02.2012' }, ['birth_date: must be a real date written YYYY-MM-DD or DD.MM.YYYY']],
    [{ ...good, birth_date: '2012/03/14' }, ['birth_date: must be a real date written YYYY-MM-DD or DD.MM.YYYY']],
    [{ ...good, birth_date: '2027-01-01' }, ['birth_date: must be between 1900-01-01 and today']],
    [{ ...good, snils: '112-233-445 96' }, ['snils: check number does not match']],
    [{ ...good, snils: '112-233-44' }, ['snils: must have 11 digits']],
    [{ ...good, email: 'maria.ivanova@example' }, ['email: must be an e-mail address such as name@example.ru']],
    [{ ...good, email: 'maria ivanova@example.ru' }, ['email: must be an e-mail address such as name@example.ru']],
    [{ ...good, email: 'a@b.ru, c@d.ru' }, ['email: must be an e-mail address such as name@example.ru']],
    [
      { ...good, email: `${'m'.repeat(65)}@example.ru` },
      ['email: too long (at most 64 characters before "@", 63 between dots, 254 in all)'],
    ],
    [
      { ...good, phone: '8 916 123-45-6' },
      ['phone: must be a phone number: +7 and 10 digits, or + and 8 to 15 digits'],
    ],
    [
      { ...good, phone: '+7 916 123-45-67 доб. 3' },
      ['phone: must be a phone number: +7 and 10 digits, or + and 8 to 15 digits'],
    ],
    [{ ...good, active: 'maybe' }, ['active: must be true or false (1 or 0, да or нет); empty is true']],
    [{ ...good, active: 'Ложь' }, ['active: must be true or false (1 or 0, да or нет); empty is true']],
    [{ ...good, school: '', school_id: 'sch-7' }, ['school: is required with school_id (the name of the school)']],
    [{ ...good, external_id: 'x'.repeat(201) }, ['external_id: longer than 200 characters']],
    [
      { ...good, role: 'x', snils: '1', birth_date: 'x' },
      [
        'role: must be pupil, parent, teacher or staff',
        'birth_date: must be a real date written YYYY-MM-DD or DD.MM.YYYY',
        'snils: must have 11 digits',
      ],
    ],
  ]
  for (const [fields, problems] of cases) {
    const result = validateAccountRow(fields, today)
    t.same(result, { ok: false, problems }, problems.join('; '))
    t.notMatch(
      JSON.stringify(result),
      /11223344|temp-pass|ivanova|916|доб|maybe|Ложь|sch-7/,
      'no SNILS, password or contact in the problems',
    )
  }
})
