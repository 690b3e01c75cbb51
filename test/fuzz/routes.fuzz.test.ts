/*
 * Hostile input against every route of a running app on a real, migrated database with the demo
 * accounts (issue 12, item 2). Generated methods, paths, query strings, headers, cookies and bodies
 * (form, JSON, garbage, huge, truncated); a few requests carry a real browser's cookies and CSRF token
 * so that the password forms are reached too. For every response:
 * - no status ≥ 500, except 503 `busy` / `temporarily_unavailable` (documented load shedding)
 * - no stack trace or internal message in the body
 * - no row written by a request without valid credentials, except the throttle counters:
 *   `login_throttle`, and the audit rows of password attempts that failed or were throttled (a failed
 *   attempt is what the throttle counts). The rows are counted once per batch, and around each request
 *   that carries the one valid credential generated (the web diary's client secret): its rows are allowed
 * - request_rate is left out as well: every request to /token, /revoke and /introspect counts against
 *   its address, credentials or not (ops/request-rate.ts); the fuzz stays far below the default limits
 * The seed is printed; replay a failure with FUZZ_SEED=<seed> (and FUZZ_RUNS=<n> to change the count).
 */
import { METHODS } from 'node:http'
import fc from 'fast-check'
import { sql } from 'kysely'
import t from 'tap'
import { Browser, csrfToken } from '../helpers/browser.js'
import { publicUrl, startDemoWorld } from '../helpers/demo-world.js'

const world = await startDemoWorld(t)
const { app, database } = world
const db = database.db

const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
/** Requests per run of the property: the rows are counted once per batch; a failing batch shrinks to the request that matters. */
const batchSize = 50
const numRuns = Number(process.env.FUZZ_RUNS ?? 20_000 / batchSize)

/** Every route of the app (app.printRoutes lists the same), and a few that do not exist. */
const routes = [
  '/authorize',
  '/logout',
  '/logout/done',
  '/logout/confirm',
  '/login',
  '/login/password',
  '/login/state-services',
  '/login/state-services/callback',
  '/link',
  '/password/change',
  '/account',
  '/account/unlink',
  '/account/unlink/state-services',
  '/account/sign-out-everywhere',
  '/account/password',
  '/assets/bridge.css',
  '/token',
  '/revoke',
  '/introspect',
  '/userinfo',
  '/.well-known/openid-configuration',
  '/.well-known/jwks.json',
  '/healthz',
  '/readyz',
  '/metrics',
  '/scim/v2/ServiceProviderConfig',
  '/scim/v2/Schemas',
  '/scim/v2/Users',
  '/scim/v2/Users/.search',
  '/scim/v2/Users/00000000-0000-4000-8000-000000000000',
  '/scim/v2/Bulk',
  '/',
  '//',
  '/nowhere',
]

const fieldNames = [
  '_csrf',
  'login',
  'password',
  'repeat',
  'current',
  'link',
  'region',
  'q',
  'choose',
  'lang',
  'notice',
  'client_id',
  'response_type',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'prompt',
  'max_age',
  'id_token_hint',
  'post_logout_redirect_uri',
  'grant_type',
  'code',
  'code_verifier',
  'refresh_token',
  'token',
  'token_type_hint',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'iss',
  'error',
  'error_description',
  '__proto__',
  'constructor',
]

const nasty = fc.constantFrom(
  '\u0000',
  '\ud800',
  '\udfff',
  '\ufffd',
  '\u0085',
  '\u202e',
  '\r\n',
  '%',
  '%%',
  '%FF',
  '%00',
  '%ZZ',
  '&',
  '=',
  '+',
  ';',
  '../',
  '//evil.example',
  '\\',
  '<script>',
  '"\'>',
  '{',
  '[]',
  'null',
  'NaN',
  '-1',
  '1e999',
  '0x10',
  'ru',
  'en',
  '29',
  '78',
  'web-diary',
  'https://diary.example/callback',
  'S256',
  'openid',
  'code',
  'authorization_code',
  'refresh_token',
  'a'.repeat(300),
  'я'.repeat(2000),
  '𝕏'.repeat(50),
)
const value = fc.oneof(
  nasty,
  fc.string({ maxLength: 40, unit: 'binary' }),
  fc.string({ maxLength: 8 }),
  fc.nat().map(String),
)

/** Percent-encodes the UTF-8 bytes of a string (lone surrogates included, as U+FFFD). */
const encode = (text: string) =>
  [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('')
const rawOrEncoded = fc
  .tuple(value, fc.boolean())
  .map(([text, raw]) => (raw && /^[\x21-\x7e]*$/.test(text) ? text : encode(text)))

const visible = fc.constantFrom(...Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)))
const queryString = fc.oneof(
  fc.constant(''),
  fc
    .array(fc.tuple(fc.oneof(fc.constantFrom(...fieldNames), rawOrEncoded), rawOrEncoded), { maxLength: 8 })
    .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`),
  fc.string({ unit: visible, maxLength: 40 }).map((text) => `?${text}`),
)

const pathCharacter = fc.constantFrom(...`/.%:[]@!$'()*,;=~-_aZ09`, '%2F', '%2e', '%00', '%C0%AF', '%FF', '\\')
const path = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...routes) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...routes), fc.string({ unit: pathCharacter, maxLength: 12 }))
      .map(([route, tail]) => `${route}${tail}`),
  },
  { weight: 1, arbitrary: fc.string({ unit: pathCharacter, maxLength: 16 }).map((tail) => `/${tail}`) },
)

