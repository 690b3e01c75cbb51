/*
 * Hostile input against /scim/v2 with a valid machine token of region 29 (test/fuzz/routes.fuzz.test.ts
 * covers it without credentials): generated methods, paths, filters, paging, If-Match, and bodies that
 * are almost SCIM (Users with values of every type, PATCH operations, Bulk requests, garbage). For every
 * response: no status ≥ 500, no stack trace or SQL in the body, and an error is a SCIM error body.
 * The seed is printed; replay with FUZZ_SEED=<seed> (FUZZ_RUNS=<n> to change the count).
 */
import fc from 'fast-check'
import t from 'tap'
import { diarySchema, startScimWorld, userResource } from '../helpers/scim-world.js'

const world = await startScimWorld(t)
const { app, tokens } = world
const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
const numRuns = Number(process.env.FUZZ_RUNS ?? 600)

const existing = (await world.scim('POST', '/Users', userResource('fuzz.target'))).json().id as string

const nasty = fc.constantFrom(
  '',
  '\u0000',
  '\ud800',
  '%',
  '_',
  '\\',
  '"',
  "'",
  '(',
  ')',
  'null',
  'true',
  '-1',
  '1e999',
  '9'.repeat(40),
  'a'.repeat(300),
  'я'.repeat(500),
  '__proto__',
  'urn:ietf:params:scim:schemas:core:2.0:User:userName',
  `${diarySchema}:school`,
  'W/"1"',
  '*',
  existing,
  '00000000-0000-4000-8000-000000000000',
  'bulkId:x',
)
const scalar = fc.oneof(nasty, fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null), fc.double())
const anything = fc.oneof(scalar, fc.jsonValue({ maxDepth: 3 }), fc.array(scalar, { maxLength: 3 }))

const attributes = [
  'schemas',
  'id',
  'externalId',
  'userName',
  'name',
  'active',
  'emails',
  'phoneNumbers',
  'password',
  'meta',
  diarySchema,
  'Operations',
  'failOnErrors',
  'filter',
  'startIndex',
  'count',
  'sortBy',
  'sortOrder',
]
const extension = fc.dictionary(
  fc.constantFrom('region', 'school', 'schoolId', 'class', 'role', 'birthDate', 'snils', 'snilsLast4'),
  anything,
)
const user = fc
  .tuple(fc.dictionary(fc.constantFrom(...attributes), anything), extension, fc.boolean())
  .map(([more, ext, base]) =>
    base ? { ...userResource(`fuzz.${Math.abs(JSON.stringify(more).length)}`), ...more, [diarySchema]: ext } : more,
  )
