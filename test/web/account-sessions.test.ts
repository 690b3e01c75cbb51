/*
 * The owner's account page and their sessions, through the real pages with diary modules that use
 * openid-client: sliding idle expiry, the session list, sign out everywhere, changing the password,
 * the way back to the diary module, and a region without State Services.
 */
import * as client from 'openid-client'
import t from 'tap'
import { Browser, csrfToken, type Page } from '../helpers/browser.js'
import { demoPassword, importDemoAccounts, publicUrl } from '../helpers/demo-world.js'
import { secrets, startOAuthWorld } from '../helpers/oauth-world.js'

const world = await startOAuthWorld(t)
const { app, db } = world
await importDemoAccounts(world.database, world.config, ['78'])
t.afterEach(() => {
  world.clock.offsetMs = 0
})

const android =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36'
const firefox = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0'

async function signInDirectly(
  login: string,
  userAgent = firefox,
  region = '29',
  password = demoPassword,
): Promise<{ browser: Browser; page: Page }> {
  const browser = new Browser(app, publicUrl, { 'user-agent': userAgent })
  const form = await browser.go('GET', `/login?region=${region}`)
  const page = await browser.go('POST', '/login/password', { _csrf: csrfToken(form), login, password })
  return { browser, page }
}

/** A diary module's sign-in in its own browser, with a refresh token. */
async function diaryModuleSession(login: string) {
  const configuration = await world.discover('web-diary', client.ClientSecretBasic(secrets['web-diary']))
  const verifier = client.randomPKCECodeVerifier()
  const url = await world.authorizationUrl(configuration, verifier, { scope: 'openid offline_access' })
  const browser = new Browser(app, publicUrl, { 'user-agent': android })
  const { location } = await world.signIn(url, login, demoPassword, browser)
  const tokens = await client.authorizationCodeGrant(configuration, location!, { pkceCodeVerifier: verifier })
  return { browser, configuration, tokens }
}

const signedIn = async (browser: Browser) => (await browser.go('GET', '/account')).url.pathname === '/account'

t.test('idle expiry slides: a session in use stays, an unused one ends after idleTimeoutSeconds', async (t) => {
  const { browser } = await signInDirectly('ivanova.m')
  for (const minutes of [20, 40, 60]) {
    world.clock.offsetMs = minutes * 60_000
    t.ok(await signedIn(browser), `still signed in at ${minutes} min, used every 20 min`)
  }
  world.clock.offsetMs = (60 + 31) * 60_000
  t.notOk(await signedIn(browser), '31 minutes without a request: signed out')
})

t.test('the session list shows each browser, how it signed in and when; this one is marked', async (t) => {
  const module = await diaryModuleSession('smirnov.a')
  const { page } = await signInDirectly('smirnov.a')
  t.match(page.body, /Chrome · Android/)
  t.match(page.body, /Firefox · Windows/)
  t.equal((page.body.match(/это устройство/g) ?? []).length, 1)
  t.match(page.body, /логин и пароль дневника · вход \d/)
  t.notMatch(page.body, /Mozilla|Gecko|Pixel 8/, 'never the full User-Agent')
  const ids = [...page.body.matchAll(/ id="([^"]+)"/g)].map((match) => match[1])
  t.same(ids, [...new Set(ids)], 'every id once, so that each label names its field')
  for (const label of page.body.matchAll(/<label for="([^"]+)"/g))
    t.ok(ids.includes(label[1]), `a field for label ${label[1]}`)
  t.ok(await signedIn(module.browser))
})

t.test('sign out everywhere: every session and every refresh token of the account stop working', async (t) => {
  const module = await diaryModuleSession('ivanov.p')
  const other = await signInDirectly('kuznetsova.e')
  const { browser, page } = await signInDirectly('ivanov.p')
  const done = await browser.go('POST', '/account/sign-out-everywhere', { _csrf: csrfToken(page) })
  t.equal(done.status, 200)
  t.match(done.body, /Вы вышли на всех устройствах/)
  t.notOk(await signedIn(browser), 'this browser is signed out')
  t.notOk(await signedIn(module.browser), 'the other browser is signed out')
  await t.rejects(
    client.refreshTokenGrant(module.configuration, module.tokens.refresh_token!),
    { error: 'invalid_grant' } as unknown as Error,
    'the refresh token is revoked',
  )
  t.match(await client.tokenIntrospection(module.configuration, module.tokens.refresh_token!), { active: false })
  t.ok(await signedIn(other.browser), 'another account is not affected')
  const event = await db
    .selectFrom('audit_event')
    .select('details')
    .where('type', '=', 'sign_out_everywhere')
    .executeTakeFirstOrThrow()
  t.match(event.details, { sessions: 2 })
})

