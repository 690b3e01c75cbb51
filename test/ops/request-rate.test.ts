/*
 * The request limits of /token, /revoke and /introspect against a real database: two app instances
 * share one request_rate table (two connections with DATABASE_URL, one embedded database otherwise) and
 * one injected clock. Each instance is given its limiter and the test syncs it by hand, so that what an
 * instance knows is never a matter of timing; the last test checks that an app's own limiter syncs by
 * itself and when it closes.
 */
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import t, { type Test as Tap } from 'tap'
import { buildApp } from '../../src/app.js'
import type { Config } from '../../src/config/load.js'
import { openDatabase } from '../../src/db/open-database.js'
import { createLogger } from '../../src/logger.js'
import { windowStartOf } from '../../src/ops/rate-limit.js'
import {
  createRequestRates,
  type RateLimitPolicy,
  type RateLogger,
  rateLimitPolicy,
  type RequestRates,
} from '../../src/ops/request-rate.js'
import { clients, secrets } from '../helpers/oauth-world.js'
import { buildTestApp, type TestApp } from '../helpers/test-app.js'
import { loadTestConfig, passwordOnlyRegion, validEnv, validRegion } from '../helpers/test-config.js'
import { openTestDatabase } from '../helpers/test-database.js'

const publicUrl = 'http://localhost:3000'
const { db, url } = await openTestDatabase(t)

function configWith(t: Tap, rateLimits: Record<string, number>): Config {
  return loadTestConfig(
    t,
    {
      'bridge.json': { publicUrl, rateLimits },
      'regions/29.json': { ...validRegion, stateServices: { enabled: false } },
      'regions/78.json': passwordOnlyRegion,
      'clients/web-diary.json': clients['web-diary'],
      'clients/schedule.json': clients.schedule,
    },
    { ...validEnv, SCHEDULE_SECRET: secrets.schedule },
  )
}

/** A clock at 15 s into a window of its own (an hour apart per test: their rows never meet). */
let hours = 0
function clockInOwnWindow() {
  hours += 1
  const clock = { ms: windowStartOf(new Date(), 60) + hours * 3_600_000 + 15_000 }
  return { clock, now: () => new Date(clock.ms), windowStart: () => new Date(windowStartOf(new Date(clock.ms), 60)) }
}

const silent: RateLogger = { info: () => {}, warn: () => {} }

/** A database that was open and is closed now (Kysely closes only a database that has been used). */
async function closedDatabase() {
  const gone = await openDatabase({ databaseUrl: url })
  await sql`select 1`.execute(gone)
  await gone.destroy()
  return gone
}

interface Instance extends TestApp {
  rates: RequestRates
}

/** Two instances on the one database, each with its limiter (synced by hand: syncSeconds is a minute). */
async function twoInstances(
  t: Tap,
  config: Config,
  now: () => Date,
  policy: Partial<RateLimitPolicy> = {},
): Promise<[Instance, Instance]> {
  const second = url === undefined ? db : await openDatabase({ databaseUrl: url })
  if (second !== db) t.teardown(() => second.destroy())
  const instance = async (database: typeof db): Promise<Instance> => {
    const rates = createRequestRates(database, { ...rateLimitPolicy(config), syncSeconds: 60, ...policy }, silent)
    t.teardown(() => rates.close())
    return { ...(await buildTestApp(t, config, database, { now, requestRates: rates })), rates }
  }
  return [await instance(db), await instance(second)]
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
const webDiary = { authorization: basic('web-diary', secrets['web-diary']) }
const schedule = { client_id: 'schedule', client_secret: secrets.schedule }

type Endpoint = '/token' | '/introspect' | '/revoke'

/** A request with a made-up token: answered 400 invalid_grant at /token and 200 elsewhere, unless limited. */
function send(
  app: FastifyInstance,
  endpoint: Endpoint,
  address: string,
  credentials: { authorization?: string } & Record<string, string> = webDiary,
) {
  const { authorization, ...fields } = credentials
  const form: Record<string, string> =
    endpoint === '/token' ? { grant_type: 'refresh_token', refresh_token: 'made-up-token' } : { token: 'made-up-token' }
  return app.inject({
    method: 'POST',
    url: endpoint,
    remoteAddress: address,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(authorization === undefined ? {} : { authorization }),
    },
    payload: new URLSearchParams({ ...form, ...fields }).toString(),
  })
}