const method = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('GET', 'POST') },
  { weight: 1, arbitrary: fc.constantFrom(...METHODS.filter((m) => m !== 'CONNECT')) },
)

const formBody = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...fieldNames), rawOrEncoded), rawOrEncoded), { maxLength: 10 })
  .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'))
const jsonBody = fc
  .oneof(
    fc.dictionary(
      fc.constantFrom(...fieldNames),
      fc.oneof(value, fc.array(value, { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })),
    ),
    fc.jsonValue({ maxDepth: 3 }),
  )
  .map((json) => JSON.stringify(json) ?? 'null')

interface GeneratedBody {
  contentType?: string
  payload?: string | Buffer
  /** A body of this many bytes, made when sent (so that a counterexample stays readable). */
  hugeSize?: number
}
const body: fc.Arbitrary<GeneratedBody> = fc.oneof(
  fc.constant({}),
  formBody.map((payload) => ({ contentType: 'application/x-www-form-urlencoded', payload })),
  jsonBody.map((payload) => ({ contentType: 'application/json', payload })),
  fc.tuple(fc.oneof(formBody, jsonBody), fc.nat()).map(([text, cut]) => ({
    contentType:
      text.startsWith('{') || text.startsWith('[') ? 'application/json' : 'application/x-www-form-urlencoded',
    payload: text.slice(0, cut % (text.length + 1)),
  })),
  fc
    .tuple(
      fc.uint8Array({ maxLength: 256 }),
      fc.constantFrom(
        'application/x-www-form-urlencoded',
        'application/json',
        'text/plain',
        'multipart/form-data; boundary=x',
        'application/jwt',
        'garbage',
        ';;;',
        '',
      ),
    )
    .map(([bytes, contentType]) => ({ contentType, payload: Buffer.from(bytes) })),
  fc
    .tuple(
      fc.constantFrom('application/x-www-form-urlencoded', 'application/json'),
      fc.integer({ min: 15_000, max: 70_000 }),
    )
    .map(([contentType, hugeSize]) => ({ contentType, hugeSize })),
)

const payloadOf = (body: GeneratedBody) => {
  if (body.hugeSize === undefined) return body.payload
  return body.contentType === 'application/json'
    ? `{"login":"${'a'.repeat(body.hugeSize)}"}`
    : `login=${'a'.repeat(body.hugeSize)}`
}

// The signing key is made at the first use of the JWKS: the app's own row, not one a request wrote.
await app.inject('/.well-known/jwks.json')

/** A real browser's cookies and CSRF token, so that the forms are reached past their CSRF check. */
const browser = new Browser(app, publicUrl)
const loginForm = await browser.go('GET', '/login?region=29')
const realCookies = browser.cookieHeader(publicUrl)
const realCsrf = csrfToken(loginForm)

const cookie = fc.oneof(
  fc.constant(undefined),
  fc.constant(realCookies),
  fc
    .array(
      fc.tuple(
        fc.constantFrom(
          '__Host-bridge-session',
          '__Host-bridge-login',
          '__Host-bridge-csrf',
          'bridge-lang',
          'bridge-region',
          'x',
        ),
        rawOrEncoded,
      ),
      { maxLength: 4 },
    )
    .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('; ')),
  fc.string({ unit: 'grapheme-ascii', maxLength: 80 }),
)
/** The one valid credential the generator knows: a request with it may write rows (see the property). */
const validClient = `Basic ${Buffer.from('web-diary:web-diary-secret').toString('base64')}`
const headerText = fc.string({ unit: 'grapheme-ascii', maxLength: 60 })
const headers = fc.record(
  {
    accept: fc.oneof(fc.constantFrom('text/html', 'application/json', '*/*', 'text/html;q=0'), headerText),
    'accept-language': fc.oneof(fc.constantFrom('en', 'ru', 'en;q=abc, ru;q=0.1', '*'), headerText),
    cookie,
    origin: fc.constantFrom(publicUrl, 'https://evil.example', 'null', ''),
    'sec-fetch-site': fc.constantFrom('same-origin', 'cross-site', 'same-site', 'none', 'garbage'),
    authorization: fc.oneof(
      { weight: 1, arbitrary: fc.constant(validClient) },
      { weight: 10, arbitrary: fc.constant(`Basic ${Buffer.from('web-diary:wrong').toString('base64')}`) },
      { weight: 3, arbitrary: headerText.map((text) => `Basic ${Buffer.from(text).toString('base64')}`) },
      { weight: 3, arbitrary: headerText.map((text) => `Bearer ${text}`) },
      { weight: 3, arbitrary: headerText },
    ),
    'x-request-id': headerText,
    'x-forwarded-for': fc.constantFrom('10.0.0.1', '::1, 203.0.113.9', 'garbage', ''),
  },
  { requiredKeys: [] },
)