t.test('changing the password: the current one first, a new one that differs; the other sessions end', async (t) => {
  const module = await diaryModuleSession('novikova.o')
  const { browser, page } = await signInDirectly('novikova.o')
  const change = (form: Page, current: string, password: string, repeat = password) =>
    browser.go('POST', '/account/password', { _csrf: csrfToken(form), current, password, repeat })
  const wrong = await change(page, 'wrong-password', 'Северное-сияние')
  t.equal(wrong.status, 401)
  t.match(wrong.body, /Текущий пароль введён неверно/)
  const same = await change(wrong, demoPassword, demoPassword)
  t.equal(same.status, 400)
  t.match(same.body, /должен отличаться от прежнего/)
  const weak = await change(same, demoPassword, 'qwerty123')
  t.match(weak.body, /самых распространённых/)
  t.ok(await signedIn(module.browser), 'nothing changed yet')

  const done = await change(weak, demoPassword, 'Северное-сияние')
  t.equal(done.url.pathname, '/account')
  t.match(done.body, /Пароль изменён/)
  t.ok(await signedIn(browser), 'this session stays')
  t.notOk(await signedIn(module.browser), 'the other session ended')
  await t.rejects(client.refreshTokenGrant(module.configuration, module.tokens.refresh_token!), {
    error: 'invalid_grant',
  } as unknown as Error)
  t.equal((await signInDirectly('novikova.o')).page.status, 401, 'the old password no longer works')
  t.ok(
    await signedIn((await signInDirectly('novikova.o', firefox, '29', 'Северное-сияние')).browser),
    'the new one does',
  )
})

t.test('a temporary password cannot be "replaced" by itself', async (t) => {
  const { importAccounts } = await import('../../src/accounts/import/import-accounts.js')
  const { createPasswordHasher } = await import('../../src/accounts/password-hash.js')
  const { writeFileSync } = await import('node:fs')
  const file = `${t.testdir()}/temporary.csv`
  writeFileSync(file, 'login,password,role,family_name,given_name\nvolkov.s,Temp-2468-Seven,pupil,Волков,Степан\n')
  const hasher = createPasswordHasher({ workers: 1 })
  await importAccounts(db, {
    file,
    format: 'csv',
    region: '29',
    snilsPepper: world.config.secrets.snilsPepper.reveal(),
    hasher,
  }).finally(() => hasher.close())
  const { browser, page } = await signInDirectly('volkov.s', firefox, '29', 'Temp-2468-Seven')
  t.equal(page.url.pathname, '/password/change')
  const same = await browser.go('POST', '/password/change', {
    _csrf: csrfToken(page),
    password: 'Temp-2468-Seven',
    repeat: 'Temp-2468-Seven',
  })
  t.equal(same.status, 400)
  t.match(same.body, /должен отличаться от прежнего/)

  const copied = new Map(browser.jars.get(publicUrl))
  const done = await browser.go('POST', '/password/change', {
    _csrf: csrfToken(same),
    password: 'Северное-сияние',
    repeat: 'Северное-сияние',
  })
  t.equal(done.url.pathname, '/account')
  const replay = new Browser(app, publicUrl)
  replay.jars.set(publicUrl, copied)
  const replayed = await replay.go('POST', '/password/change', {
    _csrf: csrfToken(same),
    password: 'Другой-пароль-2026',
    repeat: 'Другой-пароль-2026',
  })
  t.equal(replayed.status, 400)
  t.match(replayed.body, /<code>login_expired<\/code>/, 'a copy of the login cookie cannot replace the password again')
  t.equal(
    (await signInDirectly('volkov.s', firefox, '29', 'Северное-сияние')).page.url.pathname,
    '/account',
    'the password chosen first stands',
  )
})

