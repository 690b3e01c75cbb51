/*
 * Console roles over SCIM (issue 27), the extension's consoleRoles, against the real app and database:
 * - a create, a PUT and PATCH (with a path, with a value filter, without a path) set the account's roles,
 *   which the console then sees (findOperatorScope) and a GET shows; a PUT without the attribute leaves them, an empty one takes them away
 * - refusals are 400 invalidValue and write nothing: a pupil, an unknown role or school, a deactivated account
 * - the region scope: a client of 29 neither sees nor sets the roles of an account of 78, nor names its schools
 */
import t from 'tap'
import { findOperatorScope, listOperatorRoles } from '../../src/console/operator.repository.js'
import { parseScimUser } from '../../src/scim/user-resource.js'
import { diarySchema, type ListBody, startScimWorld, userResource } from '../helpers/scim-world.js'

const world = await startScimWorld(t)
const { scim, db, tokens } = world
const patchOp = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const rolesPath = `${diarySchema}:consoleRoles`
const q = (filter: string) => encodeURIComponent(filter)

const teacher = (userName: string, consoleRoles?: unknown, extension: Record<string, unknown> = {}) =>
  userResource(userName, {
    role: 'teacher',
    school: 'Школа № 1',
    schoolId: 'sch-29-1',
    ...extension,
    ...(consoleRoles === undefined ? {} : { consoleRoles }),
  })

const rolesIn = (body: Record<string, unknown>) => (body[diarySchema] as { consoleRoles?: unknown }).consoleRoles

const patch = (id: string, Operations: unknown[], options?: { token?: string }) =>
  scim('PATCH', `/Users/${id}`, { schemas: [patchOp], Operations }, options)

async function exists(userName: string, token = tokens[29]): Promise<boolean> {
  const listed = await scim('GET', `/Users?filter=${q(`userName eq "${userName}"`)}`, undefined, { token })
  return listed.json<ListBody>().totalResults > 0
}

t.test('parsing consoleRoles (pure)', async (t) => {
  const rows: [consoleRoles: unknown, expected: unknown, why: string][] = [
    [undefined, undefined, 'absent: undefined (a PUT then takes all away)'],
    [null, [], 'null: none'],
    [[{ value: 'Support' }], [{ role: 'support', school: null }], 'the value case-insensitively'],
    [[{ value: 'support' }, { value: 'support' }], [{ role: 'support', school: null }], 'a repeat counts once'],
    [[{ value: 'root' }], 'consoleRoles.value: must be school-admin, region-operator or support', 'unknown role'],
    [[{ value: 'school-admin' }], 'consoleRoles.school: required for a school-admin', 'school-admin needs a school'],
    [[{ value: 'support', school: 'x' }], 'consoleRoles.school: a support has no school', 'support takes none'],
    ['support', 'consoleRoles: must be a list of objects', 'not a list'],
  ]
  for (const [consoleRoles, expected, why] of rows) {
    const parsed = parseScimUser(teacher('parse.me', consoleRoles), '2026-01-01')
    if (typeof expected === 'string') t.same(parsed, { ok: false, scimType: 'invalidValue', detail: expected }, why)
    else t.same(parsed.ok && parsed.user.consoleRoles, expected, why)
  }
})

t.test('the schema describes consoleRoles', async (t) => {
  const extension = (await scim('GET', `/Schemas/${diarySchema}`)).json<{
    attributes: { name: string; multiValued: boolean; subAttributes?: { name: string }[] }[]
  }>()
  const attribute = extension.attributes.find((one) => one.name === 'consoleRoles')
  t.equal(attribute?.multiValued, true)
  t.same(
    attribute?.subAttributes?.map((one) => one.name),
    ['value', 'school'],
  )
})

