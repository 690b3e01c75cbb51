import t from 'tap'
import {
  compareFullNames,
  compareNameParts,
  type FullName,
  fullStopAfter,
  maskFullName,
  normaliseNamePart,
} from '../../src/person/full-name.js'

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
  const cases: [name: string, a: object, b: object, policy: typeof strict, expected: 'exact' | 'mismatch'][] = [
    ['same', diary, { ...diary }, strict, 'exact'],
    [
      'case and spaces',
      diary,
      { familyName: ' ИВАНОВА ', givenName: 'мария', patronymic: 'петровна' },
      strict,
      'exact',
    ],
    [
      'ё and е',
      { familyName: 'Семёнова', givenName: 'Алёна' },
      { familyName: 'Семенова', givenName: 'Алена' },
      strict,
      'exact',
    ],
    [
      'Latin look-alike "a" in the given name',
      diary,
      { familyName: 'Иванова', givenName: 'Мaрия', patronymic: 'Петровна' },
      strict,
      'mismatch',
    ],
    [
      'Latin look-alike in the family name',
      diary,
      { familyName: 'Ивaнова', givenName: 'Мария', patronymic: 'Петровна' },
      strict,
      'mismatch',
    ],
    ['another given name', diary, { ...diary, givenName: 'Марина' }, strict, 'mismatch'],
    ['another patronymic', diary, { ...diary, patronymic: 'Павловна' }, lenient, 'mismatch'],
    ['patronymic missing in the diary, strict', { ...diary, patronymic: null }, diary, strict, 'mismatch'],
    ['patronymic missing at the provider, strict', diary, { ...diary, patronymic: undefined }, strict, 'mismatch'],
    ['patronymic missing on one side, allowed', diary, { ...diary, patronymic: undefined }, lenient, 'exact'],
    [
      'patronymic missing on both sides',
      { ...diary, patronymic: null },
      { ...diary, patronymic: undefined },
      strict,
      'exact',
    ],
    ['no family name at the provider', diary, { givenName: 'Мария', patronymic: 'Петровна' }, lenient, 'mismatch'],
    [
      'double family name with a dash',
      { familyName: 'Петрова-Водкина', givenName: 'Ольга' },
      { familyName: 'Петрова — Водкина', givenName: 'Ольга' },
      strict,
      'exact',
    ],
  ]
  for (const [name, a, b, policy, expected] of cases) t.equal(compareFullNames(a, b, policy), expected, name)
})

