/*
 * Input meant to break the SCIM service (found by the review of issue 25), each answered with a 4xx and
 * nothing else: PATCH paths and keys that would reach Object.prototype through scim-patch, NUL and other
 * control characters (PostgreSQL refuses NUL in text), dates outside what the database holds, and a
 * SCIM client's token at /userinfo (its `sub` is the client, not a uuid).
 */
import t from 'tap'
import { startScimWorld, userResource } from '../helpers/scim-world.js'

const world = await startScimWorld(t)
const { scim } = world
const patchOp = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const created = await scim('POST', '/Users', userResource('hostile.target'))
const id = created.json().id as string

t.test('PATCH never reaches a prototype', async (t) => {
  const operations: unknown[] = [
    { op: 'replace', path: '__proto__', value: { polluted: 1 } },
    { op: 'add', path: '__proto__.polluted', value: 1 },
    { op: 'add', path: 'constructor.prototype.polluted', value: 1 },
    { op: 'add', path: 'name.__proto__.polluted', value: 1 },
    { op: 'add', path: 'toString.polluted', value: 1 },
    { op: 'add', path: 'name.familyName.polluted', value: 1 },
    JSON.parse('{"op":"add","value":{"__proto__":{"polluted":1}}}'),
    JSON.parse('{"op":"add","value":{"name":{"__proto__":{"polluted":1}}}}'),
    JSON.parse('{"op":"replace","path":"name","value":{"familyName":"А","__proto__":{"polluted":1}}}'),
  ]
  for (const operation of operations) {
    const response = await scim('PATCH', `/Users/${id}`, { schemas: [patchOp], Operations: [operation] })
    t.equal(response.statusCode, 400, JSON.stringify(operation))
    // A body with a `__proto__` key is refused by the JSON parser itself (invalidSyntax); the rest by the path check.
    t.match(response.json(), { scimType: /^(invalidPath|invalidSyntax)$/ })
  }
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched')
  t.equal((Function.prototype.toString as unknown as Record<string, unknown>).polluted, undefined)
  const still = await scim('PATCH', `/Users/${id}`, {
    schemas: [patchOp],
    Operations: [{ op: 'replace', path: 'name.familyName', value: 'Петрова' }],
  })
  t.equal(still.statusCode, 200, 'an ordinary PATCH still works')
})

t.test('control characters and impossible dates are bad input, not a 500', async (t) => {
  for (const path of ['externalId', 'name.familyName', 'urn:ietf:params:scim:schemas:extension:diary:2.0:User:class']) {
    const response = await scim('PATCH', `/Users/${id}`, {
      schemas: [patchOp],
      Operations: [{ op: 'replace', path, value: 'a\u0000b' }],
    })
    t.equal(response.statusCode, 400, `NUL in ${path}`)
  }
  const tabbed = await scim(
    'POST',
    '/Users',
    userResource('tabbed.name', undefined, { name: { familyName: 'Ива\tнова', givenName: 'Анна\n' } }),
  )
  t.equal(tabbed.statusCode, 201, 'white space is folded, not refused')
  for (const filter of [
    'userName eq "a\u0000"',
    'meta.lastModified gt "0000-01-01T00:00:00Z"',
    'meta.lastModified gt "+275760-09-13T00:00:00Z"',
    'meta.created lt "1 1"',
  ]) {
    const response = await scim('GET', `/Users?filter=${encodeURIComponent(filter)}`)
    t.equal(response.statusCode, 400, filter)
    t.match(response.json(), { scimType: 'invalidFilter' })
  }
  const ok = await scim('GET', `/Users?filter=${encodeURIComponent('meta.lastModified gt "2001-01-01T00:00:00Z"')}`)
  t.equal(ok.statusCode, 200, 'an RFC 3339 date still filters')
})

t.test("a SCIM client's token at /userinfo: 401, not a 500", async (t) => {
  const response = await world.app.inject({
    method: 'GET',
    url: '/userinfo',
    headers: { authorization: `Bearer ${world.tokens[29]}` },
  })
  t.equal(response.statusCode, 401)
})