t.test('create, PATCH and PUT set the roles the console sees', async (t) => {
  const created = await scim('POST', '/Users', teacher('roles.t1', [{ value: 'school-admin', school: 'sch-29-1' }]))
  t.equal(created.statusCode, 201, created.body)
  const id = created.json().id as string
  t.same(rolesIn(created.json()), [{ value: 'school-admin', school: 'sch-29-1' }])
  const scope = await findOperatorScope(db, id)
  t.equal(scope?.schools.length, 1, 'the console scope has the school')
  t.equal(scope?.schools[0]?.region, '29')
  const grants = await listOperatorRoles(db, { accountId: id })
  t.same(
    grants.map((grant) => [grant.role, grant.grantedBy, grant.schoolName]),
    [['school-admin', 'scim:diary-29', 'Школа № 1']],
  )
  t.same(rolesIn((await scim('GET', `/Users/${id}`)).json()), [{ value: 'school-admin', school: 'sch-29-1' }])
  const listed = await scim('GET', `/Users?filter=${q('userName eq "roles.t1"')}`)
  t.same(rolesIn(listed.json<ListBody>().Resources[0] as Record<string, unknown>), [
    { value: 'school-admin', school: 'sch-29-1' },
  ])

  const added = await patch(id, [{ op: 'add', path: rolesPath, value: [{ value: 'support' }] }])
  t.equal(added.statusCode, 200, added.body)
  t.same(rolesIn(added.json()), [{ value: 'school-admin', school: 'sch-29-1' }, { value: 'support' }])
  t.same((await findOperatorScope(db, id))?.supportRegions, ['29'])

  const removed = await patch(id, [{ op: 'remove', path: `${rolesPath}[value eq "support"]` }])
  t.equal(removed.statusCode, 200, removed.body)
  t.same(rolesIn(removed.json()), [{ value: 'school-admin', school: 'sch-29-1' }])
  t.same((await findOperatorScope(db, id))?.supportRegions, [])

  const withoutPath = await patch(id, [
    { op: 'add', value: { [diarySchema]: { consoleRoles: [{ value: 'region-operator' }] } } },
  ])
  t.equal(withoutPath.statusCode, 200, withoutPath.body)
  t.same(
    (rolesIn(withoutPath.json()) as { value: string }[]).map((role) => role.value),
    ['region-operator', 'school-admin'],
  )

  const replaced = await patch(id, [{ op: 'replace', path: rolesPath, value: [{ value: 'support' }] }])
  t.equal(replaced.statusCode, 200, replaced.body)
  t.same(rolesIn(replaced.json()), [{ value: 'support' }])

  const removedAll = await patch(id, [{ op: 'remove', path: rolesPath }])
  t.equal(removedAll.statusCode, 200, removedAll.body)
  t.equal(rolesIn(removedAll.json()), undefined, 'no roles: no attribute')
  t.equal(await findOperatorScope(db, id), undefined)

  const put = await scim('PUT', `/Users/${id}`, teacher('roles.t1', [{ value: 'region-operator' }]))
  t.equal(put.statusCode, 200, put.body)
  t.same((await findOperatorScope(db, id))?.regions, ['29'])
  const putWithout = await scim('PUT', `/Users/${id}`, teacher('roles.t1'))
  t.equal(putWithout.statusCode, 200)
  t.same(rolesIn(putWithout.json()), [{ value: 'region-operator' }], 'a PUT without consoleRoles leaves them')
  const putNone = await scim('PUT', `/Users/${id}`, teacher('roles.t1', []))
  t.equal(putNone.statusCode, 200)
  t.equal(rolesIn(putNone.json()), undefined, 'a PUT with an empty consoleRoles takes them all away')
  t.same(await listOperatorRoles(db, { accountId: id }), [])
})

