/*
 * "Log in through State Services" when the region speaks ESIA: the bridge with region 29 on the ESIA
 * simulator (a real server, real GOST keys) and region 47 on the standard OIDC simulator, in one app.
 * A diary module's sign-in through ESIA up to its tokens, binding an unconfirmed person, every ESIA
 * error a person can meet, answers a forger could send, logout through ESIA, and the OIDC region
 * next to it. The bridge signs and verifies in JavaScript (bridge.json `gostImplementation`), the
 * simulator with OpenSSL's GOST engine where it is installed: every login is a cross-check.
 */
import { fileURLToPath } from 'node:url'
import * as client from 'openid-client'
import t, { type Test } from 'tap'
import { importAccounts } from '../../src/accounts/import/import-accounts.js'
import { createPasswordHasher } from '../../src/accounts/password-hash.js'
import { esiaSimulatorPersons, type EsiaSimulatorTamper } from '../../demo/esia-simulator.js'
import { stateServicesCallbackPath } from '../../src/regions/registry.js'
import { Browser, csrfToken, type Page } from '../helpers/browser.js'
import {
  demoPassword,
  importDemoAccounts,
  publicUrl,
  regionWithProvider,
  startDemoSimulator,
} from '../helpers/demo-world.js'
import { esiaKeys, esiaRegionFile, passEsia, startEsiaPeer } from '../helpers/esia-world.js'
import { injectFetch } from '../helpers/inject-fetch.js'
import { pkceAuthorizationUrl } from '../helpers/pkce.js'
import { buildTestApp } from '../helpers/test-app.js'
import { loadTestConfig, validEnv } from '../helpers/test-config.js'
import { openTestDatabase } from '../helpers/test-database.js'

const callbackUrl = `${publicUrl}${stateServicesCallbackPath}`
const diary = {
  name: 'Web diary',
  redirectUris: ['https://diary.example/callback'],
  postLogoutRedirectUris: ['https://diary.example/bye'],
  tokenEndpointAuthMethod: 'client_secret_basic',
  clientSecretEnv: 'WEB_DIARY_SECRET',
  scopes: ['openid', 'profile'],
  audience: 'https://diary.example/api',
  regions: ['29', '47'],
}

const keys = esiaKeys(t.testdir())
const esia = await startEsiaPeer(t, keys, callbackUrl)
const oidc = await startDemoSimulator(t, publicUrl)
const config = loadTestConfig(t, {
  'bridge.json': { publicUrl, gostImplementation: 'javascript' },
  'regions/29.json': esiaRegionFile(esia, keys),
  'regions/47.json': {
    ...regionWithProvider(oidc.issuer),
    name: { ru: 'Ленинградская область', en: 'Leningrad Oblast' },
  },
  'clients/web-diary.json': diary,
})
const database = await openTestDatabase(t)
const db = database.db
await importDemoAccounts(database, config)
// Region 47 gets the same demo people as 29: the OIDC simulator's persons match them.
const hasher = createPasswordHasher({ workers: 1 })
await importAccounts(db, {
  file: fileURLToPath(new URL('../../demo/accounts-29.csv', import.meta.url)),
  format: 'csv',
  region: '47',
  snilsPepper: config.secrets.snilsPepper.reveal(),
  hasher,
}).finally(() => hasher.close())
const { app, logLines, logText } = await buildTestApp(t, config, db)

/** Callback URLs ESIA sent the browser to: their codes must appear in no log line. */
const callbacks: URL[] = []

/** Region 29's page, its State Services button, and the URL the bridge sends the browser to (ESIA's). */
async function startEsia(t: Test, browser: Browser): Promise<URL> {
  const region = await browser.go('GET', '/login?region=29')
  t.match(region.body, /<a class="button state-services" href="\/login\/state-services">Войти через Госуслуги<\/a>/)
  const start = await browser.request('GET', '/login/state-services')
  t.equal(start.status, 302)
  const location = new URL(String(start.headers.location))
  t.equal(`${location.origin}${location.pathname}`, `${esia.url}aas/oauth2/v2/ac`, 'to ESIA’s authorization endpoint')
  return location
}

