/*
 * The User resource both ways (scim/user-resource.ts), pure: what a received User becomes, every
 * refusal naming the attribute and never the value, and the ETag forms If-Match accepts.
 */
import t from 'tap'
import { parseScimUser, versionOf } from '../../src/scim/user-resource.js'

const ext = 'urn:ietf:params:scim:schemas:extension:diary:2.0:User'
const today = '2026-12-07'
const base = { userName: ' Ivanova.M ', name: { familyName: ' Иванова ', givenName: 'Мария' } }

t.test('a received User, normalised as the import normalises', async (t) => {
  const parsed = parseScimUser(
    {
      ...base,
      NAME: undefined,
      emails: [{ value: 'x@example.ru' }, { value: 'MAMA@Example.RU', primary: true }],
      phoneNumbers: [{ value: '8 912 345-67-89' }],
      [ext.toUpperCase()]: { ROLE: 'Teacher', birthDate: '04.03.1980', snils: '112-233-445 95', school: ' Школа  7 ' },
      active: 'False',
    },
    today,
  )
  t.ok(parsed.ok)
  if (!parsed.ok) return
  t.match(parsed.user.account, {
    login: 'ivanova.m',
    familyName: 'Иванова',
    email: 'mama@example.ru',
    phone: '+79123456789',
    role: 'teacher',
    birthDate: '1980-03-04',
    snils: '11223344595',
    school: { name: 'Школа 7', diaryId: null },
    active: false,
    password: undefined,
  })
  const absent = parseScimUser(base, today)
  t.ok(absent.ok && absent.user.account.snils === undefined, 'no snils: the stored one stays')
  const cleared = parseScimUser({ ...base, [ext]: { snils: null } }, today)
  t.ok(cleared.ok && cleared.user.account.snils === null, 'snils null clears it')
})

const refusals: [body: unknown, scimType: string, detail: RegExp, why: string][] = [
  [[1, 2], 'invalidSyntax', /object/, 'not an object'],
  [{ ...base, userName: 'has space' }, 'invalidValue', /userName/, 'a space in the login'],
  [{ ...base, userName: 'x'.repeat(65) }, 'invalidValue', /userName/, 'a login of 65 characters'],
  [{ ...base, name: { givenName: 'Мария' } }, 'invalidValue', /familyName/, 'no family name'],
  [{ ...base, name: { familyName: '123', givenName: 'Мария' } }, 'invalidValue', /familyName.*letters/, 'no letters'],
  [{ ...base, emails: 'a@b.ru' }, 'invalidValue', /emails/, 'emails not a list'],
  [{ ...base, password: 12345678 }, 'invalidValue', /password/, 'password a number'],
  [
    { ...base, [ext]: { snils: '112-233-445 96' } },
    'invalidValue',
    /snils: check/,
    'a SNILS with a wrong check number',
  ],
  [{ ...base, [ext]: { birthDate: '31.02.2010' } }, 'invalidValue', /birthDate/, 'no such date'],
  [{ ...base, [ext]: { schoolId: 's-1' } }, 'invalidValue', /school/, 'schoolId without a name'],
  [{ ...base, [ext]: 'pupil' }, 'invalidValue', new RegExp(ext), 'the extension not an object'],
  [{ ...base, schemas: 'User' }, 'invalidValue', /schemas/, 'schemas not a list'],
]

t.test('refusals name the attribute, never the value', async (t) => {
  for (const [body, scimType, detail, why] of refusals) {
    const parsed = parseScimUser(body, today)
    t.match(parsed, { ok: false, scimType, detail }, why)
    if (!parsed.ok) t.notOk(/112-233|12345678|has space/.test(parsed.detail), `${why}: no value`)
  }
})

t.test('If-Match versions', async (t) => {
  const cases: [string | undefined, string | undefined | false, string][] = [
    [undefined, undefined, 'none'],
    ['W/"3"', '3', 'weak, as we send it'],
    ['"3"', '3', 'strong form of the same'],
    ['*', undefined, 'any version'],
    ['W/"x"', false, 'not a version we make'],
    ['"1", "2"', false, 'a list'],
  ]
  for (const [header, expected, why] of cases) t.equal(versionOf(header), expected, why)
})
