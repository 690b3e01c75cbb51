/*
 * Hostile input at the edge: every listed symptom of "no 5xx for any input" (issue 12, item 1) and
 * the cross-site form and request-id rules (item 8). Bad input is a 400 page in the person's language
 * with the usual security headers; the language switch always leads to a page that exists.
 */
import t, { type Test } from 'tap'
import { Browser, csrfToken, type Page } from '../helpers/browser.js'
import { demoPassword, publicUrl, startDemoWorld } from '../helpers/demo-world.js'
import { buildTestApp } from '../helpers/test-app.js'
import { loadTestConfig, validFiles } from '../helpers/test-config.js'

const world = await startDemoWorld(t)
const { app, database, logLines } = world
const db = database.db

const languageLink = (body: string) => /<a class="lang" href="([^"]*)"/.exec(body)?.[1]?.replaceAll('&amp;', '&')
const codeOf = (body: string) => /<code>([a-z_]+)<\/code>/.exec(body)?.[1]

function hasPageHeaders(t: Test, headers: Record<string, unknown>) {
  t.match(headers['content-security-policy'], /default-src 'none'.*frame-ancestors 'none'/, 'a strict CSP')
  t.equal(headers['x-frame-options'], 'DENY', 'no framing')
  t.equal(headers['x-content-type-options'], 'nosniff')
  t.equal(headers['referrer-policy'], 'no-referrer')
}

async function rowCounts() {
  const tables = ['audit_event', 'login_throttle', 'login_session', 'identity_link'] as const
  const counts: Record<string, number> = {}
  for (const table of tables) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow()
    counts[table] = Number(row.n)
  }
  return counts
}

/** Follows the page's language switch; the page it leads to must exist and not be an error. */
async function followLanguageSwitch(t: Test, browser: Browser, page: Page, expectedPath: string) {
  const link = languageLink(page.body)
  t.ok(link?.startsWith('/') && !link.startsWith('//'), `the language link stays on the bridge: ${link}`)
  t.equal(new URL(link ?? '', publicUrl).pathname, expectedPath)
  const switched = await browser.go('GET', link ?? '/')
  t.equal(switched.status, 200, 'the language switch leads to a page that exists')
  t.equal(codeOf(switched.body), undefined, 'and not to an error')
  return switched
}

t.test(
  'a NUL byte, a lone surrogate or broken UTF-8 in the login field is a 400 page, before the database',
  async (t) => {
    for (const login of ['smirnov.a\u0000', 'smirnov.a\ud800', 'smirnov.a\ufffd', 'smirnov\u0085a']) {
      const browser = new Browser(app, publicUrl)
      const form = await browser.go('GET', '/login?region=29&lang=en')
      const before = await rowCounts()
      const page = await browser.go('POST', '/login/password', {
        _csrf: csrfToken(form),
        login,
        password: demoPassword,
      })
      t.equal(page.status, 400, JSON.stringify(login))
      t.equal(codeOf(page.body), 'invalid_request')
      t.match(page.body, /could not be processed/, 'in the language the person chose')
      hasPageHeaders(t, page.headers)
      t.same(await rowCounts(), before, 'no audit row, no throttle row, no session')
    }
    // Raw bytes that are not UTF-8 at all, as a broken client would send them.
    const browser = new Browser(app, publicUrl)
    const form = await browser.go('GET', '/login?region=29')
    const raw = await app.inject({
      method: 'POST',
      url: '/login/password',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: browser.cookieHeader(publicUrl),
        accept: 'text/html',
      },
      payload: `_csrf=${encodeURIComponent(csrfToken(form))}&login=smirnov%FFa&password=x`,
    })
    t.equal(raw.statusCode, 400)
  },
)

t.test('a NUL byte in an authorization request never reaches the database', async (t) => {
  const query = new URLSearchParams({
    client_id: 'web-diary',
    response_type: 'code',
    redirect_uri: 'https://diary.example/callback',
    scope: 'openid',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    state: 'ok',
    nonce: 'n\u0000once',
  })
  const response = await app.inject({ url: `/authorize?${query.toString()}`, headers: { accept: 'text/html' } })
  t.equal(response.statusCode, 400)
  t.equal(codeOf(response.body), 'invalid_request')
  hasPageHeaders(t, response.headers)
})

