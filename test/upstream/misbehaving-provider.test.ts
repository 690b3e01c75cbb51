import t from 'tap'
import { Browser, type Page } from '../helpers/browser.js'
import { importDemoAccounts, publicUrl, regionWithProvider } from '../helpers/demo-world.js'
import { type FakeIdpScript, startFakeIdp } from '../../peers/fake-idp.js'
import { buildTestApp } from '../helpers/test-app.js'
import { loadTestConfig, validClient, validEnv } from '../helpers/test-config.js'
import { openTestDatabase } from '../helpers/test-database.js'

const idp = await startFakeIdp({ clientId: 'diary-bridge-29', clientSecret: validEnv.REGION_29_CLIENT_SECRET })
t.teardown(() => idp.close())
const provider = { issuer: idp.issuer, timeoutMs: 1000 }
const config = loadTestConfig(t, {
  'bridge.json': { publicUrl },
  'regions/29.json': regionWithProvider(idp.issuer, { ...provider, jwksRefetchCooldownSeconds: 1 }),
  'regions/flood.json': regionWithProvider(idp.issuer, provider),
  'regions/down.json': regionWithProvider('http://127.0.0.1:9', provider),
  'regions/78.json': { name: { ru: 'Санкт-Петербург', en: 'Saint Petersburg' } },
  'clients/web-diary.json': validClient,
})
const database = await openTestDatabase(t)
await importDemoAccounts(database, config)
const { db } = database
const { app, logLines } = await buildTestApp(t, config, db)

async function login(region = '29'): Promise<{ page: Page; browser: Browser }> {
  const browser = new Browser(app, publicUrl)
  await browser.go('GET', `/login?region=${region}`)
  return { page: await browser.go('GET', '/login/state-services'), browser }
}

const links = () => db.selectFrom('identity_link').select(['account_id', 'subject']).execute()
const accounts = () => db.selectFrom('diary_account').selectAll().orderBy('login').execute()

t.test('a behaving provider logs in (the baseline every case below departs from)', async (t) => {
  idp.script({})
  const { page } = await login()
  t.equal(page.url.pathname, '/account', JSON.stringify(logLines().filter((line) => line.msg === 'request failed')))
  t.equal((await links()).length, 1)
  await db.deleteFrom('identity_link').execute()
  await db.deleteFrom('login_session').execute()
})

const now = () => Math.floor(Date.now() / 1000)
const claims = (change: (c: Record<string, unknown>) => void) => (c: Record<string, unknown>) => {
  change(c)
  return c
}
const cases: [name: string, script: FakeIdpScript][] = [
  ['ID token signed with a key the provider does not publish', { signing: 'unpublished-key' }],
  ['ID token with alg: none', { signing: 'none' }],
  ['ID token signed with HS256 keyed with the public key', { signing: 'hs256-with-public-key' }],
  ['ID token without iss', { idTokenClaims: claims((c) => delete c.iss) }],
  ['ID token from another issuer', { idTokenClaims: claims((c) => (c.iss = 'https://evil.example')) }],
  ['ID token for another audience', { idTokenClaims: claims((c) => (c.aud = 'another-client')) }],
  ['ID token without nonce', { idTokenClaims: claims((c) => delete c.nonce) }],
  ['ID token with another nonce', { idTokenClaims: claims((c) => (c.nonce = 'replayed-nonce')) }],
  ['ID token without sub', { idTokenClaims: claims((c) => delete c.sub) }],
  ['ID token without exp', { idTokenClaims: claims((c) => delete c.exp) }],
  ['expired ID token', { idTokenClaims: claims((c) => ((c.exp = now() - 600), (c.iat = now() - 900))) }],
  ['ID token without iat', { idTokenClaims: claims((c) => delete c.iat) }],
  ['ID token issued in the future', { idTokenClaims: claims((c) => ((c.iat = now() + 3600), (c.exp = now() + 7200))) }],
  ['userinfo about another person', { userinfoSub: 'someone-else' }],
  ['authorization response without iss', { responseIss: null }],
  ['authorization response with another iss', { responseIss: 'https://evil.example' }],
]

for (const [name, script] of cases) {
  t.test(`${name}: error page provider_error, no session, no link, no account change`, async (t) => {
    const before = await accounts()
    idp.script(script)
    const { page, browser } = await login()
    t.equal(page.status, 502)
    t.match(page.body, /<code>provider_error<\/code>/)
    t.match(page.body, /нельзя доверять/)
    const logged = logLines().filter(
      (line) => line.reqId === page.headers['x-request-id'] && line.msg === 'request failed',
    )
    t.same(
      logged.map((line) => line.level),
      [50],
      'a provider failure stays an error line, for the operator',
    )
    t.notOk(browser.jars.get(publicUrl)?.has('__Host-bridge-session'), 'no session cookie')
    t.same(await links(), [], 'no link')
    t.same(await accounts(), before, 'no account changed')
    t.equal(
      await db
        .selectFrom('login_session')
        .select('id')
        .execute()
        .then((r) => r.length),
      0,
      'no session row',
    )
  })
}

t.test('a slow provider gives the "unavailable" page within its timeout', async (t) => {
  idp.script({ tokenDelayMs: 3000 })
  const started = Date.now()
  const { page } = await login()
  t.equal(page.status, 503)
  t.match(page.body, /<code>provider_unavailable<\/code>/)
  t.ok(Date.now() - started < 2900, 'answered before the provider did')
  t.same(await links(), [])
})

t.test('an unreachable provider gives the "unavailable" page', async (t) => {
  const { page } = await login('down')
  t.equal(page.status, 503)
  t.ok(
    logLines().some(
      (line) => line.reqId === page.headers['x-request-id'] && line.msg === 'request failed' && line.level === 50,
    ),
    'an error line',
  )
  t.match(page.body, /<code>provider_unavailable<\/code>/)
  t.match(page.body, /Госуслуги сейчас не отвечают/)
})

t.test('a rotated provider key does not break logins', async (t) => {
  idp.script({})
  t.equal((await login()).page.url.pathname, '/account')
  const fetched = idp.jwksRequests()
  await idp.rotateKeys()
  await new Promise((resolve) => setTimeout(resolve, 1100))
  t.equal((await login()).page.url.pathname, '/account', 'the new key is fetched when its kid appears')
  t.equal(idp.jwksRequests(), fetched + 1)
  await db.deleteFrom('identity_link').execute()
})

t.test('a flood of unknown kids does not flood the provider', async (t) => {
  idp.script({})
  t.equal((await login('flood')).page.url.pathname, '/link', 'a valid login (this region has no diary with that SNILS)')
  const fetched = idp.jwksRequests()
  idp.script({ signing: 'unknown-kid' })
  for (let i = 0; i < 15; i++) {
    const { page } = await login('flood')
    t.equal(page.status, 502)
  }
  t.ok(
    idp.jwksRequests() - fetched <= 1,
    `JWKS fetched ${idp.jwksRequests() - fetched} more time(s) for 15 unknown kids`,
  )
  t.same(await links(), [])
})
