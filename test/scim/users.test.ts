/*
 * SCIM 2.0 Users against the real app and database, with real machine tokens from POST /token:
 * the sequence of Microsoft's SCIM validator, the RFC 7644 §3 examples that apply to Users (status,
 * headers, body shape), ETags, mutability, uniqueness, and what is never echoed (password, SNILS).
 */
import { sql } from 'kysely'
import t from 'tap'
import {
  coreSchema,
  diarySchema,
  type ListBody,
  scimBase,
  scimClients,
  snilsOf,
  startScimWorld,
  type UserBody,
  userResource,
} from '../helpers/scim-world.js'

const world = await startScimWorld(t)
const { scim, db } = world
const patchOp = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const errorSchema = 'urn:ietf:params:scim:api:messages:2.0:Error'
const q = (filter: string) => encodeURIComponent(filter)

t.test('discovery: ServiceProviderConfig, ResourceTypes, Schemas', async (t) => {
  const config = await scim('GET', '/ServiceProviderConfig')
  t.equal(config.statusCode, 200)
  t.match(config.headers['content-type'], /^application\/scim\+json/)
  const body = config.json()
  t.equal(body.patch.supported, true)
  t.ok(body.bulk.supported && body.bulk.maxOperations >= 1000 && body.bulk.maxPayloadSize > 0)
  t.equal(body.filter.supported, true)
  t.ok(body.filter.maxResults > 0)
  t.equal(body.changePassword.supported, false)
  t.equal(body.sort.supported, true)
  t.equal(body.etag.supported, true)
  t.equal(body.authenticationSchemes[0].type, 'oauthbearertoken')
  const types = (await scim('GET', '/ResourceTypes')).json()
  t.equal(types.Resources[0].schemaExtensions[0].schema, diarySchema)
  const schemas = (await scim('GET', '/Schemas')).json<ListBody>()
  t.same(
    schemas.Resources.map((schema) => schema.id),
    [coreSchema, diarySchema],
  )
  const extension = (await scim('GET', `/Schemas/${diarySchema}`)).json<{
    attributes: { name: string; mutability: string; returned: string }[]
  }>()
  const snils = extension.attributes.find((attribute) => attribute.name === 'snils')
  t.same([snils?.mutability, snils?.returned], ['writeOnly', 'never'])
})

