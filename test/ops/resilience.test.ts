import t from 'tap'
import * as client from 'openid-client'
import { openDatabase } from '../../src/db/open-database.js'
import { Browser, csrfToken } from '../helpers/browser.js'
import { importDemoAccounts, publicUrl, regionWithProvider } from '../helpers/demo-world.js'
import { startFakeIdp } from '../../peers/fake-idp.js'
import { injectFetch } from '../helpers/inject-fetch.js'
import { clients } from '../helpers/oauth-world.js'
import { pkceAuthorizationUrl } from '../helpers/pkce.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'
import { buildTestApp } from '../helpers/test-app.js'
import { loadTestConfig, passwordOnlyRegion, validEnv } from '../helpers/test-config.js'
import { createServerDatabase, openTestDatabase, serverUrl } from '../helpers/test-database.js'

t.test('a slow provider in one region does not slow logins in another', async (t) => {
  const idp = await startFakeIdp({ clientId: 'diary-bridge-29', clientSecret: validEnv.REGION_29_CLIENT_SECRET })
  t.teardown(() => idp.close())
  idp.script({ tokenDelayMs: 4000 })
  const config = loadTestConfig(t, {
    'bridge.json': { publicUrl },
    'regions/29.json': regionWithProvider(idp.issuer, { timeoutMs: 3000 }),
    'regions/78.json': passwordOnlyRegion,
    'clients/web-diary.json': clients['web-diary'],
  })
  const database = await openTestDatabase(t)
  await importDemoAccounts(database, config)
  await database.db.updateTable('diary_account').set({ region: '78' }).where('login', '=', 'ivanov.p').execute()
  const { app } = await buildTestApp(t, config, database.db)

  const slow = new Browser(app, publicUrl)
  await slow.go('GET', '/login?region=29')
  const stuck = slow.go('GET', '/login/state-services').then((page) => ({ which: 'slow' as const, page }))
  const fast = (async () => {
    const browser = new Browser(app, publicUrl)
    const form = await browser.go('GET', '/login?region=78')
    const page = await browser.go('POST', '/login/password', {
      _csrf: csrfToken(form),
      login: 'ivanov.p',
      password: 'diary-demo',
    })
    return { which: 'fast' as const, page }
  })()
  const first = await Promise.race([stuck, fast])
  t.equal(first.which, 'fast', 'the other region answered while the provider was still thinking')
  t.equal(first.page.url.pathname, '/account')
  const slowPage = (await stuck).page
  t.equal(slowPage.status, 503, 'and the slow one ends on a clear page at its timeout')
  t.match(slowPage.body, /<code>provider_unavailable<\/code>/)
})

t.test(
  'a database outage gives 503s, and the service recovers by itself losing nothing',
  { skip: serverUrl === undefined ? 'needs DATABASE_URL (an embedded database cannot blink)' : false },
  async (t) => {
    const direct = new URL(await createServerDatabase(t, serverUrl as string))
    const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) })
    t.teardown(() => proxy.close())
    const viaProxy = new URL(direct)
    viaProxy.host = `127.0.0.1:${proxy.port}`
    const setup = await openDatabase({ databaseUrl: direct.toString() })
    const { migrateToLatest } = await import('../../src/db/migrate.js')
    await migrateToLatest(setup)
    await setup.destroy()
    const config = loadTestConfig(t, {
      'bridge.json': { publicUrl, database: { statementTimeoutMs: 2000 } },
      'regions/29.json': { name: { ru: 'Р', en: 'R' } },
      'regions/78.json': passwordOnlyRegion,
      'clients/web-diary.json': clients['web-diary'],
    })
    const db = await openDatabase({ databaseUrl: viaProxy.toString(), poolSize: 4 })
    t.teardown(() => db.destroy())
    await importDemoAccounts({ db, url: viaProxy.toString() }, config)
    const { app } = await buildTestApp(t, config, db)

    // Before the outage: a login and tokens.
    const configuration = await client.discovery(
      new URL(publicUrl),
      'web-diary',
      {},
      client.ClientSecretBasic(validEnv.WEB_DIARY_SECRET),
      {
        [client.customFetch]: injectFetch(app, publicUrl),
        execute: [client.allowInsecureRequests],
      },
    )
    const verifier = client.randomPKCECodeVerifier()
    const browser = new Browser(app, publicUrl).stopAt('https://diary.example')
    const url = await pkceAuthorizationUrl(configuration, verifier, {
      redirect_uri: 'https://diary.example/callback',
      scope: 'openid offline_access',
      region: '29',
    })
    const form = await browser.go('GET', `${url.pathname}${url.search}`)
    const back = await browser.go('POST', '/login/password', {
      _csrf: csrfToken(form),
      login: 'ivanova.m',
      password: 'diary-demo',
    })
    const tokens = await client.authorizationCodeGrant(configuration, new URL(String(back.headers.location)), {
      pkceCodeVerifier: verifier,
    })

    await proxy.cut()
    const ready = await app.inject('/readyz')
    t.equal(ready.statusCode, 503)
    const during = await new Browser(app, publicUrl).go('GET', '/login?region=29')
    t.equal(during.status, 200, 'pages that need no database still work')
    const refresh = await app.inject({
      method: 'POST',
      url: '/token',
      headers: { authorization: `Basic ${Buffer.from(`web-diary:${validEnv.WEB_DIARY_SECRET}`).toString('base64')}` },
      payload: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' },
    })
    t.equal(refresh.statusCode, 503, 'a request that needs the database gets 503')
    t.equal(refresh.json().error, 'temporarily_unavailable')

    await proxy.restore()
    let readyAgain = 0
    for (let i = 0; i < 50 && readyAgain !== 200; i++) {
      readyAgain = (await app.inject('/readyz')).statusCode
      if (readyAgain !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    t.equal(readyAgain, 200, 'ready again without a restart')
    const refreshed = await client.refreshTokenGrant(configuration, tokens.refresh_token ?? '')
    t.ok(refreshed.access_token, 'the refresh token issued before the outage still works: nothing was lost')
  },
)