/** The whole round through ESIA with `choice` on its page; the bridge's answer to the callback, redirects followed. */
async function throughEsia(t: Test, browser: Browser, choice: Parameters<typeof passEsia>[1]): Promise<Page> {
  const callback = await passEsia(await startEsia(t, browser), choice)
  t.equal(`${callback.origin}${callback.pathname}`, callbackUrl, 'ESIA sends the browser back to the bridge’s callback')
  callbacks.push(callback)
  return browser.go('GET', callback)
}

const accountOf = (region: string, login: string) =>
  db
    .selectFrom('diary_account')
    .select('id')
    .where('region', '=', region)
    .where('login', '=', login)
    .executeTakeFirstOrThrow()

const linksOf = (accountId: string) =>
  db.selectFrom('identity_link').select(['issuer', 'subject', 'method']).where('account_id', '=', accountId).execute()

async function counts() {
  const links = await db
    .selectFrom('identity_link')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow()
  const sessions = await db
    .selectFrom('login_session')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow()
  return { links: Number(links.n), sessions: Number(sessions.n) }
}

/** The request number an error page shows, to find its log lines. */
function requestIdOn(page: Page): string {
  const id = /номер запроса <code>([^<]+)<\/code>/.exec(page.body)?.[1]
  if (id === undefined) throw new Error(`no request number on ${page.url.href}`)
  return id
}

const mainOf = (page: Page) => /<main>[\s\S]*<\/main>/.exec(page.body)?.[0] ?? ''

const linesOf = (requestId: string) => logLines().filter((line) => line.reqId === requestId)

const diaryConfiguration = await client.discovery(
  new URL(publicUrl),
  'web-diary',
  { redirect_uris: diary.redirectUris },
  client.ClientSecretBasic(validEnv.WEB_DIARY_SECRET),
  {
    [client.customFetch]: injectFetch(app, publicUrl),
    execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
  },
)

t.test(
  'maria through ESIA: a diary module’s sign-in ends with an ID token for ivanova.m, linked by ESIA’s OID',
  async (t) => {
    const verifier = client.randomPKCECodeVerifier()
    const state = client.randomState()
    const nonce = client.randomNonce()
    const authorization = await pkceAuthorizationUrl(diaryConfiguration, verifier, {
      redirect_uri: diary.redirectUris[0] as string,
      scope: 'openid profile',
      state,
      nonce,
    })
    const browser = new Browser(app, publicUrl).stopAt('https://diary.example')
    const choose = await browser.go('GET', `${authorization.pathname}${authorization.search}`)
    t.equal(choose.url.pathname, '/login')
    t.match(choose.body, /Архангельская область/)
    t.match(choose.body, /Ленинградская область/, 'both regions of the client are offered')

    const back = await throughEsia(t, browser, { person: 'maria' })
    const location = new URL(String(back.headers.location))
    t.equal(`${location.origin}${location.pathname}`, diary.redirectUris[0], 'back at the diary module with a code')
    const tokens = await client.authorizationCodeGrant(diaryConfiguration, location, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    })
    const account = await accountOf('29', 'ivanova.m')
    t.match(tokens.claims(), {
      iss: publicUrl,
      aud: 'web-diary',
      sub: account.id,
      nonce,
      region: '29',
      family_name: 'Иванова',
      given_name: 'Мария',
    })
    t.same(await linksOf(account.id), [{ issuer: esia.issuer, subject: '1000300001', method: 'auto_snils' }])
    const session = await db
      .selectFrom('login_session')
      .select(['method', 'upstream_issuer'])
      .where('account_id', '=', account.id)
      .executeTakeFirstOrThrow()
    t.same(session, { method: 'state_services', upstream_issuer: esia.issuer })
  },
)

