/*
 * The SCIM scenarios of `npm run bench` (issue 25): a diary system keeping its accounts in step.
 * - create without a password (the common case: the diary hands out passwords another way) and with one
 *   (argon2id is then the cost), each a new userName
 * - get by filter (userName eq, the lookup every directory client makes before it writes)
 * - PATCH active (deactivation and reactivation, alternating over the accounts created before)
 * - a Bulk of 1,000 creates without passwords, timed whole
 * The client is `bench-sync` (client_credentials, scope scim, region 29), written by writeBenchConfig.
 */
import { performance } from 'node:perf_hooks'
import { basicAuth } from './flows.js'
import { type LoadResult, load, type Measure } from './lib.js'

const scimType = 'application/scim+json'
const extension = 'urn:ietf:params:scim:schemas:extension:diary:2.0:User'

export interface ScimBench {
  createWithout: Awaited<ReturnType<Measure>> & { result: LoadResult }
  createWith: Awaited<ReturnType<Measure>> & { result: LoadResult }
  getByFilter: Awaited<ReturnType<Measure>> & { result: LoadResult }
  patchActive: Awaited<ReturnType<Measure>> & { result: LoadResult }
  /** Seconds for one Bulk of 1,000 creates, the median of three. */
  bulkSeconds: number
  bulk: Awaited<ReturnType<Measure>>
}

/** A User as the diary system sends it (bench:profile's SCIM scenarios send the same). */
export function scimUser(userName: string, password?: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', extension],
    userName,
    name: { familyName: 'Тестова', givenName: 'Анна', middleName: 'Сергеевна' },
    ...(password === undefined ? {} : { password }),
    [extension]: { role: 'pupil', school: 'Школа № 1', class: '5А', birthDate: '2014-02-03' },
  }
}

/** The request headers of the bench-sync client: a client_credentials token with scope scim. */
export async function scimHeaders(bridgeUrl: string, clientSecret: string): Promise<Record<string, string>> {
  const tokenResponse = await fetch(`${bridgeUrl}/token`, {
    method: 'POST',
    headers: {
      authorization: basicAuth({ clientId: 'bench-sync', clientSecret }),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials&scope=scim',
  })
  const { access_token: token } = (await tokenResponse.json()) as { access_token?: string }
  if (token === undefined) throw new Error(`no SCIM token: ${tokenResponse.status}`)
  return { authorization: `Bearer ${token}`, 'content-type': scimType, accept: scimType }
}

/** A PATCH that sets `active` (the deactivation and reactivation a directory client sends). */
export function patchActiveBody(active: boolean): string {
  return JSON.stringify({
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [{ op: 'replace', path: 'active', value: active }],
  })
}

export async function benchScim(bridgeUrl: string, clientSecret: string, measure: Measure): Promise<ScimBench> {
  const headers = await scimHeaders(bridgeUrl, clientSecret)
  const run = Date.now().toString(36)
  let created = 0
  const create = (password?: string) =>
    load({
      url: `${bridgeUrl}/scim/v2/Users`,
      method: 'POST',
      headers,
      connections: password === undefined ? 8 : 4,
      duration: 5,
      expectStatus: 201,
      requests: [
        {
          setupRequest: (request) => ({
            ...request,
            body: JSON.stringify(scimUser(`scim-${run}-${created++}`, password)),
          }),
        },
      ],
    })
  const createWithout = await measure(() => create())
  const createWith = await measure(() => create('Temp-password-2026'))
  const getByFilter = await measure(() =>
    load({
      url: `${bridgeUrl}/scim/v2/Users?filter=${encodeURIComponent(`userName eq "scim-${run}-1"`)}`,
      headers,
      connections: 8,
      duration: 5,
    }),
  )
  // Ids of accounts made above, to deactivate and reactivate in turn.
  const listed = await fetch(
    `${bridgeUrl}/scim/v2/Users?count=1000&filter=${encodeURIComponent(`userName sw "scim-${run}-"`)}`,
    { headers },
  )
  const ids =
    ((await listed.json()) as { Resources?: { id: string }[] }).Resources?.map((resource) => resource.id) ?? []
  if (ids.length < 100) throw new Error(`too few SCIM accounts to patch: ${ids.length}`)
  let patches = 0
  const patchActive = await measure(() =>
    load({
      url: `${bridgeUrl}/scim/v2/Users`,
      method: 'PATCH',
      headers,
      connections: 8,
      duration: 5,
      requests: [
        {
          setupRequest: (request) => {
            const turn = patches++
            const id = ids[turn % ids.length]
            const active = Math.floor(turn / ids.length) % 2 === 1
            return {
              ...request,
              path: `/scim/v2/Users/${id}`,
              body: patchActiveBody(active),
            }
          },
        },
      ],
    }),
  )
  const seconds: number[] = []
  let bulks = 0
  const bulk = await measure(async () => {
    const operations = Array.from({ length: 1000 }, (_, i) => ({
      method: 'POST',
      path: '/Users',
      bulkId: `b${i}`,
      data: scimUser(`bulk-${run}-${bulks}-${i}`),
    }))
    bulks++
    const started = performance.now()
    const response = await fetch(`${bridgeUrl}/scim/v2/Bulk`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: operations }),
    })
    const answer = (await response.json()) as { Operations?: { status: string }[] }
    seconds.push((performance.now() - started) / 1000)
    const createdInBulk = answer.Operations?.filter((operation) => operation.status === '201').length ?? 0
    if (createdInBulk !== 1000) throw new Error(`the Bulk created ${createdInBulk} of 1000 (status ${response.status})`)
    return { completed: createdInBulk }
  })
  seconds.sort((a, b) => a - b)
  return {
    createWithout,
    createWith,
    getByFilter,
    patchActive,
    bulkSeconds: seconds[Math.floor(seconds.length / 2)] ?? Number.NaN,
    bulk,
  }
}