t.test('binding tolerates one typo per part, never another name or the other sex', async (t) => {
  const diary = { familyName: 'Морозова', givenName: 'Татьяна', patronymic: 'Николаевна' }
  const typos = { allowMissingPatronymic: false, allowTypos: true }
  const cases: [why: string, person: object, expected: 'exact' | 'typo' | 'mismatch'][] = [
    ['the same name', diary, 'exact'],
    ['a letter missing in the patronymic (Никлаевна)', { ...diary, patronymic: 'Никлаевна' }, 'typo'],
    ['a letter added in the family name', { ...diary, familyName: 'Морозоова' }, 'typo'],
    ['a letter replaced in the given name', { ...diary, givenName: 'Татъяна' }, 'typo'],
    ['two adjacent letters swapped', { ...diary, familyName: 'Мрозова' }, 'typo'],
    ['swapped, not dropped', { ...diary, familyName: 'Моорзова' }, 'typo'],
    [
      'one typo in each of the three parts',
      { familyName: 'Марозова', givenName: 'Тятьяна', patronymic: 'Николавна' },
      'typo',
    ],
    ['two typos in one part', { ...diary, patronymic: 'Никлавна' }, 'mismatch'],
    ['another given name (the mother of a Татьяна)', { ...diary, givenName: 'Наталья' }, 'mismatch'],
    ['another given name, one letter apart but short (Анна/Инна)', { ...diary, givenName: 'Анна' }, 'mismatch'],
    [
      'the male form of the family name (Морозов: a father or brother)',
      { ...diary, familyName: 'Морозов' },
      'mismatch',
    ],
    ['the male form of the patronymic is two letters apart anyway', { ...diary, patronymic: 'Николаевич' }, 'mismatch'],
    ['ё and е are no typo at all', { ...diary, givenName: 'Татьяна' }, 'exact'],
    [
      'a Latin look-alike letter is never a typo (a part mixing two scripts)',
      { ...diary, familyName: 'Mорозова' },
      'mismatch',
    ],
    ['a Latin "a" at the end of the patronymic', { ...diary, patronymic: 'Николаевнa' }, 'mismatch'],
  ]
  for (const [why, person, expected] of cases) t.equal(compareFullNames(person, diary, typos), expected, why)

  const smirnov = { familyName: 'Смирнов', givenName: 'Алексей', patronymic: 'Петрович' }
  const scripts: [why: string, a: object, b: object, expected: 'exact' | 'typo' | 'mismatch'][] = [
    [
      'Смирновa with a Latin "a" for the diary’s Смирнов: a look-alike, not one added letter',
      { ...smirnov, familyName: 'Смирновa' },
      smirnov,
      'mismatch',
    ],
    [
      'Смирнова with a Cyrillic "а" for Смирнов: the other sex',
      { ...smirnov, familyName: 'Смирнова' },
      smirnov,
      'mismatch',
    ],
    [
      'a mixed spelling stored in the diary matches itself exactly',
      { ...smirnov, familyName: 'Cмирнов' },
      { ...smirnov, familyName: 'Cмирнов' },
      'exact',
    ],
    [
      'a whole part in Latin letters is another spelling, not a typo',
      { ...smirnov, givenName: 'Aleksei' },
      smirnov,
      'mismatch',
    ],
  ]
  for (const [why, a, b, expected] of scripts) t.equal(compareFullNames(a, b, typos), expected, why)

  const short: [why: string, a: string, b: string, expected: 'typo' | 'mismatch'][] = [
    ['Кира/Кир: 4 letters is too short for a typo', 'Кира', 'Кир', 'mismatch'],
    ['Алина/Алена: 5 letters, one letter in the middle', 'Алина', 'Алена', 'typo'],
    ['Александр/Александра: the other sex', 'Александр', 'Александра', 'mismatch'],
    ['Евгений/Евгения: the other sex', 'Евгений', 'Евгения', 'mismatch'],
    ['Наталья/Наталия: one letter inside', 'Наталья', 'Наталия', 'typo'],
  ]
  for (const [why, a, b, expected] of short) {
    t.equal(compareFullNames({ ...diary, givenName: a }, { ...diary, givenName: b }, typos), expected, why)
  }
  t.equal(
    compareFullNames({ ...diary, patronymic: 'Никлаевна' }, diary, { allowMissingPatronymic: false }),
    'mismatch',
    'without allowTypos a typo is a mismatch',
  )
  t.equal(
    compareFullNames(
      { ...diary, patronymic: null },
      { ...diary, givenName: 'Татъяна' },
      { allowMissingPatronymic: true, allowTypos: true },
    ),
    'typo',
    'a missing patronymic as the region allows, with a typo elsewhere',
  )
})

t.test('compareNameParts says which parts had a typo', async (t) => {
  const diary = { familyName: 'Морозова', givenName: 'Ирина', patronymic: 'Николаевна' }
  const typos = { allowMissingPatronymic: false, allowTypos: true }
  t.same(
    compareNameParts({ ...diary, givenName: 'Арина' }, diary, typos),
    { result: 'typo', typos: ['givenName'] },
    'Ирина/Арина: a sister or a typo',
  )
  t.same(compareNameParts({ ...diary, familyName: 'Марозова', patronymic: 'Никлаевна' }, diary, typos), {
    result: 'typo',
    typos: ['familyName', 'patronymic'],
  })
  t.same(compareNameParts(diary, diary, typos), { result: 'exact', typos: [] })
  t.same(compareNameParts({ ...diary, givenName: 'Анна' }, diary, typos), { result: 'mismatch', typos: [] })
})

t.test('masked names show initials only, and end a sentence with one full stop', async (t) => {
  const cases: [name: FullName, masked: string, sentence: string, why: string][] = [
    [
      { familyName: 'Иванова', givenName: 'Мария', patronymic: 'Петровна' },
      'Мария П. И.',
      'Мария П. И.',
      'the last initial’s full stop ends the sentence',
    ],
    [
      { familyName: 'Кузнецова', givenName: 'Елена', patronymic: 'Викторовна' },
      'Елена В. К.',
      'Елена В. К.',
      'one full stop, not two ("К..")',
    ],
    [
      { familyName: 'Смирнов', givenName: 'Алексей' },
      'Алексей С.',
      'Алексей С.',
      'no patronymic: still ends with an initial',
    ],
    [{ givenName: 'Алексей' }, 'Алексей', 'Алексей.', 'no initial at the end: the sentence needs its own full stop'],
    [{ familyName: ' Ёлкина ', givenName: ' Анна ' }, 'Анна Ё.', 'Анна Ё.', 'trimmed before the initial is taken'],
    [{}, '', '.', 'nothing known: only the full stop'],
  ]
  for (const [name, masked, sentence, why] of cases) {
    t.equal(maskFullName(name), masked, why)
    t.equal(`${masked}${fullStopAfter(masked)}`, sentence, why)
  }
})
