import t from 'tap'
import {
  ageOn,
  type BindingAccount,
  type BindingFacts,
  type BindingIdentity,
  decideBinding,
} from '../../src/linking/binding.js'

const diary: BindingAccount = {
  familyName: 'Морозова',
  givenName: 'Татьяна',
  patronymic: 'Николаевна',
  birthDate: '2011-04-02',
  snilsHmac: 'aa',
  role: 'pupil',
}
const alone: BindingFacts = { namesakes: 0, today: '2026-12-07' }
const strict = { allowMissingPatronymic: false }
const lenient = { allowMissingPatronymic: true }

t.test('binding a State Services person to a diary whose password was right', async (t) => {
  const cases: [
    why: string,
    person: BindingIdentity,
    account: BindingAccount,
    policy: typeof strict,
    expected: object,
  ][] = [
    [
      'the owner, SNILS and birth date agree',
      diary,
      diary,
      strict,
      { kind: 'bind', evidence: { password: 'verified', name: 'exact', snils: 'match', birthDate: 'match' } },
    ],
    [
      'the owner without SNILS at State Services (no SNILS is no contradiction)',
      { ...diary, snilsHmac: undefined },
      diary,
      strict,
      { kind: 'bind', evidence: { name: 'exact', snils: 'absent' } },
    ],
    [
      'the owner, one typo in the diary patronymic, same birth date',
      diary,
      { ...diary, patronymic: 'Никлаевна' },
      strict,
      { kind: 'bind', evidence: { name: 'typo', birthDate: 'match' } },
    ],
    [
      'the owner, the diary has no birth date',
      { ...diary, snilsHmac: undefined },
      { ...diary, birthDate: null },
      strict,
      { kind: 'bind', evidence: { birthDate: 'absent' } },
    ],
    [
      'no patronymic in the diary, the region allows it',
      diary,
      { ...diary, patronymic: null },
      lenient,
      { kind: 'bind' },
    ],
    [
      'no patronymic in the diary, the region does not allow it',
      diary,
      { ...diary, patronymic: null },
      strict,
      { kind: 'refuse', reason: 'other_person' },
    ],
    [
      'a stranger without SNILS binding a diary whose owner has another name',
      { familyName: 'Соколов', givenName: 'Сергей', patronymic: 'Олегович' },
      diary,
      strict,
      { kind: 'refuse', reason: 'other_person' },
    ],
    [
      'the mother (same family name, another given name and patronymic) with the child’s password',
      { familyName: 'Морозова', givenName: 'Наталья', patronymic: 'Ивановна', birthDate: '1985-01-01' },
      diary,
      strict,
      { kind: 'refuse', reason: 'other_person' },
    ],
    [
      'the father: the male form of the family name is not a typo',
      { familyName: 'Морозов', givenName: 'Николай', patronymic: 'Петрович' },
      diary,
      lenient,
      { kind: 'refuse', reason: 'other_person' },
    ],
    [
      'the same name, but the SNILS in the diary differs: the school must correct it',
      { ...diary, snilsHmac: 'bb' },
      diary,
      strict,
      { kind: 'refuse', reason: 'snils_differs' },
    ],
    [
      'another name and another SNILS: another person comes first',
      { ...diary, givenName: 'Наталья', snilsHmac: 'bb' },
      diary,
      strict,
      { kind: 'refuse', reason: 'other_person' },
    ],
    [
      'the same name, another birth date (a namesake)',
      { ...diary, birthDate: '1985-04-02' },
      diary,
      strict,
      { kind: 'refuse', reason: 'birth_date_differs' },
    ],
    [
      'a typo and another birth date',
      { ...diary, birthDate: '2011-04-03' },
      { ...diary, patronymic: 'Никлаевна' },
      strict,
      { kind: 'refuse', reason: 'birth_date_differs' },
    ],
    [
      'a sister (Арина for Ирина: one letter), no birth date in the diary',
      { familyName: 'Морозова', givenName: 'Арина', patronymic: 'Николаевна' },
      { ...diary, givenName: 'Ирина', birthDate: null },
      strict,
      { kind: 'refuse', reason: 'other_person' },
    ],
    [
      'a sister (Арина for Ирина), birth dates differ: another person, not a date to correct',
      { familyName: 'Морозова', givenName: 'Арина', patronymic: 'Николаевна', birthDate: '2013-09-01' },
      { ...diary, givenName: 'Ирина' },
      strict,
      { kind: 'refuse', reason: 'other_person' },
    ],
    [
      'a typo in the given name, birth dates agree: the owner',
      { ...diary, givenName: 'Татъяна' },
      diary,
      strict,
      { kind: 'bind', evidence: { name: 'typo', birthDate: 'match' } },
    ],
    [
      'a typo in the given name, no birth date at State Services',
      { familyName: 'Морозова', givenName: 'Татъяна', patronymic: 'Николаевна' },
      diary,
      strict,
      { kind: 'refuse', reason: 'other_person' },
    ],
    [
      'a typo in the family name needs no birth date',
      { familyName: 'Марозова', givenName: 'Татьяна', patronymic: 'Николаевна' },
      { ...diary, birthDate: null },
      strict,
      { kind: 'bind', evidence: { name: 'typo', birthDate: 'absent' } },
    ],
    [
      'State Services gave no name at all',
      { snilsHmac: 'aa' },
      diary,
      strict,
      { kind: 'refuse', reason: 'name_unknown' },
    ],
    [
      'State Services gave a family name only',
      { familyName: 'Морозова' },
      diary,
      lenient,
      { kind: 'refuse', reason: 'name_unknown' },
    ],
  ]
  for (const [why, person, account, policy, expected] of cases)
    t.match(decideBinding(person, account, alone, policy), expected, why)
})

