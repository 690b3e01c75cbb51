/*
 * Two bridge processes on one PostgreSQL, as behind a load balancer: whatever one starts, the other
 * finishes. Needs DATABASE_URL (the embedded database belongs to one process).
 */
import { join } from 'node:path'
import { decodeProtectedHeader } from 'jose'
import * as client from 'openid-client'
import t from 'tap'
import { importDemoAccounts } from '../helpers/demo-world.js'
import { clients } from '../helpers/oauth-world.js'
import { pkceAuthorizationUrl } from '../helpers/pkce.js'
import { freePort, spawnEntry, waitForOk } from '../helpers/spawn.js'
import { loadTestConfig, passwordOnlyRegion, validEnv, writeConfigDir } from '../helpers/test-config.js'
import { createServerDatabase, serverUrl } from '../helpers/test-database.js'
import { openDatabase } from '../../src/db/open-database.js'
import { migrateToLatest } from '../../src/db/migrate.js'

if (serverUrl === undefined) {
  t.plan(0, 'needs DATABASE_URL: the embedded database belongs to one process')
} else {
  await run(serverUrl)
}

async function run(baseUrl: string) {
  const databaseUrl = await createServerDatabase(t, baseUrl)
  const [portA, portB] = [await freePort(), await freePort()]
  const publicUrl = `http://127.0.0.1:${portA}`
  const files = {
    'bridge.json': { publicUrl, throttling: { accountFailures: 4 } },
    'regions/29.json': { name: { ru: 'Архангельская область', en: 'Arkhangelsk Oblast' } },
    'regions/78.json': passwordOnlyRegion,
    'clients/web-diary.json': clients['web-diary'],
  }
  const dir = writeConfigDir(t, files)
  const config = loadTestConfig(t, files)
  const setup = await openDatabase({ databaseUrl })
  await migrateToLatest(setup)
  await importDemoAccounts({ db: setup, url: databaseUrl }, config)
  await setup.destroy()
  const env = {
    ...validEnv,
    BRIDGE_CONFIG_DIR: dir,
    DATA_DIR: join(dir, 'data'),
    DATABASE_URL: databaseUrl,
    PUBLIC_URL: publicUrl,
  }
  const a = spawnEntry('src/server.ts', [], { ...env, PORT: String(portA) })
  const b = spawnEntry('src/server.ts', [], { ...env, PORT: String(portB) })
  t.teardown(() => {
    a.child.kill('SIGTERM')
    b.child.kill('SIGTERM')
  })
  await Promise.all([
    waitForOk(`http://127.0.0.1:${portA}/readyz`, a),
    waitForOk(`http://127.0.0.1:${portB}/readyz`, b),
  ])
  const A = `http://127.0.0.1:${portA}`
  const B = `http://127.0.0.1:${portB}`

  const cookies = new Map<string, string>()
  const remember = (response: Response) => {
    for (const header of response.headers.getSetCookie()) {
      const pair = header.split(';', 1)[0] ?? ''
      cookies.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1))
    }
    return response
  }
  const send = (url: string, init: RequestInit = {}) =>
    fetch(url, {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      },
    }).then(remember)

  t.test('a login started on one instance finishes on the other, and an authorization code crosses too', async (t) => {
    const configuration = await client.discovery(
      new URL(A),
      'web-diary',
      {},
      client.ClientSecretBasic(validEnv.WEB_DIARY_SECRET),
      { execute: [client.allowInsecureRequests] },
    )
    const verifier = client.randomPKCECodeVerifier()
    const url = await pkceAuthorizationUrl(configuration, verifier, {
      redirect_uri: 'https://diary.example/callback',
      scope: 'openid offline_access',
      region: '29',
    })
    const toLogin = await send(url.href)
    const form = await (await send(`${A}${String(toLogin.headers.get('location'))}`)).text()
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form)?.[1] ?? ''
    const signedIn = await send(`${B}/login/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, login: 'ivanova.m', password: 'diary-demo' }).toString(),
    })
    const location = new URL(String(signedIn.headers.get('location')))
    t.equal(
      location.origin + location.pathname,
      'https://diary.example/callback',
      'instance B finished the login A started',
    )

    // The code from B is redeemed at A's token endpoint (the configuration's endpoints are A's).
    const tokens = await client.authorizationCodeGrant(configuration, location, { pkceCodeVerifier: verifier })
    const account = await send(`${A}/account`)
    t.equal(account.status, 200, 'the session made on B works on A')

    // Refresh at B; the same token repeated at A within the grace period gets the same successor; once
    // that successor is used, the first token is reuse: the whole family is revoked everywhere.
    const atB = await client.discovery(
      new URL(A),
      'web-diary',
      {},
      client.ClientSecretBasic(validEnv.WEB_DIARY_SECRET),
      {
        execute: [client.allowInsecureRequests],
        [client.customFetch]: (input: string | URL | Request, init?: RequestInit) =>
          fetch(String(input instanceof Request ? input.url : input).replace(A, B), init),
      },
    )
    const rotated = await client.refreshTokenGrant(atB, tokens.refresh_token ?? '')
    const repeated = await client.refreshTokenGrant(configuration, tokens.refresh_token ?? '')
    t.equal(
      repeated.refresh_token,
      rotated.refresh_token,
      'a repeat at A within the grace period gets the successor B issued',
    )
    const next = await client.refreshTokenGrant(configuration, rotated.refresh_token ?? '')
    await t.rejects(client.refreshTokenGrant(atB, tokens.refresh_token ?? ''), 'reuse at B is refused')
    await t.rejects(
      client.refreshTokenGrant(configuration, next.refresh_token ?? ''),
      'and the latest token from A is revoked with its family',
    )
    t.equal(
      decodeProtectedHeader(tokens.access_token).kid,
      decodeProtectedHeader(rotated.access_token).kid,
      'both instances sign with the same key',
    )
    const jwks = async (base: string) => await (await fetch(`${base}/.well-known/jwks.json`)).json()
    t.same(await jwks(A), await jwks(B), 'and publish the same keys')
  })

  t.test('throttling counts failures from both instances', async (t) => {
    const attempt = async (base: string, password: string) => {
      cookies.clear()
      const page = await (await send(`${base}/login?region=29`)).text()
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? ''
      return send(`${base}/login/password`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, login: 'smirnov.a', password }).toString(),
      })
    }
    for (let i = 0; i < 4; i++) t.equal((await attempt(i % 2 === 0 ? A : B, 'wrong-password')).status, 401)
    t.equal((await attempt(A, 'diary-demo')).status, 429)
    t.equal((await attempt(B, 'diary-demo')).status, 429)
  })
}