t.test('refusals are 400 invalidValue and write nothing', async (t) => {
  const pupil = await scim(
    'POST',
    '/Users',
    userResource('roles.pupil', { role: 'pupil', consoleRoles: [{ value: 'support' }] }),
  )
  t.equal(pupil.statusCode, 400)
  t.match(pupil.json(), {
    scimType: 'invalidValue',
    detail: 'consoleRoles: only teacher or staff accounts may hold a console role',
  })
  t.notOk(await exists('roles.pupil'), 'no pupil created')

  const unknownSchool = await scim(
    'POST',
    '/Users',
    teacher('roles.unknown', [{ value: 'school-admin', school: 'no-such-school' }]),
  )
  t.equal(unknownSchool.statusCode, 400)
  t.equal(unknownSchool.json().scimType, 'invalidValue')
  t.notOk(await exists('roles.unknown'), 'no teacher created')

  const created = (await scim('POST', '/Users', teacher('roles.t2', [{ value: 'support' }]))).json()
  const unknownRole = await patch(created.id, [{ op: 'add', path: rolesPath, value: [{ value: 'root' }] }])
  t.equal(unknownRole.statusCode, 400)
  t.equal(unknownRole.json().scimType, 'invalidValue')

  const toPupil = await scim(
    'PUT',
    `/Users/${created.id}`,
    userResource('roles.t2', { role: 'pupil', consoleRoles: [{ value: 'support' }] }),
  )
  t.equal(toPupil.statusCode, 400)
  const after = (await scim('GET', `/Users/${created.id}`)).json()
  t.equal((after[diarySchema] as { role: string }).role, 'teacher', 'the account is as it was')
  t.same(rolesIn(after), [{ value: 'support' }], 'and its roles too')

  t.equal((await patch(created.id, [{ op: 'replace', path: 'active', value: false }])).statusCode, 200)
  const inactive = await patch(created.id, [{ op: 'add', path: rolesPath, value: [{ value: 'region-operator' }] }])
  t.equal(inactive.statusCode, 400)
  t.match(inactive.json(), {
    scimType: 'invalidValue',
    detail: 'consoleRoles: a deactivated account gets no new console role',
  })
  t.same(
    (await listOperatorRoles(db, { accountId: created.id })).map((grant) => grant.role),
    ['support'],
    'a deactivated account keeps its roles, gets none more',
  )
})

t.test('the region scope: a client of 29 cannot set roles in 78', async (t) => {
  const as78 = { token: tokens[78] }
  const in78 = await scim(
    'POST',
    '/Users',
    teacher('roles.t78', undefined, { school: 'Школа 78', schoolId: 'sch-78-1' }),
    as78,
  )
  t.equal(in78.statusCode, 201)
  const id78 = in78.json().id as string
  t.equal((await patch(id78, [{ op: 'add', path: rolesPath, value: [{ value: 'support' }] }])).statusCode, 404)
  t.same(await listOperatorRoles(db, { accountId: id78 }), [], 'nothing granted in 78')

  const otherSchool = await scim(
    'POST',
    '/Users',
    teacher('roles.t29', [{ value: 'school-admin', school: 'sch-78-1' }]),
  )
  t.equal(otherSchool.statusCode, 400, "a school of 78 is no school of 29's")
  t.notOk(await exists('roles.t29'))

  const own = await patch(
    id78,
    [{ op: 'add', path: rolesPath, value: [{ value: 'school-admin', school: 'sch-78-1' }] }],
    as78,
  )
  t.equal(own.statusCode, 200, own.body)
  t.same(
    (await findOperatorScope(db, id78))?.schools.map((school) => school.region),
    ['78'],
  )
})

t.test('Bulk: creates with roles share a commit, a refused one alone is undone', async (t) => {
  const bulk = await scim('POST', '/Bulk', {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
    Operations: [
      { method: 'POST', path: '/Users', bulkId: 'a', data: teacher('roles.bulk.ok', [{ value: 'support' }]) },
      {
        method: 'POST',
        path: '/Users',
        bulkId: 'b',
        data: teacher('roles.bulk.bad', [{ value: 'school-admin', school: 'no-such-school' }]),
      },
    ],
  })
  t.equal(bulk.statusCode, 200, bulk.body)
  const [ok, bad] = bulk.json<{ Operations: { status: string; location?: string }[] }>().Operations
  t.same([ok?.status, bad?.status], ['201', '400'])
  const id = ok?.location?.split('/').pop() as string
  t.same(
    (await listOperatorRoles(db, { accountId: id })).map((grant) => [grant.role, grant.grantedBy]),
    [['support', 'scim:diary-29']],
  )
  t.notOk(await exists('roles.bulk.bad'))
})
