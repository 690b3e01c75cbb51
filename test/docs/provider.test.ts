/*
 * docs/provider.md, run: the demo (demo/main.ts, as `npm run demo` starts it) with the doc's
 * client file added to a copy of config/, the doc's example module and API (docs/examples/) started as
 * the doc says (`npx tsx --tsconfig docs/examples/tsconfig.json …`, here `node --import tsx` with the
 * same tsconfig), and a person signing in with a demo account's diary password through the example.
 * Also: every file and npm script the doc names exists, and every code block it quotes from a file is
 * that file's text. Ports are free ones (the doc's 3000/4000/4001 are replaced), data lives in a
 * temporary folder, and the database is this file's own (PostgreSQL with DATABASE_URL, else embedded).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as client from 'openid-client'
import t, { type Test } from 'tap'
import { createVerifier } from '../../src/verify/index.js'
import { csrfToken, type Page } from '../helpers/browser.js'
import { demoPassword } from '../helpers/demo-world.js'
import { freePort, type Spawned, waitForOk } from '../helpers/spawn.js'
import { createServerDatabase, serverUrl } from '../helpers/test-database.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const doc = readFileSync(join(root, 'docs/provider.md'), 'utf8')
const clientFilePath = 'config/clients/example-module.json'

/** The fenced blocks right after `<!-- marker -->`, with the marker's one capture group as `source`. */
function blocksAfter(marker: RegExp): { source: string; text: string }[] {
  const pattern = new RegExp(`<!-- ${marker.source} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``, 'g')
  return [...doc.matchAll(pattern)].map((match) => ({ source: match[1] as string, text: match[2] as string }))
}

t.test('the doc: its files and npm scripts exist, its quoted code is the files’ text', async (t) => {
  const named = new Set(
    [...doc.matchAll(/`((?:src|docs|config|test)\/[\w./<>-]*)`/g)].map((match) => match[1] as string),
  )
  for (const path of named) {
    if (path === clientFilePath || path.includes('<')) continue // the reader writes it; a pattern
    t.ok(existsSync(join(root, path)), `${path} exists`)
  }
  t.ok(named.has(clientFilePath), 'the doc names the client file the test writes')
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
    .scripts
  for (const [, script] of doc.matchAll(/npm run (\w[\w:-]*)/g))
    t.ok(scripts[script as string], `npm run ${script} exists`)
  const quoted = blocksAfter(/from (\S+)/)
  t.ok(quoted.length >= 6, `${quoted.length} quoted blocks`)
  for (const { source, text } of quoted) {
    t.ok(
      readFileSync(join(root, source), 'utf8').includes(text),
      `a block quoted from ${source} is in it: ${text.split('\n')[0]}`,
    )
  }
})

const [clientFile] = blocksAfter(new RegExp(`(${clientFilePath.replaceAll('.', '\\.')})`))
if (clientFile === undefined) throw new Error(`docs/provider.md has no block after <!-- ${clientFilePath} -->`)
const registered = JSON.parse(clientFile.text) as { clientSecretEnv: string; audience: string; redirectUris: string[] }
const clientId = 'example-module'
const clientSecret = 'example-module-secret'

const [bridgePort, esiaPort, oidcPort, demoDiaryPort, modulePort, apiPort] = await Promise.all(
  Array.from({ length: 6 }, () => freePort()),
)
const bridgeUrl = `http://localhost:${bridgePort}`
const moduleUrl = `http://localhost:${modulePort}`
const apiUrl = `http://localhost:${apiPort}`

/** Polls `url` until it answers at all (the API answers 401 without a token). */
async function waitForAnswer(url: string, spawned: Spawned, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (spawned.child.exitCode !== null)
      throw new Error(`process exited early:\n${spawned.output().stderr}${spawned.output().stdout}`)
    if (
      await fetch(url).then(
        () => true,
        () => false,
      )
    )
      return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`${url} did not answer in ${timeoutMs} ms`)
}

/** A child process with its output kept (shown only when it fails to start). */
function start(args: string[], env: Record<string, string | undefined>): Spawned {
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: root,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  )
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  })
  return { child, output: () => ({ stdout, stderr }), exited }
}

// The demo, as `npm run demo` runs it, with the doc's client in (a copy of) its configuration.
const data = t.testdir({})
const configDir = join(data, 'config')
cpSync(join(root, 'config'), configDir, { recursive: true })
for (const file of readdirSync(join(configDir, 'regions'))) {
  const path = join(configDir, 'regions', file)
  writeFileSync(
    path,
    readFileSync(path, 'utf8')
      .replaceAll('localhost:3001', `localhost:${esiaPort}`)
      .replaceAll('localhost:3003', `localhost:${oidcPort}`),
  )
}
writeFileSync(
  join(configDir, 'clients', `${clientId}.json`),
  clientFile.text.replaceAll('http://localhost:4000', moduleUrl),
)
const demo = start(['--import', 'tsx', 'demo/main.ts'], {
  BRIDGE_CONFIG_DIR: configDir,
  DATA_DIR: join(data, 'data'),
  DATABASE_URL: serverUrl === undefined ? undefined : await createServerDatabase(t, serverUrl),
  PORT: String(bridgePort),
  DEMO_SIMULATOR_PORT: String(esiaPort),
  DEMO_OIDC_SIMULATOR_PORT: String(oidcPort),
  DEMO_DIARY_PORT: String(demoDiaryPort),
  [registered.clientSecretEnv]: clientSecret,
  LOG_LEVEL: 'warn',
})
await waitForOk(`${bridgeUrl}/readyz`, demo, 90_000)

