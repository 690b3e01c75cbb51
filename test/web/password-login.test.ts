import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import * as client from 'openid-client'
import { importAccounts } from '../../src/accounts/import/import-accounts.js'
import { createPasswordHasher } from '../../src/accounts/password-hash.js'
import { Browser, csrfToken, type Page } from '../helpers/browser.js'
import { publicUrl } from '../helpers/demo-world.js'
import { startOAuthWorld } from '../helpers/oauth-world.js'
import { buildTestApp } from '../helpers/test-app.js'

const world = await startOAuthWorld(t, {
  bridge: { throttling: { accountFailures: 4, ipFailures: 12, windowSeconds: 900, blockSeconds: 600 } },
})
const { app, db, config } = world
const hasher = createPasswordHasher({ workers: 1, maxQueue: 4 })
t.teardown(() => hasher.close())
// A second instance on the same database, with its own hasher whose work the tests can count.
const second = await buildTestApp(t, config, db, { now: world.now, hasher })

const csv = join(t.testdir(), 'temporary.csv')
writeFileSync(
  csv,
  'login,password,role,family_name,given_name,birth_date\nnovikov.i,Temp-1234,pupil,Новиков,Иван,2013-02-01\nvolkova.a,Temp-5678,parent,Волкова,Анна,1985-06-30\n',
)
await importAccounts(db, {
  file: csv,
  format: 'csv',
  region: '29',
  snilsPepper: config.secrets.snilsPepper.reveal(),
  hasher,
})

async function submitLogin(browser: Browser, login: string, password: string): Promise<Page> {
  const form = await browser.go('GET', '/login?region=29')
  return browser.go('POST', '/login/password', { _csrf: csrfToken(form), login, password })
}

const alert = (page: Page) => /<p class="error" role="alert">([^<]+)</.exec(page.body)?.[1]

t.test('an unknown login and a wrong password look the same and cost the same argon2id work', async (t) => {
  const browser = new Browser(second.app, publicUrl)
  await submitLogin(browser, 'warmup', 'warmup-password')
  const before = hasher.stats().completed
  const unknown = await submitLogin(browser, 'nobody.here', 'some-password')
  const afterUnknown = hasher.stats().completed
  const wrong = await submitLogin(browser, 'smirnov.a', 'some-password')
  t.equal(unknown.status, 401)
  t.equal(wrong.status, 401)
  t.equal(alert(unknown), alert(wrong))
  // The typed values, and the passkey form's challenge (new on every showing of the page).
  const strip = (page: Page) => page.body.replace(/value="[^"]*"/g, '').replace(/data-options="[^"]*"/g, '')
  t.equal(strip(unknown), strip(wrong), 'the same page apart from the values the person typed')
  t.equal(afterUnknown - before, 1, 'an unknown login verifies one (dummy) hash')
  t.equal(hasher.stats().completed - afterUnknown, 1, 'a wrong password verifies one hash')
})