/** Whether light-my-request can send this URL (it parses it with WHATWG URL, as `//[` cannot be; a raw socket could). */
function sendable(url: string): boolean {
  try {
    new URL(url.startsWith('//') ? `http://localhost${url}` : url, 'http://localhost')
    return true
  } catch {
    return false
  }
}

const generatedRequest = fc
  .record({ method, path, query: queryString, headers, body, realForm: fc.nat({ max: 99 }) })
  .filter((generated) => sendable(`${generated.path}${generated.query}`))

const stackOrInternals = [
  /\n\s+at \S/,
  /\bat \S+ \(.*:\d+:\d+\)/,
  /\b[A-Z]\w*Error:/,
  /node_modules/,
  /\bSELECT\b.*\bFROM\b/i,
  /\bINSERT INTO\b/i,
  /\bkysely\b/i,
  /postgres(ql)?:/i,
  /ERR_INVALID_URL/,
  /Internal Server Error/,
]

const tables = (
  await sql<{
    name: string
  }>`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not like 'kysely_%' order by 1`.execute(
    db,
  )
).rows.map((row) => row.name)
/** One query that counts the rows of every table; the throttle's own rows are left out (see the header). */
const countQuery = sql<Record<string, string>>`select ${sql.join(
  tables
    .filter((name) => name !== 'login_throttle' && name !== 'request_rate')
    .map((name) =>
      name === 'audit_event'
        ? sql`(select count(*) from audit_event where not (type like 'password_%' and outcome = 'failure')) as audit_event`
        : sql`(select count(*) from ${sql.table(name)}) as ${sql.ref(name)}`,
    ),
)}`

async function rowCounts(): Promise<string> {
  return JSON.stringify((await countQuery.execute(db)).rows[0])
}

t.test(`${numRuns * batchSize} generated requests: no 5xx, no internals, no rows without credentials`, async (t) => {
  t.comment(`fuzz seed ${seed} (replay: FUZZ_SEED=${seed} npx tap test/fuzz/routes.fuzz.test.ts)`)
  let baseline = await rowCounts()
  const statuses = new Map<number, number>()
  let sent = 0
  const started = performance.now()
  const checkRows = async () => {
    const now = await rowCounts()
    if (now !== baseline) {
      const audit = await db
        .selectFrom('audit_event')
        .select(['type', 'outcome', 'details'])
        .orderBy('id', 'desc')
        .limit(3)
        .execute()
      throw new Error(`rows written: ${baseline} → ${now}; latest audit rows ${JSON.stringify(audit)}`)
    }
  }
  await fc.assert(
    fc.asyncProperty(fc.array(generatedRequest, { minLength: batchSize, maxLength: batchSize }), async (batch) => {
      for (const generated of batch) {
        const credentialed = generated.headers.authorization === validClient
        if (credentialed) await checkRows()
        const real = generated.realForm === 0
        const headers: Record<string, string> = {}
        for (const [name, text] of Object.entries(generated.headers)) if (text !== undefined) headers[name] = text
        let payload = payloadOf(generated.body)
        if (generated.body.contentType !== undefined) headers['content-type'] = generated.body.contentType
        if (real) {
          headers.cookie = realCookies
          delete headers.origin
          headers['content-type'] = 'application/x-www-form-urlencoded'
          payload = `_csrf=${encodeURIComponent(realCsrf)}&${typeof payload === 'string' && !payload.startsWith('{') ? payload : 'login=x&password=y'}`
        }
        const url = `${generated.path}${generated.query}`
        const response = await app.inject({ method: generated.method as 'GET', url, headers, payload })
        sent++
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1)
        const shed =
          response.statusCode === 503 &&
          /"error":"(busy|temporarily_unavailable)"|<code>(busy|temporarily_unavailable)<\/code>/.test(response.body)
        if (response.statusCode >= 500 && !shed)
          throw new Error(`status ${response.statusCode}: ${response.body.slice(0, 300)}`)
        const leak = stackOrInternals.find((pattern) => pattern.test(response.body))
        if (leak !== undefined) throw new Error(`internals in the body (${leak}): ${response.body.slice(0, 300)}`)
        if (credentialed) baseline = await rowCounts()
      }
      await checkRows()
    }),
    { seed, numRuns, endOnFailure: true },
  )
  const seconds = (performance.now() - started) / 1000
  t.comment(
    `${sent} requests in ${seconds.toFixed(1)} s; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`,
  )
  t.ok(sent >= 20_000 || process.env.FUZZ_RUNS !== undefined, `${sent} requests`)
  t.same(await rowCounts(), baseline, 'no row written without credentials apart from the throttle counters')
  const failures = world.logLines().filter((line) => typeof line.level === 'number' && line.level >= 50)
  t.same(failures.slice(0, 3), [], 'no request failed inside the bridge (no error-level log line)')
})
