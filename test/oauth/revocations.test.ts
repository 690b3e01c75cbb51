/*
 * GET /revocations names only what a verifier must refuse (issue 23, item 6): the sessions that ended
 * while an access token they gave a diary module is still valid — by that module's own lifetime, moved
 * on by every refresh — and the access tokens revoked one by one; at most 10,000 entries, the longest
 * valid first, `truncated: true` when cut. Sessions without tokens (password sign-ins on the bridge, a
 * code never redeemed) are not listed. The bridge's clock moves; openid-client keeps real time, so
 * tokens are fetched at the real time and the list is read later.
 */
import * as client from 'openid-client'
import { sql } from 'kysely'
import t from 'tap'
import { revocationListLimit } from '../../src/oauth/revocations.routes.js'
import { Browser, csrfToken } from '../helpers/browser.js'
import { demoPassword, publicUrl } from '../helpers/demo-world.js'
import { clients, secrets, startOAuthWorld } from '../helpers/oauth-world.js'
import { pkceAuthorizationUrl } from '../helpers/pkce.js'

const world = await startOAuthWorld(t, { clients: { 'web-diary': { accessTokenTtlSeconds: 300 } } })
const { app, db } = world
t.afterEach(() => void (world.clock.offsetMs = 0))

interface List {
  issuer: string
  generated_at: number
  sessions: string[]
  tokens: string[]
  truncated: boolean
}

let lastRead = Number.NEGATIVE_INFINITY

/**
 * The list as the bridge answers it about `seconds` after the real time: a fresh read, not the one the
 * bridge remembers for 2 s (when the last read was less than 2 s of bridge time before, 2 s later).
 */
async function listAt(seconds: number): Promise<List> {
  const since = Date.now() + seconds * 1000 - lastRead
  world.clock.offsetMs = seconds * 1000 + (since >= 0 && since < 2000 ? 2100 - since : 0)
  lastRead = world.now().getTime()
  const response = await app.inject({ method: 'GET', url: '/revocations' })
  if (response.statusCode !== 200) throw new Error(`/revocations answered ${response.statusCode}`)
  return response.json<List>()
}

async function directSignIn(login: string): Promise<Browser> {
  const browser = new Browser(app, publicUrl)
  const form = await browser.go('GET', '/login?region=29')
  const page = await browser.go('POST', '/login/password', { _csrf: csrfToken(form), login, password: demoPassword })
  if (page.url.pathname !== '/account') throw new Error(`${login} was not signed in`)
  return browser
}

/** A diary module's sign-in (openid offline_access) in a browser of its own: its tokens and the session id. */
async function moduleSignIn(clientId: 'web-diary' | 'schedule', login: string) {
  const auth =
    clientId === 'web-diary'
      ? client.ClientSecretBasic(secrets['web-diary'])
      : client.ClientSecretPost(secrets.schedule)
  const configuration = await world.discover(clientId, auth)
  const verifier = client.randomPKCECodeVerifier()
  const url = await pkceAuthorizationUrl(configuration, verifier, {
    redirect_uri: clients[clientId].redirectUris[0] as string,
    scope: 'openid offline_access',
  })
  const { location } = await world.signIn(url, login)
  const tokens = await client.authorizationCodeGrant(configuration, location as URL, { pkceCodeVerifier: verifier })
  return { tokens, sid: tokens.claims()?.sid as string }
}

async function signOutEverywhere(login: string): Promise<void> {
  const browser = await directSignIn(login)
  const done = await browser.go('POST', '/account/sign-out-everywhere', {
    _csrf: csrfToken(await browser.go('GET', '/account')),
  })
  if (!done.body.includes('Вы вышли на всех устройствах')) throw new Error(`${login} was not signed out everywhere`)
}

async function sessionsOf(login: string): Promise<string[]> {
  const rows = await db
    .selectFrom('login_session')
    .innerJoin('diary_account', 'diary_account.id', 'login_session.account_id')
    .select('login_session.id')
    .where('diary_account.login', '=', login)
    .where('diary_account.region', '=', '29')
    .execute()
  return rows.map((row) => row.id)
}

