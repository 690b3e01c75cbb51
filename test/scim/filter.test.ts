/*
 * SCIM filters as SQL (scim/filter.ts) against the real database: each operator on each attribute
 * gives the expected accounts (a row says why), and what cannot be a filter is 400 invalidFilter.
 * Every filter is scoped with `userName sw "f."` so the demo accounts stay out.
 */
import t from 'tap'
import { diarySchema, type ListBody, startScimWorld, userResource } from '../helpers/scim-world.js'

const world = await startScimWorld(t)
const { scim, db } = world

const people: [
  login: string,
  familyName: string,
  extension: Record<string, unknown>,
  more?: Record<string, unknown>,
][] = [
  ['f.anna', 'Смирнова', { role: 'pupil', school: 'Гимназия № 1', schoolId: 'g1', class: '5А' }, { externalId: 'E-1' }],
  ['f.boris', 'Смирнов', { role: 'teacher', school: 'Гимназия № 1', schoolId: 'g1' }, { externalId: 'E-2' }],
  ['f.vera', 'Кузнецова', { role: 'parent', school: 'Лицей 2', class: '9Б' }],
  ['f.gleb', 'Попов', { role: 'staff' }, { active: false }],
]

const before = new Date(Date.now() - 1000).toISOString()
for (const [login, familyName, extension, more] of people) {
  const user = { ...userResource(login, extension, more), name: { familyName, givenName: 'Имя' } }
  const created = await scim('POST', '/Users', user)
  if (created.statusCode !== 201) throw new Error(created.body)
}
// One account modified later than the others: meta.lastModified compares.
await db
  .updateTable('diary_account')
  .set({ updated_at: new Date('2030-01-01T00:00:00Z') })
  .where('login', '=', 'f.vera')
  .execute()

async function logins(filter: string): Promise<string[] | string> {
  const response = await scim('GET', `/Users?filter=${encodeURIComponent(`userName sw "f." and (${filter})`)}`)
  if (response.statusCode !== 200) return `${response.statusCode} ${response.json().scimType}`
  return response
    .json<ListBody>()
    .Resources.map((user) => user.userName)
    .sort()
}

const ext = diarySchema
const table: [filter: string, expected: string[], why: string][] = [
  ['userName eq "F.ANNA"', ['f.anna'], 'eq, case-insensitive'],
  ['userName ne "f.anna"', ['f.boris', 'f.gleb', 'f.vera'], 'ne'],
  ['userName co "OR"', ['f.boris'], 'co'],
  ['userName sw "f.g"', ['f.gleb'], 'sw'],
  ['userName ew "ra"', ['f.vera'], 'ew'],
  ['userName gt "f.c"', ['f.gleb', 'f.vera'], 'gt on text'],
  ['userName le "f.boris"', ['f.anna', 'f.boris'], 'le on text'],
  ['userName pr', ['f.anna', 'f.boris', 'f.gleb', 'f.vera'], 'pr'],
  ['externalId eq "E-1"', ['f.anna'], 'externalId exact'],
  ['externalId eq "e-1"', [], 'externalId is caseExact'],
  ['externalId pr', ['f.anna', 'f.boris'], 'pr: only who has one'],
  ['not (externalId pr)', ['f.gleb', 'f.vera'], 'not pr'],
  ['externalId ne "E-1"', ['f.boris', 'f.gleb', 'f.vera'], 'ne matches a missing value'],
  ['name.familyName sw "смирн"', ['f.anna', 'f.boris'], 'familyName, case-folded Cyrillic'],
  ['name.familyName eq "Смирнова"', ['f.anna'], 'eq on familyName'],
  ['name.givenName eq "имя"', ['f.anna', 'f.boris', 'f.gleb', 'f.vera'], 'givenName'],
  ['active eq true', ['f.anna', 'f.boris', 'f.vera'], 'active'],
  ['active eq false', ['f.gleb'], 'deactivated'],
  ['active ne true', ['f.gleb'], 'ne on a boolean'],
  [`meta.lastModified gt "2029-01-01T00:00:00Z"`, ['f.vera'], 'lastModified gt'],
  [`meta.created ge "${before}"`, ['f.anna', 'f.boris', 'f.gleb', 'f.vera'], 'created ge'],
  [`meta.created lt "${before}"`, [], 'created lt'],
  [`${ext}:school eq "гимназия № 1"`, ['f.anna', 'f.boris'], 'school by name, case-insensitive'],
  [`${ext}:school eq "g1"`, ['f.anna', 'f.boris'], "school by the diary's id"],
  [`${ext}:school co "лицей"`, ['f.vera'], 'school co'],
  [`${ext}:school pr`, ['f.anna', 'f.boris', 'f.vera'], 'school pr'],
  [`${ext}:schoolId eq "g1"`, ['f.anna', 'f.boris'], 'schoolId'],
  [`${ext}:class eq "5а"`, ['f.anna'], 'class, case-insensitive'],
  [`${ext}:role eq "teacher"`, ['f.boris'], 'role'],
  [`${ext}:role eq "teacher" or ${ext}:role eq "parent"`, ['f.boris', 'f.vera'], 'or'],
  [`${ext}:role ne "pupil" and active eq true`, ['f.boris', 'f.vera'], 'and'],
  [`not (${ext}:school eq "g1" or active eq false)`, ['f.vera'], 'not over a group'],
  ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "f.anna"', ['f.anna'], 'core URN prefix'],
  ['USERNAME eq "f.anna"', ['f.anna'], 'attribute names are case-insensitive'],
  ['userName co "%"', [], 'LIKE wildcards are literal'],
]

t.test('each filter gives the expected accounts', async (t) => {
  for (const [filter, expected, why] of table) t.same(await logins(filter), expected, `${why}: ${filter}`)
})

t.test('what cannot be a filter: 400 invalidFilter', async (t) => {
  const invalid = [
    'userName eq',
    'userName xx "a"',
    'nickName eq "a"',
    'password eq "secret"',
    `${ext}:snils eq "12345678901"`,
    'emails[type eq "work"]',
    'active eq "yes"',
    'active gt true',
    'meta.created gt "not a date"',
    'meta.created co "2020"',
    'userName eq 5',
    `${ext}:school gt "a"`,
    '((((',
  ]
  for (const filter of invalid) {
    const response = await scim('GET', `/Users?filter=${encodeURIComponent(filter)}`)
    t.equal(response.statusCode, 400, filter)
    t.equal(response.json().scimType, 'invalidFilter', filter)
  }
  const search = await scim('POST', '/Users/.search', { filter: 'nope eq "a"' })
  t.equal(search.json().scimType, 'invalidFilter', '.search too')
})