t.test('a temporary password must be replaced before anything else; the rules explain themselves', async (t) => {
  const browser = new Browser(app, publicUrl)
  const change = await submitLogin(browser, 'novikov.i', 'Temp-1234')
  t.equal(change.url.pathname, '/password/change')
  t.match(change.body, /временный пароль/)
  t.notOk(browser.jars.get(publicUrl)?.has('__Host-bridge-session'), 'no session yet')
  t.equal((await browser.go('GET', '/account')).url.pathname, '/login', 'the account page is not reachable')

  const attempts: [string, string, RegExp][] = [
    ['short', 'short', /не меньше 8 символов/],
    ['qwerty123', 'qwerty123', /самых распространённых/],
    ['novikov.i-2024', 'novikov.i-2024', /логином/],
    ['ivan01.02.2013', 'ivan01.02.2013', /дату рождения/],
    ['Северное-сияние', 'Северное-сияние!', /не совпадают/],
  ]
  let page = change
  for (const [password, repeat, message] of attempts) {
    page = await browser.go('POST', '/password/change', { _csrf: csrfToken(page), password, repeat })
    t.equal(page.status, 400)
    t.match(alert(page), message)
  }
  const english = await browser.go('GET', '/password/change?lang=en')
  page = await browser.go('POST', '/password/change', { _csrf: csrfToken(english), password: 'short', repeat: 'short' })
  t.match(alert(page), /at least 8 characters/)

  const done = await browser.go('POST', '/password/change', {
    _csrf: csrfToken(page),
    password: 'Северное-сияние',
    repeat: 'Северное-сияние',
  })
  t.equal(done.url.pathname, '/account')
  const account = await db
    .selectFrom('diary_account')
    .selectAll()
    .where('login', '=', 'novikov.i')
    .executeTakeFirstOrThrow()
  t.equal(account.must_change_password, false)
  t.ok(account.password_changed_at)
  t.equal(
    (await submitLogin(new Browser(app, publicUrl), 'novikov.i', 'Temp-1234')).status,
    401,
    'the temporary password is gone',
  )
  t.equal((await submitLogin(new Browser(app, publicUrl), 'novikov.i', 'Северное-сияние')).url.pathname, '/account')
  const events = await db.selectFrom('audit_event').select('type').where('type', '=', 'password_change').execute()
  t.equal(events.length, 1)
})

t.test(
  'no code reaches a diary module before the temporary password is replaced; the change ends other sessions',
  async (t) => {
    const config = await world.discover('web-diary', client.ClientSecretBasic('web-diary-secret'))
    const verifier = client.randomPKCECodeVerifier()
    const authorize = await world.authorizationUrl(config, verifier, { scope: 'openid offline_access' })
    // An older session of the account, with a refresh token, signed in before the password became temporary again.
    const old = await world.signIn(authorize, 'smirnov.a')
    const oldTokens = await client.authorizationCodeGrant(config, old.location!, { pkceCodeVerifier: verifier })
    await db.updateTable('diary_account').set({ must_change_password: true }).where('login', '=', 'smirnov.a').execute()

    const { page, browser } = await world.signIn(authorize, 'smirnov.a')
    t.equal(page.url.pathname, '/password/change', 'the change comes first')
    t.equal(page.headers.location, undefined, 'no redirect to the diary module, so no code')
    const done = await browser.go('POST', '/password/change', {
      _csrf: csrfToken(page),
      password: 'Северное-сияние',
      repeat: 'Северное-сияние',
    })
    t.match(done.headers.location, /^https:\/\/diary\.example\/callback\?code=/, 'then the code')
    await t.rejects(client.refreshTokenGrant(config, oldTokens.refresh_token!), 'the old refresh token is revoked')
    t.equal((await old.browser.go('GET', '/account')).url.pathname, '/login', 'the old browser session is over')
  },
)