t.test('elena, not confirmed at ESIA: the binding page, then her diary password binds and signs in', async (t) => {
  const browser = new Browser(app, publicUrl)
  const page = await throughEsia(t, browser, { person: 'elena' })
  t.equal(page.url.pathname, '/link')
  t.match(page.body, /не подтверждена.*привяжите дневник паролем/)
  t.notMatch(page.body, /Кузнецова|Викторовна/, 'only a masked name')
  const account = await accountOf('29', 'kuznetsova.e')
  t.same(await linksOf(account.id), [], 'no link before the password')
  const done = await browser.go('POST', '/link', {
    _csrf: csrfToken(page),
    login: 'kuznetsova.e',
    password: demoPassword,
  })
  t.equal(done.status, 200)
  t.equal(done.url.pathname, '/account')
  t.match(done.body, /привязаны паролем от дневника/)
  t.same(await linksOf(account.id), [{ issuer: esia.issuer, subject: '1000300004', method: 'password' }])
})

const errors: [esiaCode: string, status: number, publicCode: string, what: RegExp, next: RegExp][] = [
  ['007004', 400, 'cancelled', /Вход через Госуслуги отменён\./, /Войдите снова через Госуслуги или логином и паролем/],
  ['007008', 503, 'provider_unavailable', /Госуслуги сейчас не отвечают\./, /Попробуйте через несколько минут/],
  ['007011', 400, 'login_expired', /Время на вход истекло/, /Начните вход заново\./],
  ['007014', 502, 'provider_rejected', /Госуслуги отклонили запрос этого сайта/, /Это ошибка настройки/],
  ['007015', 502, 'provider_rejected', /Госуслуги отклонили запрос этого сайта/, /Это ошибка настройки/],
  ['007019', 502, 'provider_rejected', /Госуслуги отклонили запрос этого сайта/, /Это ошибка настройки/],
  ['007023', 502, 'provider_rejected', /Госуслуги отклонили запрос этого сайта/, /Это ошибка настройки/],
  ['007053', 502, 'provider_rejected', /Госуслуги отклонили запрос этого сайта/, /Это ошибка настройки/],
  [
    '007055',
    403,
    'provider_account_unconfirmed',
    /Ваша учётная запись на Госуслугах не подтверждена\./,
    /Подтвердите её в центре обслуживания/,
  ],
]

t.test(
  'each ESIA error chosen on ESIA’s page: the bridge’s page with its next step, the ESIA code in the log',
  async (t) => {
    for (const [esiaCode, status, publicCode, what, next] of errors) {
      const before = await counts()
      const page = await throughEsia(t, new Browser(app, publicUrl), { fail: esiaCode })
      t.equal(page.url.pathname, stateServicesCallbackPath, `${esiaCode}: shown at the callback`)
      t.equal(page.status, status, `${esiaCode}: HTTP ${status}`)
      t.match(page.body, `<code>${publicCode}</code>`, `${esiaCode}: ${publicCode}`)
      t.match(page.body, what, `${esiaCode}: what happened`)
      t.match(page.body, next, `${esiaCode}: what to do next`)
      t.match(
        page.body,
        /<a class="button" href="\/login">Начать вход заново<\/a>/,
        `${esiaCode}: a way back to the start`,
      )
      t.notMatch(mainOf(page), /ESIA|OAuth|denied/i, `${esiaCode}: ESIA’s own text is not shown`)
      // A failure of ours (5xx, "reported to the administrator") is an error line; a refusal an info line.
      const level = status >= 500 ? 50 : 30
      const logged = linesOf(requestIdOn(page)).filter(
        (line) => line.level === level && JSON.stringify(line).includes(`ESIA-${esiaCode}`),
      )
      t.equal(logged.length, 1, `${esiaCode}: ESIA's code logged once with the request, at level ${level}`)
      t.same(await counts(), before, `${esiaCode}: no link, no session`)
    }
  },
)