t.test('paths the URL parser refuses are a 404 page with the security headers, and no error in the log', async (t) => {
  const errorsBefore = logLines().filter((line) => (line.level as number) >= 50).length
  for (const url of [
    '//',
    '///',
    '//:99',
    '//[',
    '//evil.example/x',
    '/..%2f..%2f',
    '/login%2F..',
    '/%2F%2Fevil.example',
  ]) {
    for (const accept of ['text/html', 'application/json']) {
      const response = await app.inject({ url, headers: { accept } })
      t.ok(response.statusCode >= 400 && response.statusCode < 500, `${url} (${accept}): ${response.statusCode}`)
      if (accept === 'text/html') {
        hasPageHeaders(t, response.headers)
        const link = languageLink(response.body)
        t.ok(link?.startsWith('/') && !link.startsWith('//'), `${url}: the language link stays on the bridge (${link})`)
      } else {
        t.equal(response.json().error, response.statusCode === 404 ? 'not_found' : 'invalid_request')
      }
    }
  }
  t.equal(logLines().filter((line) => (line.level as number) >= 50).length, errorsBefore, 'no error-level log line')
})

t.test(
  'a malformed percent-escape in the path is a 400 page with the security headers, or the JSON error',
  async (t) => {
    for (const url of ['/%', '/login%', '/%zz?region=29', '/account/%E0%A4%A']) {
      const page = await app.inject({ url, headers: { accept: 'text/html', cookie: 'bridge-lang=en' } })
      t.equal(page.statusCode, 400, url)
      hasPageHeaders(t, page.headers)
      t.equal(codeOf(page.body), 'invalid_request')
      const json = await app.inject({ url, headers: { accept: 'application/json' } })
      t.equal(json.statusCode, 400)
      t.same(
        Object.keys(json.json()).sort(),
        ['error', 'error_description', 'request_id'],
        `${url}: the usual JSON error, nothing of Fastify's`,
      )
      t.equal(json.json().error, 'invalid_request')
    }
  },
)

t.test('a 404 page carries the security headers and its language link cannot point off-site', async (t) => {
  for (const url of ['/.//evil.example', '/./\\evil.example', '/nowhere?x=1']) {
    const response = await app.inject({ url, headers: { accept: 'text/html', cookie: 'bridge-lang=en' } })
    t.equal(response.statusCode, 404)
    t.equal(codeOf(response.body), 'not_found')
    t.match(response.body, /Page not found/, 'in the language of the cookie')
    hasPageHeaders(t, response.headers)
    const link = languageLink(response.body) ?? ''
    t.notMatch(link, /evil/, `${url}: ${link}`)
    t.equal(new URL(link, publicUrl).origin, publicUrl)
  }
})

t.test('after a failed sign-in the language switch returns to the region’s login page', async (t) => {
  const browser = new Browser(app, publicUrl)
  const form = await browser.go('GET', '/login?region=29')
  const wrong = await browser.go('POST', '/login/password', {
    _csrf: csrfToken(form),
    login: 'smirnov.a',
    password: 'wrong-password',
  })
  t.equal(wrong.status, 401)
  const switched = await followLanguageSwitch(t, browser, wrong, '/login')
  t.equal(new URL(languageLink(wrong.body) ?? '', publicUrl).searchParams.get('region'), '29')
  t.match(switched.body, /<html lang="en"/)
})

async function loginAs(browser: Browser, person: string): Promise<Page> {
  await browser.go('GET', '/login?region=29')
  const simulatorPage = await browser.go('GET', '/login/state-services')
  const action = /action="(\/interaction\/[^"]+\/login)"/.exec(simulatorPage.body)?.[1] as string
  return browser.go('POST', new URL(action, simulatorPage.url), { person })
}

t.test('on the binding page, after a refusal or a wrong password, the language switch keeps the binding', async (t) => {
  const browser = new Browser(app, publicUrl)
  const page = await loginAs(browser, 'sergey')
  t.equal(page.url.pathname, '/link')
  const refused = await browser.go('POST', '/link', {
    _csrf: csrfToken(page),
    login: 'smirnov.a',
    password: demoPassword,
  })
  t.equal(codeOf(refused.body), 'binding_other_person')
  const switched = await followLanguageSwitch(t, browser, refused, '/link')
  t.match(switched.body, /name="login"/, 'the binding form, in English')
  const wrong = await browser.go('POST', '/link', {
    _csrf: csrfToken(switched),
    login: 'smirnov.a',
    password: 'wrong-password',
  })
  t.equal(wrong.status, 401)
  await followLanguageSwitch(t, browser, wrong, '/link')
})

t.test(
  'after a binding conflict, which ends the binding, the language switch leads to the login page, not to login_expired',
  async (t) => {
    const olga = new Browser(app, publicUrl)
    const binding = await loginAs(olga, 'olga')
    const bound = await olga.go('POST', '/link', {
      _csrf: csrfToken(binding),
      login: 'novikova.o',
      password: demoPassword,
    })
    t.equal(bound.url.pathname, '/account', 'olga binds her diary')
    // Only the existing link stands in the way: the diary now carries sergey's name.
    await db
      .updateTable('diary_account')
      .set({ family_name: 'Соколов', given_name: 'Сергей', patronymic: 'Олегович', birth_date: null })
      .where('login', '=', 'novikova.o')
      .execute()
    const browser = new Browser(app, publicUrl)
    const page = await loginAs(browser, 'sergey')
    const conflict = await browser.go('POST', '/link', {
      _csrf: csrfToken(page),
      login: 'novikova.o',
      password: demoPassword,
    })
    t.equal(codeOf(conflict.body), 'account_conflict')
    await followLanguageSwitch(t, browser, conflict, '/login')
  },
)