const examples = {
  TSX_TSCONFIG_PATH: 'docs/examples/tsconfig.json',
  BRIDGE_URL: bridgeUrl,
  AUDIENCE: registered.audience,
}
const exampleModule = start(['--import', 'tsx', 'docs/examples/diary-module.ts'], {
  ...examples,
  CLIENT_ID: clientId,
  CLIENT_SECRET: clientSecret,
  PORT: String(modulePort),
})
const exampleApi = start(['--import', 'tsx', 'docs/examples/diary-api.ts'], { ...examples, PORT: String(apiPort) })
await Promise.all([waitForOk(`${moduleUrl}/`, exampleModule), waitForAnswer(`${apiUrl}/me`, exampleApi)])

/** A browser over real HTTP: one cookie jar per origin, redirects followed by hand (every one as GET). */
class HttpBrowser {
  private readonly jars = new Map<string, Map<string, string>>()

  private jar(origin: string): Map<string, string> {
    const jar = this.jars.get(origin) ?? new Map<string, string>()
    this.jars.set(origin, jar)
    return jar
  }

  async request(method: 'GET' | 'POST', url: URL, form?: Record<string, string>): Promise<Page> {
    const cookie = [...this.jar(url.origin)].map(([name, value]) => `${name}=${value}`).join('; ')
    const headers: Record<string, string> = { accept: 'text/html', ...(cookie ? { cookie } : {}) }
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded'
    const response = await fetch(url, {
      method,
      headers,
      body: form && new URLSearchParams(form).toString(),
      redirect: 'manual',
    })
    for (const header of response.headers.getSetCookie()) {
      const pair = header.split(';', 1)[0] ?? ''
      const name = pair.slice(0, pair.indexOf('='))
      if (/max-age=0/i.test(header) || pair.endsWith('=')) this.jar(url.origin).delete(name)
      else this.jar(url.origin).set(name, pair.slice(name.length + 1))
    }
    return { status: response.status, url, headers: Object.fromEntries(response.headers), body: await response.text() }
  }

  /** Follows redirects until a page, or until a redirect to `stopAt` (returned as is). */
  async go(
    method: 'GET' | 'POST',
    target: string | URL,
    form?: Record<string, string>,
    stopAt?: string,
  ): Promise<Page> {
    let page = await this.request(method, new URL(target), form)
    for (let hops = 0; page.status >= 300 && page.status < 400; hops++) {
      if (hops > 20) throw new Error('too many redirects')
      const next = new URL(String(page.headers.location), page.url)
      if (next.origin === stopAt) return page
      page = await this.request('GET', next)
    }
    return page
  }
}

/** The JSON the example shows in `<pre id="…">`. */
function shown(page: Page, id: string): Record<string, unknown> {
  const text = new RegExp(`<pre id="${id}">([\\s\\S]*?)</pre>`).exec(page.body)?.[1]
  if (text === undefined) throw new Error(`no #${id} on ${page.url.href} (${page.status})`)
  return JSON.parse(text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))) as Record<
    string,
    unknown
  >
}

/** Region 29's password form at the bridge, reached from `start`; answers the page after signing in. */
async function signInWithPassword(
  t: Test,
  browser: HttpBrowser,
  start: string | URL,
  login: string,
  stopAt?: string,
): Promise<Page> {
  const form = await browser.go('GET', start)
  t.equal(form.url.origin, bridgeUrl, 'at the bridge')
  t.match(form.url.search, /region=29/, 'the region of the request, no region list')
  return browser.go(
    'POST',
    new URL('/login/password', bridgeUrl),
    { _csrf: csrfToken(form), login, password: demoPassword },
    stopAt,
  )
}