t.test('a typo in the given name: a twin sister’s diary is never bound', async (t) => {
  // Елена and Алёна Кузнецова, twins: the same family name, patronymic and birth date; one letter apart.
  const alyona: BindingAccount = {
    familyName: 'Кузнецова',
    givenName: 'Алёна',
    patronymic: 'Викторовна',
    birthDate: '2012-05-14',
    snilsHmac: 'a1',
    role: 'pupil',
  }
  const elena: BindingIdentity = {
    familyName: 'Кузнецова',
    givenName: 'Елена',
    patronymic: 'Викторовна',
    birthDate: '2012-05-14',
  }
  const twin: BindingFacts = { namesakes: 1, today: '2026-12-07' }
  const cases: [
    why: string,
    person: BindingIdentity,
    account: BindingAccount,
    facts: BindingFacts,
    expected: object,
  ][] = [
    [
      'the sister, same birthday, no SNILS at State Services, the diary has a namesake (her own)',
      elena,
      alyona,
      twin,
      { kind: 'refuse', reason: 'other_person' },
    ],
    [
      'the same, verified at State Services but without a SNILS',
      { ...elena, verified: true },
      alyona,
      twin,
      { kind: 'refuse', reason: 'other_person' },
    ],
    [
      'the same, a SNILS that matches but the provider does not vouch for the person',
      { ...elena, snilsHmac: 'a1' },
      alyona,
      twin,
      { kind: 'refuse', reason: 'other_person' },
    ],
    [
      'a verified person whose SNILS is the diary’s: the owner, even with a namesake',
      { ...elena, verified: true, snilsHmac: 'a1' },
      alyona,
      twin,
      { kind: 'bind', evidence: { name: 'typo', snils: 'match', verified: true } },
    ],
    [
      'a verified person whose SNILS is the diary’s, the diary has no birth date',
      { ...elena, verified: true, snilsHmac: 'a1', birthDate: undefined },
      { ...alyona, birthDate: null },
      twin,
      { kind: 'bind' },
    ],
    [
      'no other account with that family name, patronymic and birth date: a typo of the owner',
      elena,
      alyona,
      alone,
      { kind: 'bind', evidence: { name: 'typo', birthDate: 'match', verified: false } },
    ],
    [
      'a verified person with the diary’s SNILS but another birth date',
      { ...elena, verified: true, snilsHmac: 'a1', birthDate: '2012-05-15' },
      alyona,
      twin,
      { kind: 'refuse', reason: 'birth_date_differs' },
    ],
    [
      'no typo in the given name: a namesake does not matter (the name is the diary’s own)',
      { ...elena, givenName: 'Алена' },
      alyona,
      twin,
      { kind: 'bind', evidence: { name: 'exact' } },
    ],
  ]
  for (const [why, person, account, facts, expected] of cases)
    t.match(decideBinding(person, account, facts, strict), expected, why)
})