t.test('the language switch of the callback’s error page does not repeat the used code and state', async (t) => {
  const browser = new Browser(app, publicUrl)
  await browser.go('GET', '/login?region=29')
  const simulatorPage = await browser.go('GET', '/login/state-services')
  const abort = /action="(\/interaction\/[^"]+\/abort)"/.exec(simulatorPage.body)?.[1] as string
  const cancelled = await browser.go('POST', new URL(abort, simulatorPage.url), {})
  t.equal(codeOf(cancelled.body), 'cancelled')
  const link = languageLink(cancelled.body) ?? ''
  t.notMatch(link, /state=|code=|error=/, link)
  await followLanguageSwitch(t, browser, cancelled, '/login')
})

t.test('a form sent from another site is refused like an out-of-date form, whatever its CSRF token', async (t) => {
  const cases: [headers: Record<string, string>, refused: boolean, why: string][] = [
    [{ origin: 'https://evil.example' }, true, 'another origin'],
    [{ origin: 'null', 'sec-fetch-site': 'cross-site' }, true, 'an opaque origin from another site'],
    [
      { origin: 'null', 'sec-fetch-site': 'same-origin' },
      false,
      'our own pages post with Origin: null (Referrer-Policy: no-referrer), Sec-Fetch-Site decides',
    ],
    [{ origin: 'http://localhost:3001' }, true, 'another port is another origin'],
    [{ 'sec-fetch-site': 'cross-site' }, true, 'no Origin, Sec-Fetch-Site says cross-site'],
    [{ 'sec-fetch-site': 'same-site' }, true, 'a sibling subdomain is not this origin'],
    [{ origin: publicUrl, 'sec-fetch-site': 'same-origin' }, false, 'this origin'],
    [{ 'sec-fetch-site': 'same-origin' }, false, 'Sec-Fetch-Site: same-origin'],
    [{ 'sec-fetch-site': 'none' }, false, 'typed by the person'],
    [{}, false, 'an old browser without either header'],
  ]
  for (const [headers, refused, why] of cases) {
    const browser = new Browser(app, publicUrl)
    const form = await browser.go('GET', '/login?region=29')
    const before = await rowCounts()
    const response = await app.inject({
      method: 'POST',
      url: '/login/password',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: browser.cookieHeader(publicUrl),
        accept: 'text/html',
        ...headers,
      },
      payload: new URLSearchParams({
        _csrf: csrfToken(form),
        login: 'smirnov.a',
        password: 'wrong-password',
      }).toString(),
    })
    if (refused) {
      t.equal(response.statusCode, 403, why)
      t.equal(codeOf(response.body), 'form_expired', why)
      hasPageHeaders(t, response.headers)
      t.same(await rowCounts(), before, `${why}: nothing is counted or written`)
    } else {
      t.equal(response.statusCode, 401, `${why}: the password is checked`)
    }
  }
  const other = await app.inject({
    method: 'POST',
    url: '/account/sign-out-everywhere',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      origin: 'https://evil.example',
      accept: 'text/html',
    },
    payload: '_csrf=x',
  })
  t.equal(other.statusCode, 403, 'every form, not only the sign-in')
})

t.test('X-Request-Id from the client is used only behind a trusted proxy, and only when it is safe', async (t) => {
  const direct = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'lb-1234567890' } })
  t.match(direct.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'without trustProxy the bridge makes its own')
  const config = loadTestConfig(t, { ...validFiles, 'bridge.json': { publicUrl, trustProxy: true } })
  const proxied = await buildTestApp(t, config, db)
  const kept = await proxied.app.inject({ url: '/healthz', headers: { 'x-request-id': 'lb-1234567890' } })
  t.equal(kept.headers['x-request-id'], 'lb-1234567890', 'behind a trusted proxy a safe id is kept')
  for (const unsafe of ['a'.repeat(65), 'id:with:colons', 'bad id', '../etc', 'id\u00e9', '']) {
    const replaced = await proxied.app.inject({ url: '/healthz', headers: { 'x-request-id': unsafe } })
    t.match(replaced.headers['x-request-id'], /^[0-9a-f-]{36}$/, `${JSON.stringify(unsafe)} is replaced`)
  }
})