t.test('ESIA answers a forger could send: provider_error, no link, no session', async (t) => {
  const tampering: [string, EsiaSimulatorTamper][] = [
    ['the token response echoes another state', { stateEcho: 'wrong' }],
    ['the token response echoes no state', { stateEcho: 'missing' }],
    ['the ID token’s signature is broken', { idTokenSignature: 'corrupt' }],
    ['the ID token is signed by a key ESIA’s certificate does not hold', { idTokenSignature: 'other-key' }],
    ['the ID token is for another system', { idTokenClaims: (claims) => void (claims.aud = 'SOMEONE-ELSE') }],
    [
      'the ID token comes from another issuer',
      { idTokenClaims: (claims) => void (claims.iss = 'https://esia.example/') },
    ],
    [
      'the ID token has expired',
      { idTokenClaims: (claims) => void (claims.exp = Math.floor(Date.now() / 1000) - 3600) },
    ],
    ['the ID token’s sub is another person’s OID', { idTokenClaims: (claims) => void (claims.sub = 1000300001) }],
  ]
  const account = await accountOf('29', 'ivanov.p')
  t.teardown(() => void (esia.tamper = {}))
  for (const [name, tamper] of tampering) {
    esia.tamper = tamper
    const before = await counts()
    const browser = new Browser(app, publicUrl)
    const page = await throughEsia(t, browser, { person: 'petr' })
    t.equal(page.status, 502, name)
    t.match(page.body, /<code>provider_error<\/code>/, name)
    t.match(page.body, /Госуслуги прислали ответ, которому нельзя доверять/, name)
    t.same(await counts(), before, `${name}: no link, no session`)
    t.equal((await browser.go('GET', '/account')).url.pathname, '/login', `${name}: not signed in`)
  }
  esia.tamper = {}
  t.same(await linksOf(account.id), [], 'petr’s diary stays unlinked')
  t.equal(
    (await throughEsia(t, new Browser(app, publicUrl), { person: 'petr' })).url.pathname,
    '/account',
    'an honest answer signs in',
  )
})

t.test(
  'the ESIA callback of another browser’s login: login_expired, an info line without a stack; both logins unharmed',
  async (t) => {
    const victim = new Browser(app, publicUrl)
    const victimCallback = await passEsia(await startEsia(t, victim), { person: 'petr' })
    callbacks.push(victimCallback)
    const attacker = new Browser(app, publicUrl)
    await startEsia(t, attacker)
    const before = await counts()
    const page = await attacker.go('GET', victimCallback)
    t.equal(page.status, 400)
    t.match(page.body, /<code>login_expired<\/code>/)
    const lines = linesOf(requestIdOn(page))
    t.same(
      lines.filter((line) => (line.level as number) >= 40),
      [],
      'no warning or error line',
    )
    t.notOk(JSON.stringify(lines).includes('"stack"'), 'no stack')
    t.equal(lines.filter((line) => line.msg === 'request refused' && line.level === 30).length, 1, 'one info line')
    t.same(await counts(), before, 'no link, no session')
    t.equal((await victim.go('GET', victimCallback)).url.pathname, '/account', 'the victim’s own login goes through')
  },
)

