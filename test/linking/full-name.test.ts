import t from 'tap'
import { compareFullNames, maskFullName, normaliseNamePart } from '../../src/linking/full-name.js'

t.test('name parts normalise', async (t) => {
  const cases: [string | null | undefined, string | undefined][] = [
    ['Пётр', 'петр'],
    ['ЁЛКИН', 'елкин'],
    ['  Анна   Мария ', 'анна мария'],
    ['Римский-Корсаков', 'римский-корсаков'],
    ['Римский – Корсаков', 'римский-корсаков'],
    ['Римский—Корсаков', 'римский-корсаков'],
    ['Римский\u2010Корсаков', 'римский-корсаков'],
    ['Е\u0308лкин', 'елкин'], // ё written as е + combining diaeresis: NFC first
    ['Кон\u00ADстантин', 'константин'], // a soft hyphen is invisible
    ['', undefined],
    ['   ', undefined],
    [null, undefined],
    [undefined, undefined],
  ]
  for (const [input, expected] of cases) t.equal(normaliseNamePart(input), expected, JSON.stringify(input))
})

t.test('full names compare by the rules of the region', async (t) => {
  const diary = { familyName: 'Иванова', givenName: 'Мария', patronymic: 'Петровна' }
  const strict = { allowMissingPatronymic: false }
  const lenient = { allowMissingPatronymic: true }
  const cases: [name: string, a: object, b: object, policy: typeof strict, expected: 'match' | 'mismatch'][] = [
    ['same', diary, { ...diary }, strict, 'match'],
    ['case and spaces', diary, { familyName: ' ИВАНОВА ', givenName: 'мария', patronymic: 'петровна' }, strict, 'match'],
    ['ё and е', { familyName: 'Семёнова', givenName: 'Алёна' }, { familyName: 'Семенова', givenName: 'Алена' }, strict, 'match'],
    ['Latin look-alike "a" in the given name', diary, { familyName: 'Иванова', givenName: 'Мaрия', patronymic: 'Петровна' }, strict, 'mismatch'],
    ['Latin look-alike in the family name', diary, { familyName: 'Ивaнова', givenName: 'Мария', patronymic: 'Петровна' }, strict, 'mismatch'],
    ['another given name', diary, { ...diary, givenName: 'Марина' }, strict, 'mismatch'],
    ['another patronymic', diary, { ...diary, patronymic: 'Павловна' }, lenient, 'mismatch'],
    ['patronymic missing in the diary, strict', { ...diary, patronymic: null }, diary, strict, 'mismatch'],
    ['patronymic missing at the provider, strict', diary, { ...diary, patronymic: undefined }, strict, 'mismatch'],
    ['patronymic missing on one side, allowed', diary, { ...diary, patronymic: undefined }, lenient, 'match'],
    ['patronymic missing on both sides', { ...diary, patronymic: null }, { ...diary, patronymic: undefined }, strict, 'match'],
    ['no family name at the provider', diary, { givenName: 'Мария', patronymic: 'Петровна' }, lenient, 'mismatch'],
    ['double family name with a dash', { familyName: 'Петрова-Водкина', givenName: 'Ольга' }, { familyName: 'Петрова — Водкина', givenName: 'Ольга' }, strict, 'match'],
  ]
  for (const [name, a, b, policy, expected] of cases) t.equal(compareFullNames(a, b, policy), expected, name)
})

t.test('masked names show initials only', async (t) => {
  t.equal(maskFullName({ familyName: 'Иванова', givenName: 'Мария', patronymic: 'Петровна' }), 'Мария П. И.')
  t.equal(maskFullName({ familyName: 'Смирнов', givenName: 'Алексей' }), 'Алексей С.')
  t.equal(maskFullName({}), '')
})