const patchOperation = fc.record(
  {
    op: fc.oneof(fc.constantFrom('add', 'replace', 'remove', 'Replace', 'move'), scalar),
    path: fc.oneof(
      fc.constantFrom(
        'active',
        'name.familyName',
        'emails[type eq "work"].value',
        'meta',
        'id',
        `${diarySchema}:region`,
        'x[',
        '',
      ),
      scalar,
    ),
    value: anything,
  },
  { requiredKeys: [] },
)
const filter = fc.oneof(
  fc.constantFrom(
    'userName eq "a"',
    'userName co "%"',
    'not (active eq true)',
    'meta.lastModified gt "2020-01-01T00:00:00Z"',
    `${diarySchema}:school sw "Ш"`,
    'emails[type eq "work"]',
    'userName eq "a" and (',
  ),
  fc
    .tuple(
      fc.constantFrom(
        'userName',
        'externalId',
        'active',
        'meta.created',
        `${diarySchema}:role`,
        'id',
        'nope',
        'name.givenName',
      ),
      fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'pr', 'xx'),
      fc.oneof(
        fc.string({ maxLength: 10 }).map((s) => JSON.stringify(s)),
        fc.constantFrom('true', '5', 'null', '"\\"'),
      ),
    )
    .map(([a, op, v]) => (op === 'pr' ? `${a} pr` : `${a} ${op} ${v}`)),
  fc.string({ maxLength: 30 }),
)
const body = fc.oneof(
  user.map((value) => JSON.stringify(value)),
  fc
    .array(patchOperation, { maxLength: 4 })
    .map((Operations) => JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations })),
  fc
    .array(
      fc.record(
        {
          method: fc.oneof(fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE', 'GET'), scalar),
          path: fc.oneof(fc.constantFrom('/Users', `/Users/${existing}`, '/Users/bulkId:a', '/Groups'), scalar),
          bulkId: fc.oneof(fc.constantFrom('a', 'b'), scalar),
          data: fc.oneof(user, anything),
          version: fc.oneof(fc.constant('W/"1"'), scalar),
        },
        { requiredKeys: [] },
      ),
      { maxLength: 4 },
    )
    .chain((Operations) =>
      fc.record({ Operations: fc.constant(Operations), failOnErrors: fc.oneof(fc.constant(undefined), scalar) }),
    )
    .map((value) => JSON.stringify(value)),
  fc
    .record({ filter, startIndex: scalar, count: scalar, sortBy: scalar, sortOrder: scalar }, { requiredKeys: [] })
    .map((v) => JSON.stringify(v)),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 60 }),
)
const path = fc.oneof(
  fc.constantFrom(
    '/Users',
    '/Users/.search',
    '/Bulk',
    '/ServiceProviderConfig',
    '/Schemas',
    '/ResourceTypes',
    '/Schemas/x',
  ),
  fc.constantFrom(
    `/Users/${existing}`,
    '/Users/00000000-0000-4000-8000-000000000000',
    '/Users/not-a-uuid',
    '/Users/%00',
    '/Users/%E2%82',
  ),
)
const query = fc.oneof(
  fc.constant(''),
  fc
    .record(
      {
        filter,
        startIndex: fc.oneof(nasty, fc.integer().map(String)),
        count: fc.oneof(nasty, fc.integer().map(String)),
        sortBy: nasty,
        sortOrder: nasty,
      },
      { requiredKeys: [] },
    )
    .map((params) => `?${new URLSearchParams(params as Record<string, string>).toString()}`),
)
const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'),
  path,
  query,
  body,
  contentType: fc.constantFrom(
    'application/scim+json',
    'application/json',
    'text/plain',
    'application/scim+json; charset=utf-8',
  ),
  ifMatch: fc.oneof(
    fc.constant(undefined),
    fc.constantFrom('W/"1"', '*', '"x"', 'W/"99999999999999999999"'),
    fc.string({ maxLength: 10 }),
  ),
})

const internals = [/\n\s+at \S/, /node_modules/, /\bSELECT\b.*\bFROM\b/i, /\bkysely\b/i, /Internal Server Error/]

t.test(`${numRuns} generated SCIM requests with a valid token: no 5xx, no internals, SCIM errors`, async (t) => {
  t.comment(`fuzz seed ${seed} (replay: FUZZ_SEED=${seed} npx tap test/fuzz/scim.fuzz.test.ts)`)
  const statuses = new Map<number, number>()
  await fc.assert(
    fc.asyncProperty(request, async (generated) => {
      const headers: Record<string, string> = {
        authorization: `Bearer ${tokens[29]}`,
        'content-type': generated.contentType,
      }
      if (generated.ifMatch !== undefined) headers['if-match'] = generated.ifMatch
      const withBody = generated.method !== 'GET' && generated.method !== 'DELETE'
      const response = await app.inject({
        method: generated.method,
        url: `/scim/v2${generated.path}${generated.query}`,
        headers,
        ...(withBody ? { payload: generated.body } : {}),
      })
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1)
      if (response.statusCode >= 500) throw new Error(`status ${response.statusCode}: ${response.body.slice(0, 300)}`)
      const leak = internals.find((pattern) => pattern.test(response.body))
      if (leak !== undefined) throw new Error(`internals (${leak}): ${response.body.slice(0, 300)}`)
      if (response.statusCode >= 400) {
        const error = response.json<{ schemas?: string[]; status?: string }>()
        if (
          error.schemas?.[0] !== 'urn:ietf:params:scim:api:messages:2.0:Error' ||
          error.status !== String(response.statusCode)
        ) {
          throw new Error(`not a SCIM error: ${response.body.slice(0, 300)}`)
        }
      }
    }),
    { seed, numRuns, endOnFailure: true },
  )
  t.comment(`statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`)
  t.pass('no 5xx')
})
