import t from 'tap'
import { normaliseFactorName } from '../../src/factors/factor-name.js'

t.test('normaliseFactorName', async (t) => {
  const cases: [why: string, typed: string, expected: string | undefined][] = [
    ['as typed', 'Телефон', 'Телефон'],
    ['ends trimmed (the table refuses untrimmed names)', '  YubiKey  ', 'YubiKey'],
    ['runs of white space become one space', 'Ключ\t\tв  школе', 'Ключ в школе'],
    ['64 characters fit (Cyrillic counts as one each)', 'ж'.repeat(64), 'ж'.repeat(64)],
    ['65 do not', 'ж'.repeat(65), undefined],
    ['only spaces', '   ', undefined],
    ['empty', '', undefined],
    ['a control character', 'Key\u0007', undefined],
  ]
  for (const [why, typed, expected] of cases) t.equal(normaliseFactorName(typed), expected, why)
})