async function rowsOf(windowStart: Date, like = '%'): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('request_rate')
    .select(['key', 'count'])
    .where('window_start', '=', windowStart)
    .where('key', 'like', like)
    .orderBy('key')
    .execute()
  return Object.fromEntries(rows.map((row) => [row.key, row.count]))
}

t.test(
  'per address: requests split over two instances are refused once the shared total passes the limit',
  async (t) => {
    const { clock, now, windowStart } = clockInOwnWindow()
    const [a, b] = await twoInstances(t, configWith(t, { perAddress: 5, perClient: 0 }), now)
    const address = '198.51.100.1'

    const first = [
      await send(a.app, '/token', address),
      await send(a.app, '/introspect', address),
      await send(a.app, '/revoke', address),
    ]
    t.same(
      first.map((r) => r.statusCode),
      [400, 200, 200],
      'three at A, one per endpoint, are served',
    )
    const second = [await send(b.app, '/token', address), await send(b.app, '/revoke', address)]
    t.same(
      second.map((r) => r.statusCode),
      [400, 200],
      'two at B are served',
    )
    await a.rates.sync()
    await b.rates.sync()
    t.same(await rowsOf(windowStart()), { 'address:198.51.100.1': 5 }, "one row holds both instances' counts")

    const refused = await send(b.app, '/token', address)
    t.equal(refused.statusCode, 429, 'B, which has read the total of 5, refuses the sixth')
    t.equal(refused.headers['retry-after'], '45', 'Retry-After: the seconds left in the window')
    t.equal(refused.headers['cache-control'], 'no-store')
    t.match(
      refused.json(),
      { error: 'temporarily_unavailable', error_description: String, request_id: String },
      'the OAuth error shape of the endpoint',
    )
    t.equal((await send(b.app, '/introspect', address)).statusCode, 429, '/introspect is limited too')
    t.equal((await send(b.app, '/token', '198.51.100.2')).statusCode, 400, 'another address is still served')

    t.equal(
      (await send(a.app, '/revoke', address)).statusCode,
      200,
      'A read the total before B added its 2: it admits one more (the documented overshoot)',
    )
    await a.rates.sync()
    t.equal((await send(a.app, '/revoke', address)).statusCode, 429, 'after its next sync A refuses too')
    t.same(
      await rowsOf(windowStart(), 'address:198.51.100.1'),
      { 'address:198.51.100.1': 6 },
      'refused requests are not counted',
    )

    const metrics = (await b.app.inject('/metrics')).body
    t.match(
      metrics,
      /^bridge_rate_limited_total\{endpoint="\/token",kind="address"\} 1$/m,
      'counted per endpoint and kind',
    )
    t.match(metrics, /^bridge_rate_limited_total\{endpoint="\/introspect",kind="address"\} 1$/m)
    const logged = b.logLines().filter((line) => line.msg === 'request limit reached')
    t.match(
      logged,
      [{ level: 30, endpoint: '/token', kind: 'address', retryAfterSeconds: 45 }, { endpoint: '/introspect' }],
      'one info line per refusal',
    )
    t.equal(logged[0]?.clientId, undefined, 'an address limit names no client (the request only claimed one)')
    t.notMatch(b.logText(), secrets['web-diary'], 'no secret in the log')
    t.notMatch(b.logText(), webDiary.authorization.slice('Basic '.length), 'nor the credentials')

    clock.ms += 60_000
    t.equal((await send(a.app, '/token', address)).statusCode, 400, 'in the next window A serves the address again')
    t.equal((await send(b.app, '/token', address)).statusCode, 400, 'and so does B')
  },
)

