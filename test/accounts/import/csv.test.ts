import t from 'tap'
import { parseCsvRecord } from '../../../src/accounts/import/csv.js'

t.test('parseCsvRecord follows RFC 4180 and explains what is malformed', async (t) => {
  const cases: [text: string, expected: ReturnType<typeof parseCsvRecord>][] = [
    ['a,b,c', { fields: ['a', 'b', 'c'] }],
    ['a,,c,', { fields: ['a', '', 'c', ''] }],
    ['"a,1","b ""q""",c', { fields: ['a,1', 'b "q"', 'c'] }],
    ['"",x', { fields: ['', 'x'] }],
    ['"multi\nline",x', { fields: ['multi\nline', 'x'] }],
    [' a , b ', { fields: [' a ', ' b '] }],
    ['"open,x', 'open'],
    ['a,"open\nstill', 'open'],
    ['a,"b"c', { error: 'unexpected text after a closing quote in field 2' }],
    ['a,b"c', { error: 'a quote inside unquoted field 2 (quote the whole value and double inner quotes)' }],
    ['', { fields: [''] }],
  ]
  for (const [text, expected] of cases) t.same(parseCsvRecord(text, ','), expected, JSON.stringify(text))
  t.same(parseCsvRecord('a;"b;c";d', ';'), { fields: ['a', 'b;c', 'd'] }, 'semicolon delimiter')
})