t.test('the sequence of the Microsoft SCIM validator', async (t) => {
  const created = await scim(
    'POST',
    '/Users',
    userResource('ms.validator', { role: 'teacher' }, { externalId: 'ms-1' }),
  )
  t.equal(created.statusCode, 201)
  const id = created.json().id as string
  const found = await scim('GET', `/Users?filter=${q('userName eq "MS.Validator"')}`)
  t.equal(found.statusCode, 200)
  t.same(
    found.json<ListBody>().Resources.map((user) => user.id),
    [id],
    'userName compares case-insensitively',
  )
  const deactivated = await scim('PATCH', `/Users/${id}`, {
    schemas: [patchOp],
    Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
  })
  t.equal(deactivated.statusCode, 200)
  t.equal(deactivated.json().active, false)
  const row = await db
    .selectFrom('diary_account')
    .select(['state', 'deactivated_by'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow()
  t.same(row, { state: 'deactivated', deactivated_by: 'scim:diary-29' }, 'deactivated by the SCIM client')
  t.equal((await scim('GET', `/Users/${id}`)).json().active, false)
  t.equal((await scim('DELETE', `/Users/${id}`)).statusCode, 204)
  const gone = await scim('GET', `/Users/${id}`)
  t.equal(gone.statusCode, 404)
  t.same(gone.json().schemas, [errorSchema])
  t.equal(gone.json().status, '404')
  const events = await db.selectFrom('audit_event').select('type').where('account_id', '=', id).orderBy('id').execute()
  t.same(
    events.map((event) => event.type),
    ['account_created', 'account_deactivated', 'account_erased'],
  )
})

t.test(
  'RFC 7644 §3.3: create answers 201 with Location, ETag and the resource; password and SNILS never echoed',
  async (t) => {
    const snils = snilsOf(7001)
    const password = 't1meToChange!'
    const response = await scim(
      'POST',
      '/Users',
      userResource(
        'bjensen',
        { role: 'pupil', school: 'Школа № 7', schoolId: 'sch-7', class: '7Б', birthDate: '2012-03-04', snils },
        {
          externalId: 'bjensen',
          password,
          emails: [{ value: 'BJensen@Example.RU', type: 'work', primary: true }],
          phoneNumbers: [{ value: '8 (912) 345-67-89', type: 'mobile' }],
        },
      ),
    )
    t.equal(response.statusCode, 201)
    const user = response.json()
    t.equal(response.headers.location, `${scimBase}/Users/${user.id}`)
    t.equal(response.headers.etag, user.meta.version)
    t.match(user.meta.version, /^W\/"\d+"$/)
    t.same(user.meta.resourceType, 'User')
    t.equal(user.meta.location, response.headers.location)
    t.same(user.emails, [{ value: 'bjensen@example.ru', type: 'other', primary: true }])
    t.equal(user.phoneNumbers[0].value, '+79123456789')
    t.same(user[diarySchema], {
      region: '29',
      role: 'pupil',
      school: 'Школа № 7',
      schoolId: 'sch-7',
      class: '7Б',
      birthDate: '2012-03-04',
      snilsLast4: snils.replace(/\D/g, '').slice(-4),
    })
    const digits = snils.replace(/\D/g, '')
    for (const body of [response.body, (await scim('GET', `/Users/${user.id}`)).body]) {
      t.notOk(body.includes(password), 'no password')
      t.notOk(body.includes(digits) || body.includes(snils), 'no SNILS')
      t.notOk(/"password"|"snils"/.test(body))
    }
    const row = await db
      .selectFrom('diary_account')
      .select(['password_hash', 'must_change_password', 'snils_hmac', 'snils_last4', 'email_verified_at'])
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow()
    t.match(row.password_hash, /^\$argon2id\$/)
    t.equal(row.must_change_password, true)
    t.match(row.snils_hmac, /^[0-9a-f]{64}$/)
    t.equal(row.email_verified_at, null, 'contacts stored unverified')

    const again = await scim('POST', '/Users', userResource('bjensen'))
    t.equal(again.statusCode, 409)
    t.same(again.json().scimType, 'uniqueness')
    const sameSnils = await scim('POST', '/Users', userResource('other.snils', { role: 'pupil', snils }))
    t.equal(sameSnils.statusCode, 409)
    t.notOk(sameSnils.body.includes(digits))
    const sameExternal = await scim('POST', '/Users', userResource('other.ext', undefined, { externalId: 'bjensen' }))
    t.match(sameExternal.json(), { status: '409', scimType: 'uniqueness', detail: /externalId/ })
  },
)

t.test('bad input: 400 invalidValue naming the attribute, never the value; no 5xx', async (t) => {
  const cases: [string, unknown, RegExp][] = [
    ['no userName', { name: { familyName: 'А', givenName: 'Б' } }, /userName/],
    ['userName a number', { ...userResource('x'), userName: 5 }, /userName/],
    ['bad SNILS', userResource('bad.snils', { role: 'pupil', snils: '123-456-789 00' }), /snils/],
    ['short password', userResource('short.pw', undefined, { password: 'abc12' }), /password/],
    ['bad e-mail', userResource('bad.mail', undefined, { emails: [{ value: 'secret-not-an-address' }] }), /emails/],
    ['bad role', userResource('bad.role', { role: 'janitor' }), /role/],
    ['bad birth date', userResource('bad.birth', { role: 'pupil', birthDate: '2099-01-01' }), /birthDate/],
    ['active a number', userResource('bad.active', undefined, { active: 3 }), /active/],
    ['no role', userResource('no.role', {}), /role/],
    ['name not an object', { ...userResource('bad.name'), name: 'Иванова' }, /name/],
  ]
  for (const [label, body, detail] of cases) {
    const response = await scim('POST', '/Users', body)
    t.equal(response.statusCode, 400, label)
    t.match(response.json(), { schemas: [errorSchema], status: '400', scimType: 'invalidValue', detail }, label)
    t.notOk(/123-456-789|abc12|secret-not-an-address|janitor/.test(response.body), `${label}: no value echoed`)
  }
  const notJson = await world.app.inject({
    method: 'POST',
    url: '/scim/v2/Users',
    headers: { authorization: `Bearer ${world.tokens[29]}`, 'content-type': 'application/scim+json' },
    payload: '{"password": "hunter22-secret", ',
  })
  t.equal(notJson.statusCode, 400)
  t.equal(notJson.json().scimType, 'invalidSyntax')
  t.notOk(notJson.body.includes('hunter22'), 'the parser error does not quote the body')
  const plainJson = await world.app.inject({
    method: 'POST',
    url: '/scim/v2/Users',
    headers: { authorization: `Bearer ${world.tokens[29]}`, 'content-type': 'application/json' },
    payload: JSON.stringify(userResource('plain.json')),
  })
  t.equal(plainJson.statusCode, 201, 'application/json is accepted too')
  const unknown = await scim('POST', '/Users', userResource('unknown.attrs', undefined, { nickName: 'x', title: 5 }))
  t.equal(unknown.statusCode, 201, 'unknown attributes are ignored')
})

t.test('RFC 7644 §3.4.2: list with filter and paging', async (t) => {
  for (let i = 1; i <= 5; i++) {
    t.equal((await scim('POST', '/Users', userResource(`page.${i}`, { role: 'pupil', class: 'P' }))).statusCode, 201)
  }
  const page = await scim('GET', `/Users?filter=${q('userName sw "page."')}&startIndex=2&count=2&sortBy=userName`)
  t.equal(page.statusCode, 200)
  const body = page.json<ListBody>()
  t.same(body.schemas, ['urn:ietf:params:scim:api:messages:2.0:ListResponse'])
  t.equal(body.totalResults, 5)
  t.equal(body.startIndex, 2)
  t.equal(body.itemsPerPage, 2)
  t.same(
    body.Resources.map((user) => user.userName),
    ['page.2', 'page.3'],
  )
  const descending = await scim(
    'GET',
    `/Users?filter=${q('userName sw "page."')}&sortBy=userName&sortOrder=descending&count=1`,
  )
  t.same(descending.json().Resources[0].userName, 'page.5')
  const past = await scim('GET', `/Users?filter=${q('userName sw "page."')}&startIndex=50`)
  t.same([past.json().totalResults, past.json().itemsPerPage, past.json().Resources], [5, 0, []])
  const counted = await scim('GET', `/Users?filter=${q('userName sw "page."')}&count=0`)
  t.same([counted.json().totalResults, counted.json().Resources], [5, []], 'count=0 counts only')
  const clamped = await scim('GET', '/Users?count=100000')
  t.ok(clamped.json().itemsPerPage <= 200, 'count above maxResults is clamped')
  const search = await scim('POST', '/Users/.search', {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
    filter: 'userName sw "page." and not (userName eq "page.1")',
    startIndex: 1,
    count: 10,
    sortBy: 'userName',
    sortOrder: 'descending',
  })
  t.equal(search.statusCode, 200)
  t.same(
    search.json<ListBody>().Resources.map((user) => user.userName),
    ['page.5', 'page.4', 'page.3', 'page.2'],
  )
  t.match((await scim('GET', '/Users?sortBy=name.familyName')).json(), { status: '400', scimType: 'invalidValue' })
  t.match((await scim('GET', '/Users?count=lots')).json(), { status: '400', scimType: 'invalidValue' })
})

t.test('RFC 7644 §3.5.1: PUT replaces; id and region are read-only; If-Match', async (t) => {
  const created = (
    await scim('POST', '/Users', userResource('put.me', { role: 'pupil', school: 'Школа 1', class: '1А' }))
  ).json()
  const replaced = await scim(
    'PUT',
    `/Users/${created.id}`,
    { ...userResource('put.me.renamed', { role: 'parent' }), id: created.id, meta: created.meta },
    { headers: { 'if-match': created.meta.version } },
  )
  t.equal(replaced.statusCode, 200)
  const body = replaced.json()
  t.equal(body.userName, 'put.me.renamed')
  t.same(body[diarySchema], { region: '29', role: 'parent' }, 'what PUT leaves out is cleared')
  t.not(body.meta.version, created.meta.version)
  t.equal(replaced.headers.etag, body.meta.version)

  const stale = await scim('PUT', `/Users/${created.id}`, userResource('put.me.stale'), {
    headers: { 'if-match': created.meta.version },
  })
  t.equal(stale.statusCode, 412, 'If-Match of an old version')
  t.equal((await scim('GET', `/Users/${created.id}`)).json().userName, 'put.me.renamed', 'nothing written')
  const staleDelete = await scim('DELETE', `/Users/${created.id}`, undefined, { headers: { 'if-match': 'W/"1"' } })
  t.equal(staleDelete.statusCode, 412)
  const stalePatch = await scim(
    'PATCH',
    `/Users/${created.id}`,
    { schemas: [patchOp], Operations: [{ op: 'replace', path: 'active', value: false }] },
    { headers: { 'if-match': created.meta.version } },
  )
  t.equal(stalePatch.statusCode, 412)

  const otherId = await scim('PUT', `/Users/${created.id}`, {
    ...userResource('put.me.renamed'),
    id: '00000000-0000-4000-8000-000000000000',
  })
  t.match(otherId.json(), { status: '400', scimType: 'mutability', detail: /id/ })
  const otherRegion = await scim(
    'PUT',
    `/Users/${created.id}`,
    userResource('put.me.renamed', { role: 'pupil', region: '78' }),
  )
  t.match(otherRegion.json(), { status: '400', scimType: 'mutability', detail: /region/ })
})

t.test('RFC 7644 §3.5.2: PATCH add, replace and remove, with and without path', async (t) => {
  const created = (
    await scim(
      'POST',
      '/Users',
      userResource('patch.me', { role: 'pupil', school: 'Школа 2', class: '2А' }, { externalId: 'p-1' }),
    )
  ).json()
  const patch = (Operations: unknown[], headers?: Record<string, string>) =>
    scim('PATCH', `/Users/${created.id}`, { schemas: [patchOp], Operations }, { headers })

  const added = await patch([{ op: 'add', path: 'emails', value: [{ value: 'patch@example.ru', type: 'work' }] }])
  t.equal(added.statusCode, 200)
  t.equal(added.json().emails[0].value, 'patch@example.ru')
  const noPath = await patch([{ op: 'add', value: { nickName: 'ignored', name: { givenName: 'Анна' } } }])
  t.equal(noPath.statusCode, 200)
  t.equal(noPath.json().name.givenName, 'Анна')
  t.equal(noPath.json().name.familyName, 'Иванова', 'add without path merges')
  const replaced = await patch([
    { op: 'replace', path: 'name.familyName', value: 'Петрова' },
    { op: 'replace', path: `${diarySchema}:class`, value: '3Б' },
  ])
  t.equal(replaced.json().name.familyName, 'Петрова')
  t.equal(replaced.json()[diarySchema].class, '3Б')
  const replaceNoPath = await patch([{ op: 'replace', value: { userName: 'patch.me.2' } }])
  t.equal(replaceNoPath.json().userName, 'patch.me.2')
  const removed = await patch([
    { op: 'remove', path: 'name.middleName' },
    { op: 'remove', path: 'emails' },
  ])
  t.equal(removed.statusCode, 200)
  t.equal(removed.json().name.middleName, undefined)
  t.equal(removed.json().emails, undefined)
  const moved = await patch([{ op: 'replace', path: `${diarySchema}:school`, value: 'Школа 3' }])
  t.equal(moved.json()[diarySchema].school, 'Школа 3')
  const moves = await db
    .selectFrom('audit_event')
    .select(['type', 'details'])
    .where('account_id', '=', created.id)
    .where('type', '=', 'account_moved')
    .execute()
  t.equal(moves.length, 1, 'a change of school is audited as a move')
  t.notOk(JSON.stringify(moves[0]?.details).includes('Школа'), 'ids only')

  const password = await patch([{ op: 'replace', path: 'password', value: 'patched-Pa55word' }])
  t.equal(password.statusCode, 200)
  t.notOk(password.body.includes('patched-Pa55word'))

  t.match((await patch([{ op: 'replace', path: 'id', value: 'x' }])).json(), { status: '400', scimType: 'mutability' })
  t.match((await patch([{ op: 'replace', path: 'meta.version', value: 'W/"1"' }])).json(), {
    status: '400',
    scimType: 'mutability',
  })
  t.match((await patch([{ op: 'replace', path: `${diarySchema}:region`, value: '78' }])).json(), {
    status: '400',
    scimType: 'mutability',
  })
  const badOp = await patch([{ op: 'explode', path: 'active', value: true }])
  t.equal(badOp.statusCode, 400)
  const badValue = await patch([{ op: 'replace', path: `${diarySchema}:snils`, value: '000-000-000 01-secret' }])
  t.match(badValue.json(), { status: '400', scimType: 'invalidValue', detail: /snils/ })
  t.notOk(badValue.body.includes('secret'))
  const noOps = await scim('PATCH', `/Users/${created.id}`, { schemas: [patchOp] })
  t.equal(noOps.statusCode, 400)
  const reactivated = await patch([{ op: 'replace', path: 'active', value: false }])
  t.equal(reactivated.json().active, false)
  t.equal((await patch([{ op: 'replace', value: { active: true } }])).json().active, true, 'reactivated')
  const state = await sql<{
    n: number
  }>`select count(*)::int as n from audit_event where account_id = ${created.id}::uuid and type = 'account_reactivated'`.execute(
    db,
  )
  t.equal(state.rows[0]?.n, 1)
})

t.test('RFC 7644 §3.7: the Bulk example (POST with bulkId, then PATCH and DELETE of it)', async (t) => {
  const response = await scim('POST', '/Bulk', {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
    failOnErrors: 1,
    Operations: [
      { method: 'POST', path: '/Users', bulkId: 'qwerty', data: userResource('alice.bulk') },
      {
        method: 'PATCH',
        path: '/Users/bulkId:qwerty',
        data: {
          schemas: [patchOp],
          Operations: [
            { op: 'replace', path: 'nickName', value: 'x' },
            { op: 'replace', path: 'active', value: false },
          ],
        },
      },
      { method: 'DELETE', path: '/Users/bulkId:qwerty' },
    ],
  })
  t.equal(response.statusCode, 200)
  const body = response.json()
  t.same(body.schemas, ['urn:ietf:params:scim:api:messages:2.0:BulkResponse'])
  t.match(body.Operations, [
    { method: 'POST', bulkId: 'qwerty', status: '201', location: /\/scim\/v2\/Users\//, version: /^W\// },
    { method: 'PATCH', status: '200' },
    { method: 'DELETE', status: '204' },
  ])
})

t.test('authentication: no token 401, a read-only token cannot write, a person token is refused', async (t) => {
  const none = await world.app.inject({ method: 'GET', url: '/scim/v2/Users' })
  t.equal(none.statusCode, 401)
  t.equal(none.headers['www-authenticate'], 'Bearer')
  t.same(none.json().schemas, [errorSchema])
  const garbage = await scim('GET', '/Users', undefined, { token: 'not.a.token' })
  t.equal(garbage.statusCode, 401)
  const readOnly = await scim('POST', '/Users', userResource('reader.write'), { token: world.tokens.reader })
  t.equal(readOnly.statusCode, 403)
  t.equal((await scim('GET', '/Users?count=1', undefined, { token: world.tokens.reader })).statusCode, 200)
  t.equal((await scim('GET', '/Nothing')).statusCode, 404)
  t.same((await scim('GET', '/Nothing')).json().schemas, [errorSchema])
})

t.test('a PUT without active keeps the state; with active true it reactivates', async (t) => {
  const created = (await scim('POST', '/Users', userResource('put.state', undefined, { active: false }))).json<{
    id: string
    active: boolean
  }>()
  t.equal(created.active, false, 'created deactivated')
  const withoutActive: Record<string, unknown> = userResource('put.state')
  delete withoutActive.active
  const kept = await scim('PUT', `/Users/${created.id}`, withoutActive)
  t.equal(kept.json<{ active: boolean }>().active, false, 'omitted: still deactivated')
  const back = await scim('PUT', `/Users/${created.id}`, userResource('put.state'))
  t.equal(back.json<{ active: boolean }>().active, true)
})

t.test(
  'a revoked token is refused at once by every call, those whose statement carries the revocation too',
  async (t) => {
    const token = await world.tokenOf('diary-29')
    const asToken = { token }
    const created = (await scim('POST', '/Users', userResource('revoked.before'), asToken)).json<UserBody>()
    t.equal(created.userName, 'revoked.before', 'the token works before')
    const revoke = await world.app.inject({
      method: 'POST',
      url: '/revoke',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`diary-29:${scimClients['diary-29']}`).toString('base64')}`,
      },
      payload: `token=${token}`,
    })
    t.equal(revoke.statusCode, 200)
    const deactivate = {
      schemas: [patchOp],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    }
    const calls = [
      ['GET', `/Users?filter=${q('userName eq "revoked.before"')}`, undefined, 'a list that would find it'],
      ['GET', `/Users?filter=${q('userName eq "nobody"')}`, undefined, 'a list that finds nothing'],
      ['POST', '/Users', userResource('revoked.after'), 'a create'],
      ['POST', '/Users', userResource('revoked.before'), 'a create that would clash'],
      ['PATCH', `/Users/${created.id}`, deactivate, 'a PATCH of active'],
      ['PATCH', `/Users/${created.id}`, { schemas: [patchOp], Operations: [{ op: 'bogus' }] }, 'a bad PATCH'],
      ['GET', `/Users/${created.id}`, undefined, 'a get by id'],
    ] as const
    for (const [method, path, body, what] of calls) {
      const response = await scim(method, path, body, asToken)
      t.equal(response.statusCode, 401, what)
    }
    const stored = await db
      .selectFrom('diary_account')
      .select(['login', 'state'])
      .where('login', 'like', 'revoked.%')
      .execute()
    t.same(stored, [{ login: 'revoked.before', state: 'active' }], 'nothing was written')
    t.equal((await scim('GET', `/Users/${created.id}`)).statusCode, 200, "another of the client's tokens still works")
  },
)
