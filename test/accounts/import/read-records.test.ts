import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import {
  detectFormat,
  type FileFormat,
  readRecords,
  type SourceRecord,
} from '../../../src/accounts/import/read-records.js'

async function read(t: Test, name: string, content: string | Buffer, format: FileFormat): Promise<SourceRecord[]> {
  const dir = t.testdir()
  writeFileSync(join(dir, name), content)
  const records: SourceRecord[] = []
  for await (const record of readRecords(join(dir, name), format)) records.push(record)
  return records
}

t.test('detectFormat', async (t) => {
  t.equal(detectFormat('a/b.CSV'), 'csv')
  t.equal(detectFormat('b.jsonl'), 'jsonl')
  t.equal(detectFormat('b.ndjson'), 'jsonl')
  t.equal(detectFormat('b.xlsx'), undefined)
})

t.test('CSV: BOM, semicolons, quotes, CRLF, line numbers', async (t) => {
  const csv =
    '\uFEFFLogin;Password;Role;Family_Name;Given_Name;School\r\n' +
    'a;pw-123456;pupil;Иванова;Мария;"Школа; № 1"\r\n' +
    '\r\n' +
    'b;pw-123456;pupil;"Петров\r\nмладший";Пётр;\r\n' +
    'c;pw-123456;pupil;Сидоров\r\n'
  const records = await read(t, 'a.csv', csv, 'csv')
  t.same(records, [
    {
      line: 2,
      fields: {
        login: 'a',
        password: 'pw-123456',
        role: 'pupil',
        family_name: 'Иванова',
        given_name: 'Мария',
        school: 'Школа; № 1',
      },
    },
    {
      line: 4,
      fields: {
        login: 'b',
        password: 'pw-123456',
        role: 'pupil',
        family_name: 'Петров\nмладший',
        given_name: 'Пётр',
        school: '',
      },
    },
    { line: 6, problems: ['has 4 fields, the header has 6 (values that contain ";" must be in double quotes)'] },
  ])
})

t.test('CSV: a malformed record is reported and reading goes on', async (t) => {
  const csv =
    'login,password,role,family_name,given_name\na,pw-123456,pupil,"Ив"анова,М\nb,pw-123456,pupil,Петров,Пётр\n'
  const records = await read(t, 'a.csv', csv, 'csv')
  t.equal(records.length, 2)
  t.match(records[0], { line: 2, problems: [/^malformed CSV: /] })
  t.match(records[1], { line: 3, fields: { login: 'b' } })
})

t.test('CSV: a quote that is never closed is reported where it opened; the next lines still read', async (t) => {
  const rows = Array.from({ length: 25 }, (_, i) => `r${i},pw-123456,pupil,Петров,Пётр`)
  const csv = ['login,password,role,family_name,given_name', 'x,pw-123456,pupil,"Иванова,М', ...rows].join('\n')
  const records = await read(t, 'a.csv', csv, 'csv')
  t.same(records[0], { line: 2, problems: ['malformed CSV: a quote opened on this line is never closed'] })
  t.equal(records.length, 26, 'every following row is read')
  t.match(records[25], { line: 27, fields: { login: 'r24' } })

  const atEnd = await read(
    t,
    'b.csv',
    'login,password,role,family_name,given_name\ny,pw-123456,pupil,"Ив,М\nz,pw,pupil,П,П\n',
    'csv',
  )
  t.same(atEnd, [
    { line: 2, problems: ['malformed CSV: a quote opened on this line is never closed'] },
    { line: 3, fields: { login: 'z', password: 'pw', role: 'pupil', family_name: 'П', given_name: 'П' } },
  ])
})

t.test('CSV: the header is checked before any row', async (t) => {
  await t.rejects(read(t, 'a.csv', 'login,pasword,role,family_name,given_name,snisl\n', 'csv'), {
    code: 'ERR_IMPORT_FILE_INVALID',
    message:
      /header row: unknown column "pasword" \(column 2\); unknown column "snisl" \(column 6\); missing column "password" or "password_hash"/,
  })
  await t.rejects(read(t, 'a.csv', 'login,password,login\n', 'csv'), {
    message:
      /column "login" appears twice; missing column "role"; missing column "family_name"; missing column "given_name"/,
  })
  await t.rejects(read(t, 'a.csv', '', 'csv'), { message: /the file is empty/ })
})

t.test('CSV: a file that is not UTF-8 is refused with a hint', async (t) => {
  const cp1251Header = Buffer.from([0xcb, 0xee, 0xe3, 0xe8, 0xed, 0x0a]) // "Логин" in Windows-1251
  await t.rejects(read(t, 'a.csv', cp1251Header, 'csv'), {
    message: /is not valid UTF-8 \(save the file as "CSV UTF-8"\)/,
  })
})

t.test('JSON Lines', async (t) => {
  const jsonl = [
    JSON.stringify({
      login: 'a',
      password: 'pw-123456',
      role: 'pupil',
      family_name: 'Иванова',
      given_name: 'Мария',
      patronymic: null,
    }),
    '',
    '{"login": "b", "role": 3}',
    '[1,2]',
    '{"login": "c", "snisl": "x"}',
    '{broken',
    '{"login": "d", "active": false, "external_id": "ext-d", "school_id": "L2"}',
    '{"login": "e", "active": "нет", "school_id": 7}',
  ].join('\n')
  t.same(await read(t, 'a.jsonl', jsonl, 'jsonl'), [
    {
      line: 1,
      fields: { login: 'a', password: 'pw-123456', role: 'pupil', family_name: 'Иванова', given_name: 'Мария' },
    },
    { line: 3, problems: ['role: must be a string'] },
    { line: 4, problems: ['must be a JSON object'] },
    { line: 5, problems: ['snisl: unknown field'] },
    { line: 6, problems: ['is not valid JSON'] },
    { line: 7, fields: { login: 'd', active: 'false', external_id: 'ext-d', school_id: 'L2' } },
    { line: 8, problems: ['school_id: must be a string'] },
  ])
})

t.test('a missing file is a clear error', async (t) => {
  await t.rejects(
    async () => {
      for await (const _ of readRecords('/nonexistent/accounts.csv', 'csv')) void _
    },
    { code: 'ERR_IMPORT_FILE_INVALID', message: '/nonexistent/accounts.csv: cannot be read (ENOENT)' },
  )
})