t.test('a diary without a birth date: the person’s age must fit its role', async (t) => {
  // Father and son with the same full name; the diary knows no birth date, State Services does.
  const name = { familyName: 'Смирнов', givenName: 'Алексей', patronymic: 'Петрович' }
  const account = (role: BindingAccount['role']): BindingAccount => ({ ...name, role, birthDate: null })
  const bornOn = (birthDate: string): BindingIdentity => ({ ...name, birthDate })
  const cases: [why: string, person: BindingIdentity, account: BindingAccount, expected: object][] = [
    [
      'the father (51) with his namesake son’s pupil diary',
      bornOn('1975-03-01'),
      account('pupil'),
      { kind: 'refuse', reason: 'other_person' },
    ],
    [
      'the son (15) with his namesake father’s parent diary',
      bornOn('2011-09-01'),
      account('parent'),
      { kind: 'refuse', reason: 'other_person' },
    ],
    [
      'a pupil of 15 with a pupil diary',
      bornOn('2011-09-01'),
      account('pupil'),
      { kind: 'bind', evidence: { birthDate: 'absent' } },
    ],
    [
      'an adult pupil of 25 (evening school): the last birthday before the limit',
      bornOn('2001-12-07'),
      account('pupil'),
      { kind: 'bind' },
    ],
    [
      '26 today: older than 25, never a pupil’s diary',
      bornOn('2000-12-07'),
      account('pupil'),
      { kind: 'refuse', reason: 'other_person' },
    ],
    ['25, turning 26 tomorrow', bornOn('2000-12-08'), account('pupil'), { kind: 'bind' }],
    ['18 today with a parent diary', bornOn('2008-12-07'), account('parent'), { kind: 'bind' }],
    [
      '17, turning 18 tomorrow, with a parent diary',
      bornOn('2008-12-08'),
      account('parent'),
      { kind: 'refuse', reason: 'other_person' },
    ],
    [
      'a minor with a teacher’s diary',
      bornOn('2011-09-01'),
      account('teacher'),
      { kind: 'refuse', reason: 'other_person' },
    ],
    ['a minor with a staff diary', bornOn('2011-09-01'), account('staff'), { kind: 'refuse', reason: 'other_person' }],
    ['an adult with a teacher’s diary', bornOn('1979-01-20'), account('teacher'), { kind: 'bind' }],
    [
      'no birth date on either side: nothing to tell by',
      name,
      account('pupil'),
      { kind: 'bind', evidence: { birthDate: 'absent' } },
    ],
    [
      'both birth dates known: they decide, not the role',
      bornOn('1975-03-01'),
      { ...account('pupil'), birthDate: '1975-03-01' },
      { kind: 'bind', evidence: { birthDate: 'match' } },
    ],
  ]
  for (const [why, person, account, expected] of cases)
    t.match(decideBinding(person, account, alone, strict), expected, why)
})

t.test('full years of age', async (t) => {
  const cases: [birthDate: string, today: string, age: number, why: string][] = [
    ['2000-12-07', '2026-12-07', 26, 'the birthday itself'],
    ['2000-12-08', '2026-12-07', 25, 'the day before the birthday'],
    ['2008-02-29', '2026-02-28', 17, 'born on 29 February: not 18 before 1 March in a common year'],
    ['2008-02-29', '2026-03-01', 18, 'born on 29 February: 18 on 1 March'],
    ['2026-01-01', '2026-12-07', 0, 'this year'],
  ]
  for (const [birthDate, today, age, why] of cases) t.equal(ageOn(birthDate, today), age, why)
})

t.test('Latin look-alike letters never pass as a typo', async (t) => {
  const smirnov: BindingAccount = {
    familyName: 'Смирнов',
    givenName: 'Алексей',
    patronymic: 'Петрович',
    birthDate: null,
    role: 'parent',
  }
  t.match(
    decideBinding({ ...smirnov, familyName: 'Смирновa' }, smirnov, alone, strict),
    { kind: 'refuse', reason: 'other_person' },
    'Смирновa with a Latin "a"',
  )
  t.match(
    decideBinding({ ...smirnov, givenName: 'Aлексей' }, smirnov, alone, strict),
    { kind: 'refuse', reason: 'other_person' },
    'Aлексей with a Latin "A"',
  )
})
