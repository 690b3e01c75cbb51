import t from 'tap'
import { matchesNameQuery, parseNameQuery } from '../../src/cli/name-query.js'

t.test('parseNameQuery: up to three parts, normalised', async (t) => {
  const cases: [text: string, expected: ReturnType<typeof parseNameQuery>, why: string][] = [
    ['Иванова', { familyName: 'иванова', givenName: undefined, patronymic: undefined }, 'family name alone'],
    [
      '  СЕМЁНОВА   Анна ',
      { familyName: 'семенова', givenName: 'анна', patronymic: undefined },
      'case folded, ё → е, spaces collapsed',
    ],
    ['Иванова Мария Петровна', { familyName: 'иванова', givenName: 'мария', patronymic: 'петровна' }, 'all three'],
    [
      'Римская–Корсакова Анна',
      { familyName: 'римская-корсакова', givenName: 'анна', patronymic: undefined },
      'dashes unified',
    ],
    ['', undefined, 'no name'],
    ['Иванова Мария Петровна Вторая', undefined, 'four parts'],
  ]
  for (const [text, expected, why] of cases) t.same(parseNameQuery(text), expected, why)
})

t.test('matchesNameQuery: family name equal, given name and patronymic by prefix', async (t) => {
  const maria = { familyName: 'Иванова', givenName: 'Мария', patronymic: 'Петровна' }
  const petr = { familyName: 'Иванов', givenName: 'Пётр', patronymic: null }
  const cases: [account: typeof maria | typeof petr, query: string, expected: boolean, why: string][] = [
    [maria, 'иванова', true, 'family name in any case'],
    [maria, 'Иванова М', true, 'given name by its beginning'],
    [maria, 'Иванова Мария П', true, 'patronymic by its beginning'],
    [maria, 'Иванов', false, 'the family name is not a prefix match'],
    [maria, 'Иванова Анна', false, 'another given name'],
    [maria, 'Иванова Мария Сергеевна', false, 'another patronymic'],
    [petr, 'Иванов Петр', true, 'ё = е'],
    [petr, 'Иванов Пётр Сергеевич', false, 'a patronymic asked for, none stored'],
  ]
  for (const [account, query, expected, why] of cases)
    t.equal(matchesNameQuery(account, parseNameQuery(query)!), expected, why)
})