t.test('logout after an ESIA login goes through ESIA’s logout and back to the diary module', async (t) => {
  const verifier = client.randomPKCECodeVerifier()
  const authorization = await pkceAuthorizationUrl(diaryConfiguration, verifier, {
    redirect_uri: diary.redirectUris[0] as string,
    state: 'in',
  })
  const browser = new Browser(app, publicUrl).stopAt('https://diary.example')
  await browser.go('GET', `${authorization.pathname}${authorization.search}`)
  const back = await throughEsia(t, browser, { person: 'alexey' })
  const tokens = await client.authorizationCodeGrant(diaryConfiguration, new URL(String(back.headers.location)), {
    pkceCodeVerifier: verifier,
    expectedState: 'in',
  })
  const account = await accountOf('29', 'smirnov.a')
  t.equal(tokens.claims()?.sub, account.id)

  const logout = client.buildEndSessionUrl(diaryConfiguration, {
    id_token_hint: tokens.id_token as string,
    post_logout_redirect_uri: 'https://diary.example/bye',
    state: 'out',
  })
  browser.visited.length = 0
  const out = await browser.go('GET', `${logout.pathname}${logout.search}`)
  t.equal(out.headers.location, 'https://diary.example/bye?state=out', 'on to where the diary module asked')
  const esiaLogout = browser.visited.find((url) => url.origin === new URL(esia.url).origin)
  t.equal(esiaLogout?.pathname, '/idp/ext/Logout', 'through ESIA’s logout')
  t.same(Object.fromEntries(esiaLogout?.searchParams ?? []), {
    client_id: 'DIARY29',
    redirect_url: `${publicUrl}/logout/done`,
  })
  t.same(
    browser.visited.map((url) => (url.origin === publicUrl ? url.pathname : 'ESIA')),
    ['/logout', 'ESIA', '/logout/done'],
    'the bridge, ESIA, the bridge again',
  )
  const sessions = await db
    .selectFrom('login_session')
    .select('ended_reason')
    .where('account_id', '=', account.id)
    .execute()
  t.same(sessions, [{ ended_reason: 'logout' }], 'the session ended')
  t.equal((await browser.go('GET', '/account')).url.pathname, '/login')
})

t.test(
  'the OIDC region in the same app: maria signs in through its provider, her region-47 diary is linked',
  async (t) => {
    const browser = new Browser(app, publicUrl)
    await browser.go('GET', '/login?region=47')
    const start = await browser.request('GET', '/login/state-services')
    t.equal(new URL(String(start.headers.location)).origin, oidc.issuer, 'to the OIDC provider, not to ESIA')
    const provider = await browser.go('GET', String(start.headers.location))
    const action = /action="(\/interaction\/[^"]+\/login)"/.exec(provider.body)?.[1]
    t.ok(action, 'the OIDC simulator’s person page')
    const page = await browser.go('POST', new URL(action as string, provider.url), { person: 'maria' })
    t.equal(page.url.pathname, '/account')
    t.match(page.body, /Иванова Мария Петровна/)
    const account = await accountOf('47', 'ivanova.m')
    t.same(await linksOf(account.id), [{ issuer: oidc.issuer, subject: 'maria', method: 'auto_snils' }])
    t.same(
      await linksOf((await accountOf('29', 'ivanova.m')).id),
      [{ issuer: esia.issuer, subject: '1000300001', method: 'auto_snils' }],
      'region 29’s ESIA link is untouched',
    )

    const out = await browser.go('POST', '/logout/confirm', { _csrf: csrfToken(await browser.go('GET', '/account')) })
    t.equal(out.url.origin, oidc.issuer, 'logout continues to the OIDC provider, not to ESIA')
  },
)

t.test('no SNILS, code or token of ESIA in any log line', async (t) => {
  const text = logText()
  t.ok(logLines().length > 50, 'the flows above were logged')
  for (const person of esiaSimulatorPersons) {
    const snils = person.data.snils
    if (snils === undefined) continue
    t.notOk(text.includes(snils), `${person.id}: SNILS as ESIA writes it`)
    t.notOk(text.includes(snils.replace(/\D/g, '')), `${person.id}: SNILS as digits`)
  }
  t.ok(callbacks.length > 20)
  for (const callback of callbacks) {
    const code = callback.searchParams.get('code')
    if (code !== null) t.notOk(text.includes(code), 'an authorization code is not logged')
  }
  t.notMatch(text, /eyJ[\w-]{10,}\.[\w-]{10,}/, 'no JWT (ESIA’s codes and tokens, the bridge’s own) anywhere')
})
