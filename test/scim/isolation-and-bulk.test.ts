/*
 * The region scope of the SCIM API and Bulk at its size, against the real database:
 * - a client of region 78 can neither see, change nor delete an account of region 29 (404, as an unknown
 *   id), nor create one there (403); a client of both regions must name the region of a new account
 * - a Bulk of 1,000 operations with some bad ones: without failOnErrors every good one is done and every
 *   bad one answers its own error; with failOnErrors the run stops at that many errors
 */
import t from 'tap'
import { diarySchema, type ListBody, startScimWorld, userResource } from '../helpers/scim-world.js'

const world = await startScimWorld(t)
const { scim, db, tokens } = world
const patchOp = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'

t.test(
  'a client of region 78 cannot see, change or delete an account of region 29, nor create one there',
  async (t) => {
    const created = (await scim('POST', '/Users', userResource('iso.29', { role: 'pupil', school: 'Школа 29' }))).json()
    const as78 = { token: tokens[78] }
    t.equal((await scim('GET', `/Users/${created.id}`, undefined, as78)).statusCode, 404)
    const listed = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "iso.29"')}`, undefined, as78)
    t.equal(listed.json().totalResults, 0)
    const all = await scim('GET', '/Users?count=200', undefined, as78)
    t.ok(
      all.json<ListBody>().Resources.every((user) => (user[diarySchema] as { region: string }).region === '78'),
      'a list shows only region 78',
    )
    t.equal((await scim('PUT', `/Users/${created.id}`, userResource('iso.29.taken'), as78)).statusCode, 404)
    const patched = await scim(
      'PATCH',
      `/Users/${created.id}`,
      { schemas: [patchOp], Operations: [{ op: 'replace', path: 'active', value: false }] },
      as78,
    )
    t.equal(patched.statusCode, 404)
    t.equal((await scim('DELETE', `/Users/${created.id}`, undefined, as78)).statusCode, 404)
    const bulk = await scim('POST', '/Bulk', { Operations: [{ method: 'DELETE', path: `/Users/${created.id}` }] }, as78)
    t.equal(bulk.json().Operations[0].status, '404', 'nor through Bulk')
    const into29 = await scim('POST', '/Users', userResource('iso.into29', { role: 'pupil', region: '29' }), as78)
    t.equal(into29.statusCode, 403)
    const row = await db
      .selectFrom('diary_account')
      .select(['login', 'state'])
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow()
    t.same(row, { login: 'iso.29', state: 'active' }, 'untouched')
    t.equal((await db.selectFrom('diary_account').select('id').where('login', '=', 'iso.into29').execute()).length, 0)
    const in78 = await scim('POST', '/Users', userResource('iso.29', { role: 'pupil' }), as78)
    t.equal(in78.statusCode, 201, 'the same login is free in another region')
    t.equal(in78.json()[diarySchema].region, '78')

    const both = { token: tokens.both }
    const unnamed = await scim('POST', '/Users', userResource('iso.both'), both)
    t.match(unnamed.json(), { status: '400', scimType: 'invalidValue', detail: /region/ })
    const named = await scim('POST', '/Users', userResource('iso.both', { role: 'pupil', region: '78' }), both)
    t.equal(named.statusCode, 201)
    t.equal((await scim('GET', `/Users/${created.id}`, undefined, both)).statusCode, 200, 'both regions see 29')
  },
)

t.test('a Bulk of 1,000 operations with some bad ones', async (t) => {
  const operations = Array.from({ length: 1000 }, (_, i) =>
    i % 100 === 99
      ? { method: 'POST', path: '/Users', bulkId: `b${i}`, data: userResource(`bulk.${i}`, { role: 'nobody' }) }
      : {
          method: 'POST',
          path: '/Users',
          bulkId: `b${i}`,
          data: userResource(`bulk.${i}`, { role: 'pupil', school: 'Школа Bulk', class: `${i % 11}А` }),
        },
  )
  operations[500] = { method: 'DELETE', path: '/Users/00000000-0000-4000-8000-000000000000' } as never
  const started = performance.now()
  const response = await scim('POST', '/Bulk', {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
    Operations: operations,
  })
  const ms = performance.now() - started
  t.comment(`1,000-operation Bulk (989 creates without password, 10 invalid, 1 unknown id): ${Math.round(ms)} ms`)
  t.equal(response.statusCode, 200)
  const results = response.json().Operations as { status: string; bulkId?: string; response?: { scimType?: string } }[]
  t.equal(results.length, 1000)
  t.equal(results.filter((result) => result.status === '201').length, 989)
  t.equal(results.filter((result) => result.status === '400').length, 10)
  t.equal(results[99]?.response?.scimType, 'invalidValue')
  t.equal(results[500]?.status, '404')
  const count = await db
    .selectFrom('diary_account')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('login', 'like', 'bulk.%')
    .executeTakeFirstOrThrow()
  t.equal(Number(count.n), 989)

  const failing = Array.from({ length: 1000 }, (_, i) => ({
    method: 'POST',
    path: '/Users',
    bulkId: `c${i}`,
    data: userResource(i < 10 ? `bulk.${i}` : `again.${i}`),
  }))
  const stopped = await scim('POST', '/Bulk', { Operations: failing, failOnErrors: 3 })
  t.equal(stopped.statusCode, 200)
  const stoppedResults = stopped.json().Operations as { status: string; response?: { scimType?: string } }[]
  t.equal(stoppedResults.length, 3, 'stops at the third error')
  t.ok(stoppedResults.every((result) => result.status === '409' && result.response?.scimType === 'uniqueness'))

  const tooMany = await scim('POST', '/Bulk', {
    Operations: Array.from({ length: 1001 }, () => ({ method: 'DELETE', path: '/Users/x' })),
  })
  t.equal(tooMany.statusCode, 413)
  const malformed = await scim('POST', '/Bulk', { Operations: 'all of them' })
  t.match(malformed.json(), { status: '400', scimType: 'invalidSyntax' })
  const badFail = await scim('POST', '/Bulk', { Operations: [], failOnErrors: -1 })
  t.equal(badFail.statusCode, 400)
})

t.test('creates that share a commit: a duplicate among them is refused alone, the others are kept', async (t) => {
  const operations = ['twin.a', 'twin.b', 'twin.a', 'twin.c'].map((login, i) => ({
    method: 'POST',
    path: '/Users',
    bulkId: `t${i}`,
    data: userResource(login, { role: 'pupil', school: 'Школа Bulk', class: '1А' }),
  }))
  const response = await scim('POST', '/Bulk', { Operations: operations })
  const results = response.json().Operations as { status: string; response?: { scimType?: string } }[]
  t.same(
    results.map((result) => result.status),
    ['201', '201', '409', '201'],
  )
  t.equal(results[2]?.response?.scimType, 'uniqueness')
  const stored = await db
    .selectFrom('diary_account')
    .select('login')
    .where('login', 'like', 'twin.%')
    .orderBy('login')
    .execute()
  t.same(
    stored.map((row) => row.login),
    ['twin.a', 'twin.b', 'twin.c'],
  )
})