t.test(
  'the example module: sign-in by password, checked tokens, userinfo, refresh, introspection, sign-out',
  async (t) => {
    const browser = new HttpBrowser()
    t.match((await browser.go('GET', moduleUrl)).body, /You are not signed in/)

    const home = await signInWithPassword(t, browser, `${moduleUrl}/login?region=29`, 'ivanova.m')
    t.equal(home.url.href, `${moduleUrl}/`, 'back at the module')
    t.match(home.body, /Signed in as <strong>Иванова Мария Петровна<\/strong>/, 'the name from userinfo')
    const first = shown(home, 'session') as {
      accessToken: Record<string, unknown>
      idToken: Record<string, unknown>
      userinfo: Record<string, unknown>
    }
    t.match(
      first.accessToken,
      {
        region: '29',
        role: 'pupil',
        client_id: clientId,
        aud: registered.audience,
        scope: ['openid', 'profile', 'offline_access'],
      },
      'the access token passed the verifier',
    )
    t.equal(first.idToken.sub, first.accessToken.sub, 'one subject in both tokens')
    t.same(first.idToken.amr, ['pwd'], 'signed in with the diary password')
    t.same(first.userinfo, {
      sub: first.accessToken.sub,
      region: '29',
      role: 'pupil',
      family_name: 'Иванова',
      given_name: 'Мария',
      middle_name: 'Петровна',
    })

    const refreshed = await browser.go('POST', `${moduleUrl}/refresh`, {})
    const second = shown(refreshed, 'session') as typeof first & { refreshes: number; refreshTokenRotated: boolean }
    t.equal(second.refreshes, 1)
    t.equal(second.refreshTokenRotated, true, 'the refresh token rotated')
    t.not(second.accessToken.jti, first.accessToken.jti, 'a new access token, checked again')
    t.equal(second.accessToken.sub, first.accessToken.sub)
    t.same(second.userinfo, first.userinfo, 'userinfo with the new access token')

    const introspection = shown(await browser.go('GET', `${moduleUrl}/introspect`), 'introspection')
    t.match(introspection, {
      active: true,
      token_type: 'Bearer',
      client_id: clientId,
      sub: first.accessToken.sub,
      jti: second.accessToken.jti,
    })

    const signedOut = await browser.go('POST', `${moduleUrl}/logout`, {})
    t.equal(signedOut.url.origin + signedOut.url.pathname, `${moduleUrl}/`, 'back at the module after the bridge')
    t.match(signedOut.body, /You signed out\.[\s\S]*You are not signed in/, 'the logout state came back')
    t.equal((await browser.go('GET', `${bridgeUrl}/account`)).url.pathname, '/login', 'signed out of the bridge too')
  },
)

t.test('tokens of the registered client: both example APIs, the grace period, revocation', async (t) => {
  const configuration = await client.discovery(
    new URL(bridgeUrl),
    clientId,
    undefined,
    client.ClientSecretBasic(clientSecret),
    {
      execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
    },
  )
  const codeVerifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const authorization = client.buildAuthorizationUrl(configuration, {
    redirect_uri: registered.redirectUris[0]?.replace('http://localhost:4000', moduleUrl) ?? '',
    scope: 'openid offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    region: '29',
  })
  // The code is redeemed here, not by the module: the browser stops at the module's callback.
  const back = await signInWithPassword(t, new HttpBrowser(), authorization, 'ivanov.p', moduleUrl)
  const tokens = await client.authorizationCodeGrant(configuration, new URL(String(back.headers.location)), {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
  })
  const claims = await createVerifier({ issuer: bridgeUrl, audience: registered.audience }).verify(tokens.access_token)
  t.match(claims, { client_id: clientId, region: '29', role: 'parent' })

  const bearer = { authorization: `Bearer ${tokens.access_token}` }
  for (const url of [`${moduleUrl}/api/me`, `${apiUrl}/me`]) {
    const ok = await fetch(url, { headers: bearer })
    t.equal(ok.status, 200, url)
    t.same(await ok.json(), { sub: claims.sub, region: '29', role: 'parent', scope: ['openid', 'offline_access'] })
    const none = await fetch(url)
    t.equal(none.status, 401)
    t.equal(none.headers.get('www-authenticate'), 'Bearer', 'no token: no error code (RFC 6750 §3)')
    const forged = await fetch(url, { headers: { authorization: `Bearer ${tokens.access_token.slice(0, -4)}AAAA` } })
    t.equal(forged.status, 401)
    t.match(forged.headers.get('www-authenticate'), /error="invalid_token"/)
  }

  const next = await client.refreshTokenGrant(configuration, tokens.refresh_token ?? '')
  const repeat = await client.refreshTokenGrant(configuration, tokens.refresh_token ?? '')
  t.equal(
    repeat.refresh_token,
    next.refresh_token,
    'within the grace period the replaced token gets the same successor',
  )
  await client.tokenRevocation(configuration, next.refresh_token ?? '')
  t.match(await client.tokenIntrospection(configuration, next.refresh_token ?? ''), { active: false }, 'revoked')
  await t.rejects(
    client.refreshTokenGrant(configuration, next.refresh_token ?? ''),
    { error: 'invalid_grant' } as unknown as Error,
    'a revoked family refreshes no more',
  )
})

t.test('the verifier is the package export the doc names once built (npm run build)', async (t) => {
  if (!existsSync(join(root, 'dist/src/verify/index.js'))) {
    t.comment('dist/ is not built: skipped (CI builds before the tests)')
    return
  }
  const specifier = 'diary-identity-bridge/verify'
  const exported = (await import(specifier)) as Record<string, unknown>
  t.equal(typeof exported.createVerifier, 'function')
  t.equal(typeof exported.bridgeAuth, 'function')
})