t.test('the account page leads back to the diary module the person came from', async (t) => {
  const module = await diaryModuleSession('ivanova.m')
  const page = await module.browser.go('GET', '/account')
  t.match(page.body, /<a class="button" href="https:\/\/diary\.example\/">Вернуться в «Web diary»<\/a>/)
  const named = await module.browser.go('GET', '/account?client_id=schedule')
  t.match(
    named.body,
    /href="https:\/\/schedule\.example\/">Вернуться в «Расписание»/,
    'a module may name itself, in each language',
  )
  const english = await module.browser.go('GET', '/account?client_id=schedule&lang=en')
  t.match(english.body, /href="https:\/\/schedule\.example\/">Back to “Schedule”/)
  t.match(
    (await module.browser.go('GET', '/account?lang=en')).body,
    /Back to “Web diary”/,
    'a single name stands for both languages',
  )
  const direct = await signInDirectly('ivanova.m')
  t.notMatch(direct.page.body, /Вернуться в/, 'signed in directly: no module to go back to')
})

t.test('a region without State Services shows nothing about State Services', async (t) => {
  const { page } = await signInDirectly('petrov.d', firefox, '78')
  t.equal(page.url.pathname, '/account')
  t.match(page.body, /Петров Дмитрий Андреевич/)
  t.notMatch(page.body, /Госуслуг|СНИЛС/)
  const english = await signInDirectly('petrov.d', firefox, '78')
  t.notMatch((await english.browser.go('GET', '/account?lang=en')).body, /State Services|SNILS/)
})

t.test('logging out of a session that went idle still revokes its refresh tokens', async (t) => {
  const module = await diaryModuleSession('smirnov.a')
  world.clock.offsetMs = 31 * 60_000
  const url = client.buildEndSessionUrl(module.configuration, {
    id_token_hint: module.tokens.id_token!,
    post_logout_redirect_uri: 'https://diary.example/bye',
  })
  const page = await module.browser.go('GET', `${url.pathname}${url.search}`)
  t.match(page.headers.location, /^https:\/\/diary\.example\/bye/)
  world.clock.offsetMs = 0
  await t.rejects(client.refreshTokenGrant(module.configuration, module.tokens.refresh_token!), {
    error: 'invalid_grant',
  } as unknown as Error)
  const events = await db.selectFrom('audit_event').select('outcome').where('type', '=', 'logout').execute()
  t.ok(events.length >= 1, 'the logout is audited')
})

t.test(
  'signing in again as the same account keeps the session and the diary module’s tokens; another account ends them',
  async (t) => {
    const module = await diaryModuleSession('morozova.t')
    const again = await module.browser.go('POST', '/login/password', {
      _csrf: csrfToken(await module.browser.go('GET', '/login?region=29')),
      login: 'morozova.t',
      password: demoPassword,
    })
    t.equal(again.url.pathname, '/account')
    const refreshed = await client.refreshTokenGrant(module.configuration, module.tokens.refresh_token!)
    t.ok(refreshed.refresh_token, 'the module’s refresh token still works')
    const sessions = await db
      .selectFrom('login_session')
      .innerJoin('diary_account', 'diary_account.id', 'login_session.account_id')
      .select(['login_session.ended_at'])
      .where('diary_account.login', '=', 'morozova.t')
      .execute()
    t.equal(sessions.length, 1, 'one session, confirmed again')

    const other = await module.browser.go('POST', '/login/password', {
      _csrf: csrfToken(await module.browser.go('GET', '/login?region=29')),
      login: 'ivanov.p',
      password: demoPassword,
    })
    t.equal(other.url.pathname, '/account')
    await t.rejects(
      client.refreshTokenGrant(module.configuration, refreshed.refresh_token!),
      { error: 'invalid_grant' } as unknown as Error,
      'another account in this browser: the previous one’s tokens end',
    )
    const ended = await db
      .selectFrom('login_session')
      .innerJoin('diary_account', 'diary_account.id', 'login_session.account_id')
      .select(['login_session.ended_reason'])
      .where('diary_account.login', '=', 'morozova.t')
      .execute()
    t.same(ended, [{ ended_reason: 'replaced' }])
  },
)
