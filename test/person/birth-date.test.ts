import t from 'tap'
import { parseBirthDate } from '../../src/person/birth-date.js'

const today = '2026-11-29'

t.test('birth dates, as diaries and providers write them', async (t) => {
  const cases: [input: string, expected: ReturnType<typeof parseBirthDate>, why: string][] = [
    ['2012-03-14', { ok: true, date: '2012-03-14' }, 'ISO date'],
    ['14.03.2012', { ok: true, date: '2012-03-14' }, 'Russian writing (ESIA, school lists)'],
    [' 14.03.2012 ', { ok: true, date: '2012-03-14' }, 'spaces around'],
    ['2012-03-14T00:00:00Z', { ok: true, date: '2012-03-14' }, 'a date-time counts by its date'],
    ['2012-03-14T00:00:00+03:00', { ok: true, date: '2012-03-14' }, 'a date-time with an offset'],
    ['29.02.2012', { ok: true, date: '2012-02-29' }, 'leap day of a leap year'],
    ['29.02.2013', { ok: false, reason: 'invalid' }, 'no leap day in 2013'],
    ['2012-13-01', { ok: false, reason: 'invalid' }, 'month 13'],
    ['1899-12-31', { ok: false, reason: 'out_of_range' }, 'before 1900'],
    ['2026-11-29', { ok: true, date: '2026-11-29' }, 'today is the last possible day'],
    ['2026-11-30', { ok: false, reason: 'out_of_range' }, 'tomorrow'],
    ['14/03/2012', { ok: false, reason: 'invalid' }, 'slashes are not a known writing'],
    ['2012-03-14Tnonsense', { ok: false, reason: 'invalid' }, 'a broken time part'],
  ]
  for (const [input, expected, why] of cases) t.same(parseBirthDate(input, today), expected, `${input}: ${why}`)
})