t.test(
  'throttling works across instances, refuses even the right password, says until when, and ends by itself',
  async (t) => {
    for (let i = 0; i < 4; i++) {
      const instance = i % 2 === 0 ? app : second.app
      t.equal((await submitLogin(new Browser(instance, publicUrl), 'kuznetsova.e', `wrong-${i}`)).status, 401)
    }
    const blocked = await submitLogin(new Browser(second.app, publicUrl), 'kuznetsova.e', 'diary-demo')
    t.equal(blocked.status, 429, 'the right password is refused while blocked')
    t.equal(blocked.headers['retry-after'], '600')
    t.match(blocked.body, /Слишком много неудачных попыток/)
    t.match(blocked.body, /через 10 мин/)
    t.match(blocked.body, /<code>too_many_attempts<\/code>/)
    t.equal(
      (await submitLogin(new Browser(app, publicUrl), 'KUZNETSOVA.E ', 'diary-demo')).status,
      429,
      'on the other instance too, whatever the case',
    )
    t.equal(
      (await submitLogin(new Browser(app, publicUrl), 'ivanov.p', 'diary-demo')).url.pathname,
      '/account',
      'other accounts are not affected',
    )
    const target = await db
      .selectFrom('diary_account')
      .select('id')
      .where('login', '=', 'kuznetsova.e')
      .where('region', '=', '29')
      .executeTakeFirstOrThrow()
    const audited = await db
      .selectFrom('audit_event')
      .select('outcome')
      .where('type', '=', 'password_sign_in')
      .where('account_id', '=', target.id)
      .execute()
    t.same(
      audited.map((row) => row.outcome),
      ['failure', 'failure', 'failure', 'failure'],
      'the four failures are audited; the refusals during the block are not',
    )
    for (const instance of [app, second.app]) {
      t.match(
        (await instance.inject('/metrics')).body,
        /bridge_logins_total\{region="29",method="password",outcome="throttled"\} 1\n/,
        'they are counted, one on each instance',
      )
    }
    world.clock.offsetMs += 601_000
    t.teardown(() => (world.clock.offsetMs = 0))
    t.equal(
      (await submitLogin(new Browser(app, publicUrl), 'kuznetsova.e', 'diary-demo')).url.pathname,
      '/account',
      'the block expired by itself',
    )
  },
)

t.test(
  'an address with too many failures is throttled; X-Forwarded-For counts only behind a trusted proxy',
  async (t) => {
    const spoofing = new Browser(app, publicUrl, { 'x-forwarded-for': '203.0.113.7' })
    for (let i = 0; i < 12; i++) await submitLogin(spoofing, `nobody-${i}`, 'wrong-password')
    const blocked = await submitLogin(
      new Browser(app, publicUrl, { 'x-forwarded-for': '198.51.100.1' }),
      'ivanova.m',
      'diary-demo',
    )
    t.equal(blocked.status, 429, 'the header is ignored without a trusted proxy: the real address is blocked')
    await db.deleteFrom('login_throttle').execute()

    const { loadTestConfig, validEnv } = await import('../helpers/test-config.js')
    const proxied = loadTestConfig(
      t,
      {
        'bridge.json': { publicUrl, trustProxy: ['127.0.0.1'], throttling: { ipFailures: 3 } },
        'regions/29.json': { name: { ru: 'Р', en: 'R' } },
        'clients/a.json': undefined,
      },
      validEnv,
    )
    const behindProxy = await buildTestApp(t, { ...proxied, secrets: config.secrets }, db, { now: world.now, hasher })
    for (let i = 0; i < 3; i++)
      await submitLogin(
        new Browser(behindProxy.app, publicUrl, { 'x-forwarded-for': '203.0.113.9' }),
        `nobody-${i}`,
        'wrong-password',
      )
    t.equal(
      (
        await submitLogin(
          new Browser(behindProxy.app, publicUrl, { 'x-forwarded-for': '203.0.113.9' }),
          'ivanova.m',
          'diary-demo',
        )
      ).status,
      429,
    )
    t.equal(
      (
        await submitLogin(
          new Browser(behindProxy.app, publicUrl, { 'x-forwarded-for': '198.51.100.1' }),
          'ivanova.m',
          'diary-demo',
        )
      ).url.pathname,
      '/account',
      'another client address behind the proxy is not blocked',
    )
    await db.deleteFrom('login_throttle').execute()
  },
)

t.test('signing in gives a new session cookie: a cookie from before is not signed in (no fixation)', async (t) => {
  const browser = new Browser(app, publicUrl)
  const form = await browser.go('GET', '/login?region=29')
  browser.jars.get(publicUrl)?.set('__Host-bridge-session', 'planted-by-attacker')
  const before = new Map(browser.jars.get(publicUrl))
  await browser.go('POST', '/login/password', { _csrf: csrfToken(form), login: 'ivanova.m', password: 'diary-demo' })
  const after = browser.jars.get(publicUrl)?.get('__Host-bridge-session')
  t.ok(after)
  t.not(after, before.get('__Host-bridge-session'))
  const stale = new Browser(app, publicUrl)
  stale.jars.set(publicUrl, before)
  t.equal((await stale.go('GET', '/account')).url.pathname, '/login')
})