/** The listed sessions of `login`'s account. */
const listedOf = (list: List, sessions: string[]) => list.sessions.filter((id) => sessions.includes(id)).sort()

t.test(
  'password sign-ins and a code never redeemed are not listed; the session that gave a module a token is',
  async (t) => {
    for (let i = 0; i < 3; i++) await directSignIn('ivanova.m')
    const configuration = await world.discover('web-diary', client.ClientSecretBasic(secrets['web-diary']))
    const unredeemed = await world.signIn(
      await world.authorizationUrl(configuration, client.randomPKCECodeVerifier()),
      'ivanova.m',
    )
    t.match(unredeemed.location?.searchParams.get('code'), /\w/, 'a code the module never redeems')
    const module = await moduleSignIn('web-diary', 'ivanova.m')
    await signOutEverywhere('ivanova.m')
    const sessions = await sessionsOf('ivanova.m')
    t.equal(
      sessions.length,
      6,
      'six sessions ended: three on the bridge, two for the module, the one that signed out everywhere',
    )
    const list = await listAt(0)
    t.same(listedOf(list, sessions), [module.sid], 'only the session whose access token may still be valid')
    t.equal(list.truncated, false)
  },
)

t.test(
  "each session is listed as long as its module's access token lives: 300 s for the web diary, 600 s for the schedule",
  async (t) => {
    const web = await moduleSignIn('web-diary', 'ivanov.p')
    const schedule = await moduleSignIn('schedule', 'ivanov.p')
    t.same([web.tokens.expires_in, schedule.tokens.expires_in], [300, 600])
    await signOutEverywhere('ivanov.p')
    const sessions = await sessionsOf('ivanov.p')
    t.same(listedOf(await listAt(0), sessions), [web.sid, schedule.sid].sort(), 'both, at once')
    t.same(listedOf(await listAt(290), sessions), [web.sid, schedule.sid].sort(), 'both, while both tokens live')
    t.same(
      listedOf(await listAt(305), sessions),
      [schedule.sid],
      "the web diary's token has expired: only the schedule's session",
    )
    t.same(listedOf(await listAt(605), sessions), [], 'every token has expired: none')
  },
)

const basic = `Basic ${Buffer.from(`web-diary:${secrets['web-diary']}`).toString('base64')}`

/** POST /token grant_type=refresh_token for the web diary at `seconds` on the bridge's clock. */
async function refreshAt(seconds: number, refreshToken: string, scope?: string): Promise<void> {
  world.clock.offsetMs = seconds * 1000
  const response = await app.inject({
    method: 'POST',
    url: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
    payload: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      ...(scope === undefined ? {} : { scope }),
    }).toString(),
  })
  if (response.statusCode !== 200) throw new Error(`refresh at ${seconds} s answered ${response.statusCode}`)
}

// [why, account, refreshes of the sign-in's refresh token (bridge time in s, scope), listed until (s)]
const refreshCases: [string, string, [number, string | undefined][], number][] = [
  ['the one-statement refresh', 'smirnov.a', [[200, undefined]], 500],
  ['a refresh with a scope (the careful path)', 'morozova.t', [[200, 'openid offline_access']], 500],
  [
    'a repeat within the grace period (the same refresh token again, a new access token)',
    'kuznetsova.e',
    [
      [200, undefined],
      [205, undefined],
    ],
    505,
  ],
]

for (const [why, login, refreshes, until] of refreshCases) {
  t.test(`a refresh moves the end on: ${why}`, async (t) => {
    const web = await moduleSignIn('web-diary', login)
    for (const [seconds, scope] of refreshes) await refreshAt(seconds, web.tokens.refresh_token as string, scope)
    world.clock.offsetMs = 210_000
    await signOutEverywhere(login)
    t.ok(
      (await listAt(until - 2)).sessions.includes(web.sid),
      `listed at ${until - 2} s: past the token of the sign-in (300 s) and of any earlier answer`,
    )
    t.notOk((await listAt(until + 3)).sessions.includes(web.sid), `not at ${until + 3} s: no token is valid`)
  })
}