t.test('per client: the limit holds for that client from any address, other clients are served', async (t) => {
  const { now, windowStart } = clockInOwnWindow()
  const [a, b] = await twoInstances(t, configWith(t, { perAddress: 0, perClient: 4 }), now)
  const guessed = { authorization: basic('web-diary', 'guessed-secret') }

  for (let i = 0; i < 10; i++)
    t.equal((await send(a.app, '/revoke', `192.0.2.${i}`, guessed)).statusCode, 401, `a wrong secret ${i + 1}`)
  await a.rates.sync()
  t.same(await rowsOf(windowStart()), {}, 'requests that only name a client spend none of its allowance')

  const served = [
    await send(a.app, '/revoke', '203.0.113.1'),
    await send(a.app, '/introspect', '203.0.113.2'),
    await send(b.app, '/revoke', '203.0.113.3'),
    await send(b.app, '/token', '203.0.113.4'),
  ]
  t.same(
    served.map((r) => r.statusCode),
    [200, 200, 200, 400],
    "the web diary's four requests, over two instances and four addresses",
  )
  await a.rates.sync()
  await b.rates.sync()
  t.same(await rowsOf(windowStart()), { 'client:web-diary': 4 })

  const refused = await send(b.app, '/revoke', '203.0.113.5')
  t.equal(refused.statusCode, 429, 'a fifth from a new address is refused')
  t.match(refused.json(), { error: 'temporarily_unavailable' })
  t.equal(
    (await send(b.app, '/revoke', '203.0.113.6', guessed)).statusCode,
    429,
    'before its credentials are looked at',
  )
  t.equal(
    (await send(b.app, '/revoke', '203.0.113.5', schedule)).statusCode,
    200,
    'the schedule service, from the same address, is served',
  )
  t.equal(
    (await send(b.app, '/token', '203.0.113.7', { client_id: 'mobile' })).statusCode,
    401,
    "an unknown client is not limited by the web diary's count",
  )
  t.equal(
    (await send(a.app, '/revoke', '203.0.113.8')).statusCode,
    200,
    'A last read a total of 2: it admits one more (the documented overshoot)',
  )
  await a.rates.sync()
  t.equal((await send(a.app, '/revoke', '203.0.113.9')).statusCode, 429, 'after its next sync A refuses too')
  await b.rates.sync()
  t.same(
    await rowsOf(windowStart()),
    { 'client:schedule': 1, 'client:web-diary': 5 },
    'only registered clients that authenticated have rows',
  )
  t.match(
    b.logLines().find((line) => line.msg === 'request limit reached'),
    { kind: 'client', endpoint: '/revoke', clientId: 'web-diary' },
  )
  t.match((await b.app.inject('/metrics')).body, /^bridge_rate_limited_total\{endpoint="\/revoke",kind="client"\} 2$/m)
})

t.test('made-up client ids count against the address only, and never reach the database', async (t) => {
  const { now, windowStart } = clockInOwnWindow()
  const [a] = await twoInstances(t, configWith(t, { perAddress: 100, perClient: 100 }), now)
  const address = '198.51.100.77'
  const madeUp: Record<string, string>[] = [
    { client_id: 'no-such-client', client_secret: 'x' },
    { client_id: 'x'.repeat(5000) },
    { authorization: basic('y'.repeat(3000), 'z') },
    { authorization: 'Basic !!!not-base64' },
  ]
  for (const credentials of madeUp) t.equal((await send(a.app, '/token', address, credentials)).statusCode, 401)
  await a.rates.sync()
  t.same(await rowsOf(windowStart()), { 'address:198.51.100.77': 4 }, 'one row: the address, with all four')
})

t.test(
  'at most maxKeysPerKind addresses per window are kept: the rest share one overflow key, counted but never refused',
  async (t) => {
    const { now, windowStart } = clockInOwnWindow()
    const [a] = await twoInstances(t, configWith(t, { perAddress: 2, perClient: 0 }), now, { maxKeysPerKind: 2 })
    const statuses = []
    for (const address of ['198.18.0.1', '198.18.0.2', '198.18.0.3', '198.18.0.4', '198.18.0.5', '198.18.0.1'])
      statuses.push((await send(a.app, '/revoke', address)).statusCode)
    t.same(
      statuses,
      [200, 200, 200, 200, 200, 200],
      'the 3rd to 5th address share the overflow key, which refuses none (a real server arriving after a flood of made-up addresses is served)',
    )
    t.equal((await send(a.app, '/revoke', '198.18.0.1')).statusCode, 429, 'a kept address still has its limit of 2')
    await a.rates.sync()
    t.same(await rowsOf(windowStart()), { 'address:*': 3, 'address:198.18.0.1': 2, 'address:198.18.0.2': 1 })
  },
)

