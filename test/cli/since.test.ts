import t from 'tap'
import { parseSince } from '../../src/cli/since.js'

const now = new Date('2025-09-10T12:00:00Z')

const cases: [text: string, expected: string | undefined, why: string][] = [
  ['30m', '2025-09-10T11:30:00.000Z', 'minutes back from now'],
  ['24h', '2025-09-09T12:00:00.000Z', 'hours back from now'],
  ['7d', '2025-09-03T12:00:00.000Z', 'days back from now'],
  [' 7d ', '2025-09-03T12:00:00.000Z', 'spaces around are ignored'],
  ['2025-09-01', '2025-09-01T00:00:00.000Z', 'a date is midnight UTC'],
  ['2025-09-01T08:30', '2025-09-01T08:30:00.000Z', 'a date-time without an offset is UTC'],
  ['2025-09-01T08:30:15Z', '2025-09-01T08:30:15.000Z', 'with Z'],
  ['2025-09-01T08:30:00+03:00', '2025-09-01T05:30:00.000Z', 'an offset is honoured'],
  ['2025-02-30', undefined, 'a day that does not exist'],
  ['2025-13-01', undefined, 'a month that does not exist'],
  ['2025-09-01T25:00', undefined, 'an hour that does not exist'],
  ['7w', undefined, 'weeks are not a unit'],
  ['-7d', undefined, 'no negative periods'],
  ['1.5h', undefined, 'whole numbers only'],
  ['yesterday', undefined, 'no words'],
  ['01.09.2025', undefined, 'ISO dates only'],
  ['', undefined, 'empty'],
]

for (const [text, expected, why] of cases) {
  t.equal(parseSince(text, now)?.toISOString(), expected, `${JSON.stringify(text)}: ${why}`)
}
