/*
 * Refusals the request caused are info lines without a stack (issue 23, item 7): anyone can send a
 * State Services callback with another browser's state, replay one, or post a form without its CSRF
 * token, and none of that may write an ERROR line (level 50) that an operator would have to read.
 * Each case below is a request an attacker can make at will; each must answer with its own refusal
 * and log exactly one `request refused` info line. A real provider failure stays an error line
 * (test/upstream/misbehaving-provider.test.ts, test/web/esia-flow.test.ts).
 */
import t, { type Test } from 'tap'
import { Browser, csrfToken, type Page } from '../helpers/browser.js'
import { demoPassword, publicUrl, startDemoWorld } from '../helpers/demo-world.js'

const world = await startDemoWorld(t)
const { app, logLines } = world
const callbackPath = '/login/state-services/callback'

/** The log lines of the request that answered `page`. */
const linesOf = (page: Page) => logLines().filter((line) => line.reqId === page.headers['x-request-id'])

/** Status, public code, and the log of a refusal: one info line, nothing at error level, no stack. */
function refusedQuietly(t: Test, page: Page, status: number, publicCode: string, why: string) {
  t.equal(page.status, status, `${why}: HTTP ${status}`)
  t.match(page.body, `<code>${publicCode}</code>`, `${why}: ${publicCode}`)
  const lines = linesOf(page)
  t.ok(lines.length > 0, `${why}: its request was logged`)
  t.same(
    lines.filter((line) => (line.level as number) >= 40),
    [],
    `${why}: no warning or error line`,
  )
  t.notOk(JSON.stringify(lines).includes('"stack"'), `${why}: no stack`)
  t.same(
    lines.filter((line) => line.msg === 'request refused').map((line) => line.level),
    [30],
    `${why}: one "request refused" info line`,
  )
}

/** A browser at the simulator's person page, its login attempt started; `login(person)` finishes it. */
async function atProvider(browser = new Browser(app, publicUrl)) {
  await browser.go('GET', '/login?region=29')
  const simulatorPage = await browser.go('GET', '/login/state-services')
  const authorization = browser.visited.find((url) => url.origin === world.issuer && url.searchParams.has('state'))
  const action = /action="(\/interaction\/[^"]+\/login)"/.exec(simulatorPage.body)?.[1]
  if (authorization === undefined || action === undefined) throw new Error('no person page at the simulator')
  const state = authorization.searchParams.get('state') as string
  return {
    browser,
    state,
    /** The callback the provider sends this browser to, not followed. */
    async callback(person = 'maria'): Promise<URL> {
      browser.stopOrigins.add(publicUrl)
      const back = await browser.go('POST', new URL(action, simulatorPage.url), { person })
      browser.stopOrigins.delete(publicUrl)
      return new URL(String(back.headers.location), publicUrl)
    },
  }
}

t.test('the callback with no login cookie at all', async (t) => {
  const page = await new Browser(app, publicUrl).go(
    'GET',
    `${callbackPath}?code=x&state=y&iss=${encodeURIComponent(world.issuer)}`,
  )
  refusedQuietly(t, page, 400, 'login_expired', 'no cookie')
})

t.test(
  "the callback of another browser's login (its state, its code) in a browser with its own login attempt",
  async (t) => {
    const victim = await atProvider()
    const victimCallback = await victim.callback()
    const attacker = await atProvider()
    const page = await attacker.browser.go('GET', victimCallback)
    refusedQuietly(t, page, 400, 'login_expired', "another browser's state")
    t.equal((await attacker.browser.go('GET', '/account')).url.pathname, '/login', 'not signed in')
    const own = await victim.browser.go('GET', victimCallback)
    t.equal(own.url.pathname, '/account', "the victim's own login still goes through: the refusal spent nothing of it")
  },
)

t.test('a made-up state, and no state at all, with the right issuer', async (t) => {
  const forged = await atProvider()
  refusedQuietly(
    t,
    await forged.browser.go('GET', `${callbackPath}?code=x&state=forged&iss=${encodeURIComponent(world.issuer)}`),
    400,
    'login_expired',
    'a made-up state',
  )
  const missing = await atProvider()
  refusedQuietly(
    t,
    await missing.browser.go('GET', `${callbackPath}?code=x&iss=${encodeURIComponent(world.issuer)}`),
    400,
    'login_expired',
    'no state',
  )
})

t.test("the browser's own state with a made-up code: the provider refuses the code (invalid_grant)", async (t) => {
  const attempt = await atProvider()
  const page = await attempt.browser.go(
    'GET',
    `${callbackPath}?code=made-up&state=${attempt.state}&iss=${encodeURIComponent(world.issuer)}`,
  )
  refusedQuietly(t, page, 400, 'login_expired', 'a made-up code')
})

t.test('a replayed callback: with a copied cookie, and reloaded in the browser that signed in', async (t) => {
  const attempt = await atProvider()
  const copiedJar = new Map(attempt.browser.jars.get(publicUrl))
  const callback = await attempt.callback()
  t.equal((await attempt.browser.go('GET', callback)).url.pathname, '/account', 'the first use signs in')
  const replay = new Browser(app, publicUrl)
  replay.jars.set(publicUrl, copiedJar)
  refusedQuietly(t, await replay.go('GET', callback), 400, 'login_expired', 'a copied cookie')
  refusedQuietly(t, await attempt.browser.go('GET', callback), 400, 'login_expired', 'reloaded after signing in')
})

t.test('forms without their CSRF token, or posted from another site', async (t) => {
  const browser = new Browser(app, publicUrl)
  const login = await browser.go('GET', '/login?region=29')
  const wrongToken = await browser.go('POST', '/login/password', {
    _csrf: 'forged',
    login: 'ivanova.m',
    password: demoPassword,
  })
  refusedQuietly(t, wrongToken, 403, 'form_expired', 'a wrong CSRF token')
  const crossSite = new Browser(app, publicUrl, { origin: 'https://evil.example' })
  crossSite.jars.set(publicUrl, new Map(browser.jars.get(publicUrl)))
  const posted = await crossSite.go('POST', '/login/password', {
    _csrf: csrfToken(login),
    login: 'ivanova.m',
    password: demoPassword,
  })
  refusedQuietly(t, posted, 403, 'form_expired', 'another site')
})
