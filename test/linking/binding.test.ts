import t from 'tap'
import { type BindingPerson, decideBinding } from '../../src/linking/binding.js'

const diary: BindingPerson = { familyName: 'Морозова', givenName: 'Татьяна', patronymic: 'Николаевна', birthDate: '2011-04-02', snilsHmac: 'aa' }
const strict = { allowMissingPatronymic: false }
const lenient = { allowMissingPatronymic: true }

t.test('binding a State Services person to a diary whose password was right', async (t) => {
  const cases: [why: string, person: BindingPerson, account: BindingPerson, policy: typeof strict, expected: object][] = [
    ['the owner, SNILS and birth date agree', diary, diary, strict, { kind: 'bind', evidence: { password: 'verified', name: 'exact', snils: 'match', birthDate: 'match' } }],
    ['the owner without SNILS at State Services (no SNILS is no contradiction)', { ...diary, snilsHmac: undefined }, diary, strict, { kind: 'bind', evidence: { name: 'exact', snils: 'absent' } }],
    ['the owner, one typo in the diary patronymic, same birth date', diary, { ...diary, patronymic: 'Никлаевна' }, strict, { kind: 'bind', evidence: { name: 'typo', birthDate: 'match' } }],
    ['the owner, the diary has no birth date', { ...diary, snilsHmac: undefined }, { ...diary, birthDate: null }, strict, { kind: 'bind', evidence: { birthDate: 'absent' } }],
    ['no patronymic in the diary, the region allows it', diary, { ...diary, patronymic: null }, lenient, { kind: 'bind' }],
    ['no patronymic in the diary, the region does not allow it', diary, { ...diary, patronymic: null }, strict, { kind: 'refuse', reason: 'other_person' }],
    ['a stranger without SNILS binding a diary whose owner has another name', { familyName: 'Соколов', givenName: 'Сергей', patronymic: 'Олегович' }, diary, strict, { kind: 'refuse', reason: 'other_person' }],
    ['the mother (same family name, another given name and patronymic) with the child’s password', { familyName: 'Морозова', givenName: 'Наталья', patronymic: 'Ивановна', birthDate: '1985-01-01' }, diary, strict, { kind: 'refuse', reason: 'other_person' }],
    ['the father: the male form of the family name is not a typo', { familyName: 'Морозов', givenName: 'Николай', patronymic: 'Петрович' }, diary, lenient, { kind: 'refuse', reason: 'other_person' }],
    ['the same name, but the SNILS in the diary differs: the school must correct it', { ...diary, snilsHmac: 'bb' }, diary, strict, { kind: 'refuse', reason: 'snils_differs' }],
    ['another name and another SNILS: another person comes first', { ...diary, givenName: 'Наталья', snilsHmac: 'bb' }, diary, strict, { kind: 'refuse', reason: 'other_person' }],
    ['the same name, another birth date (a namesake)', { ...diary, birthDate: '1985-04-02' }, diary, strict, { kind: 'refuse', reason: 'birth_date_differs' }],
    ['a typo and another birth date', { ...diary, birthDate: '2011-04-03' }, { ...diary, patronymic: 'Никлаевна' }, strict, { kind: 'refuse', reason: 'birth_date_differs' }],
    ['a sister (Арина for Ирина: one letter), no birth date in the diary', { familyName: 'Морозова', givenName: 'Арина', patronymic: 'Николаевна' }, { ...diary, givenName: 'Ирина', birthDate: null }, strict, { kind: 'refuse', reason: 'other_person' }],
    ['a sister (Арина for Ирина), birth dates differ', { familyName: 'Морозова', givenName: 'Арина', patronymic: 'Николаевна', birthDate: '2013-09-01' }, { ...diary, givenName: 'Ирина' }, strict, { kind: 'refuse', reason: 'birth_date_differs' }],
    ['a typo in the given name, birth dates agree: the owner', { ...diary, givenName: 'Татъяна' }, diary, strict, { kind: 'bind', evidence: { name: 'typo', birthDate: 'match' } }],
    ['a typo in the given name, no birth date at State Services', { familyName: 'Морозова', givenName: 'Татъяна', patronymic: 'Николаевна' }, diary, strict, { kind: 'refuse', reason: 'other_person' }],
    ['a typo in the family name needs no birth date', { familyName: 'Марозова', givenName: 'Татьяна', patronymic: 'Николаевна' }, { ...diary, birthDate: null }, strict, { kind: 'bind', evidence: { name: 'typo', birthDate: 'absent' } }],
    ['State Services gave no name at all', { snilsHmac: 'aa' }, diary, strict, { kind: 'refuse', reason: 'name_unknown' }],
    ['State Services gave a family name only', { familyName: 'Морозова' }, diary, lenient, { kind: 'refuse', reason: 'name_unknown' }],
  ]
  for (const [why, person, account, policy, expected] of cases) t.match(decideBinding(person, account, policy), expected, why)
})