t.test('a sync that fails is logged once, fails no request, and the limit still holds on local counts', async (t) => {
  const { now, windowStart } = clockInOwnWindow()
  const config = configWith(t, { perAddress: 3, perClient: 0 })
  const gone = await closedDatabase()
  const logged: [string, string][] = []
  const logger: RateLogger = {
    info: (message) => logged.push(['info', message]),
    warn: (_details, message) => logged.push(['warn', message]),
  }
  const rates = createRequestRates(gone, { ...rateLimitPolicy(config), syncSeconds: 60 }, logger)
  t.teardown(() => rates.close())
  const { app } = await buildTestApp(t, config, db, { now, requestRates: rates })

  const address = '198.51.100.200'
  t.equal((await send(app, '/revoke', address)).statusCode, 200)
  await rates.sync()
  t.equal((await send(app, '/introspect', address)).statusCode, 200, 'served after a failed sync')
  await rates.sync()
  await rates.sync()
  t.same(
    logged.map(([level]) => level),
    ['warn'],
    'one warning for the whole streak',
  )
  t.match(logged[0]?.[1], /could not be shared/)
  t.equal((await send(app, '/token', address)).statusCode, 400, 'the third request is served')
  t.equal((await send(app, '/token', address)).statusCode, 429, "the fourth is refused on this instance's own count")
  t.same(await rowsOf(windowStart()), {}, 'nothing reached the (other) database')
})

t.test('a refused request touches no database: with the database gone it is still a 429', async (t) => {
  const { now } = clockInOwnWindow()
  const config = configWith(t, { perAddress: 1, perClient: 0 })
  const gone = await closedDatabase()
  const rates = createRequestRates(gone, { ...rateLimitPolicy(config), syncSeconds: 60 }, silent)
  t.teardown(() => rates.close())
  const { app } = await buildTestApp(t, config, gone, { now, requestRates: rates })
  const admitted = await send(app, '/revoke', '198.51.100.201')
  t.ok(admitted.statusCode >= 500, `the admitted one needed the database (${admitted.statusCode})`)
  t.equal((await send(app, '/revoke', '198.51.100.201')).statusCode, 429, 'the refused one did not')
})

t.test("an app's own limiter syncs every syncSeconds by itself, and once more when the app closes", async (t) => {
  const config = configWith(t, { syncSeconds: 1, perAddress: 1000, perClient: 1000 })
  const app = await buildApp({ config, deps: { db, logger: createLogger({ level: 'silent' }) } })
  let closed = false
  t.teardown(() => (closed ? undefined : app.close()))
  const address = '198.51.100.250'
  const key = `address:${address}`
  const counted = async () =>
    (await db.selectFrom('request_rate').select('count').where('key', '=', key).executeTakeFirst())?.count
  const window = new Date(windowStartOf(new Date(), 60))

  t.equal((await send(app, '/revoke', address)).statusCode, 200)
  // Waits for the timer (a second); the deadline only stops a test whose timer never fires.
  for (const deadline = Date.now() + 30_000; (await counted()) !== 1 && Date.now() < deadline;)
    await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(await counted(), 1, 'the timer sent the count')

  for (let i = 0; i < 3; i++) await send(app, '/revoke', address)
  await app.close()
  closed = true
  const rows = await db.selectFrom('request_rate').select(['window_start', 'count']).where('key', '=', key).execute()
  t.equal(
    rows.reduce((sum, row) => sum + row.count, 0),
    4,
    'closing sent the rest',
  )
  t.ok(
    rows.every((row) => row.window_start.getTime() >= window.getTime()),
    'in the window of the requests',
  )
})