t.test('saturated password checks shed load with 503 and Retry-After', async (t) => {
  const tiny = createPasswordHasher({ workers: 1, maxQueue: 0 })
  t.teardown(() => tiny.close())
  const busy = await buildTestApp(t, config, db, { now: world.now, hasher: tiny })
  const browsers = Array.from({ length: 4 }, () => new Browser(busy.app, publicUrl))
  const forms = await Promise.all(browsers.map((browser) => browser.go('GET', '/login?region=29')))
  const pages = await Promise.all(
    browsers.map((browser, i) =>
      browser.go('POST', '/login/password', {
        _csrf: csrfToken(forms[i] as Page),
        login: 'petrov.x',
        password: 'wrong-password',
      }),
    ),
  )
  const shed = pages.filter((page) => page.status === 503)
  t.ok(shed.length >= 1, `${shed.length} of 4 refused`)
  t.equal(shed[0]?.headers['retry-after'], '2')
  t.match(shed[0]?.body, /<code>busy<\/code>/)
  t.ok(
    pages.some((page) => page.status === 401),
    'the one that fitted was answered',
  )
  await db.deleteFrom('login_throttle').execute()
})

t.test(
  'the SNILS in place of the login: signs in, fails like an unknown login, and is throttled with the account',
  async (t) => {
    // kuznetsova.e's SNILS is 987-654-321 83 (demo/accounts-29.csv); the earlier throttle test has expired.
    world.clock.offsetMs = 0
    const viaSnils = await submitLogin(new Browser(app, publicUrl), ' 987-654-321 83 ', 'diary-demo')
    t.equal(viaSnils.url.pathname, '/account', 'the SNILS, formatted, signs in')
    t.equal(
      (await submitLogin(new Browser(app, publicUrl), '98765432183', 'diary-demo')).url.pathname,
      '/account',
      'so do its bare digits',
    )

    const browser = new Browser(second.app, publicUrl)
    const before = hasher.stats().completed
    const unknownSnils = await submitLogin(browser, '156-482-915 96', 'some-password') // valid, in no diary
    const unknownLogin = await submitLogin(browser, 'nobody.else', 'some-password')
    t.equal(unknownSnils.status, 401)
    t.equal(alert(unknownSnils), alert(unknownLogin), 'an unknown SNILS gets the unknown login answer')
    t.equal(hasher.stats().completed - before, 2, 'and the same argon2id work')

    // Failures typed as the SNILS and as the login add up on the one account.
    const target = 'smirnov.a' // SNILS 145-678-912 08
    for (const typed of ['145-678-912 08', 'smirnov.a', '14567891208', 'SMIRNOV.A']) {
      t.equal((await submitLogin(new Browser(app, publicUrl), typed, 'wrong-password')).status, 401)
    }
    t.equal(
      (await submitLogin(new Browser(app, publicUrl), target, 'diary-demo')).status,
      429,
      'four failures in either writing block the account',
    )
    t.equal(
      (await submitLogin(new Browser(app, publicUrl), '145 678 912 08', 'diary-demo')).status,
      429,
      'typed as the SNILS too',
    )

    const keys = await db.selectFrom('login_throttle').select('key').execute()
    const typedSnils = ['98765432183', '15648291596', '14567891208']
    t.notOk(
      keys.some((row) => typedSnils.some((digits) => row.key.replace(/\D/g, '').includes(digits))),
      'no SNILS in clear among the throttle keys',
    )
    t.ok(
      keys.every((row) => /^(account:29:[0-9a-f]{64}|ip:.+)$/.test(row.key)),
      'an account is counted under a keyed hash of what was typed',
    )
    world.clock.offsetMs += 601_000
    t.teardown(() => (world.clock.offsetMs = 0))
  },
)