t.test('a revoked access token is listed until it expires', async (t) => {
  const web = await moduleSignIn('web-diary', 'kuznetsova.e')
  const revoked = await app.inject({
    method: 'POST',
    url: '/revoke',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
    payload: new URLSearchParams({ token: web.tokens.access_token }).toString(),
  })
  t.equal(revoked.statusCode, 200)
  const jti = JSON.parse(Buffer.from(web.tokens.access_token.split('.')[1] as string, 'base64url').toString())
    .jti as string
  t.ok((await listAt(0)).tokens.includes(jti))
  t.notOk((await listAt(305)).tokens.includes(jti), 'expired: no longer listed')
  t.notOk((await listAt(0)).sessions.includes(web.sid), 'its session goes on: not listed')
})

t.test(`at most ${revocationListLimit} entries, the longest valid first; truncated when cut`, async (t) => {
  // Read 1000 s from now, when every token of the tests above has expired.
  const now = new Date(Date.now() + 1000_000)
  const account = await db
    .selectFrom('diary_account')
    .select('id')
    .where('login', '=', 'novikova.o')
    .executeTakeFirstOrThrow()
  // revocationListLimit - 1 sessions ended 100 s before that, with tokens valid 100 + n s after it, and two revoked tokens.
  const { rows } = await sql<{ id: string; n: number }>`
    with ended as (
      insert into login_session (account_id, method, expires_at, ended_at, ended_reason)
      select ${account.id}::uuid, 'password', ${now}::timestamptz + interval '1 hour', ${now}::timestamptz - interval '100 seconds', 'logout'
      from generate_series(1, ${revocationListLimit - 1}) returning id
    ), numbered as (select id, row_number() over (order by id) as n from ended),
    families as (
      insert into token_family (client_id, account_id, session_id, scope, auth_time, amr, access_expires_at, revoked_at)
      select 'web-diary', ${account.id}::uuid, id, 'openid', ${now}::timestamptz, 'pwd', ${now}::timestamptz + (100 + n) * interval '1 second', ${now}::timestamptz
      from numbered
    )
    select id::text, n::integer from numbered`.execute(db)
  await db
    .insertInto('revoked_access_token')
    .values([
      { jti: 'revoked-longest', expires_at: new Date(now.getTime() + 200_000_000) },
      { jti: 'revoked-soonest', expires_at: new Date(now.getTime() + 50_000) },
    ])
    .execute()
  const soonestSession = rows.find((row) => row.n === 1)?.id as string
  const latestSession = rows.find((row) => row.n === revocationListLimit - 1)?.id as string

  const cut = await listAt(1000)
  t.equal(cut.sessions.length + cut.tokens.length, revocationListLimit, `${revocationListLimit} entries`)
  t.equal(cut.truncated, true, 'truncated: a verifier cannot rely on the list alone')
  t.equal(cut.tokens[0], 'revoked-longest', 'the token valid longest is kept')
  t.equal(cut.sessions[0], latestSession, 'sessions in order: the one valid longest first')
  t.notOk(cut.tokens.includes('revoked-soonest'), 'the entry that expires soonest is cut')
  t.ok(cut.sessions.includes(soonestSession), 'the soonest session is kept: only one entry had to go')
  t.ok(JSON.stringify(cut).length < 500_000, `about ${Math.round(JSON.stringify(cut).length / 1000)} KB`)

  await db.deleteFrom('revoked_access_token').where('jti', '=', 'revoked-longest').execute()
  const whole = await listAt(1000)
  t.equal(whole.truncated, false, `${revocationListLimit} entries fit`)
  t.ok(whole.tokens.includes('revoked-soonest') && whole.sessions.includes(soonestSession))
  t.equal(whole.sessions.length + whole.tokens.length, revocationListLimit)
})
