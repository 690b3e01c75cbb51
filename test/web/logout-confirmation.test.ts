/*
 * RP-initiated logout when this browser's session cookie does not vouch for the request (OIDC
 * RP-Initiated Logout 1.0 §2), and when there is no hint to go with the cookie: a link from anywhere only
 * gets the question; an id_token_hint alone only gets the question "Sign out of the diary?",
 * whose CSRF-protected form ends the session; an expired hint still names the client (and its
 * post_logout_redirect_uri is still checked) but ends no session, confirmed or not.
 */
import * as client from 'openid-client'
import t from 'tap'
import { Browser, csrfToken, type Page } from '../helpers/browser.js'
import { demoPassword, publicUrl } from '../helpers/demo-world.js'
import { secrets, startOAuthWorld } from '../helpers/oauth-world.js'

const world = await startOAuthWorld(t)
const { app, db } = world
t.afterEach(() => {
  world.clock.offsetMs = 0
})

/** A diary module's sign-in in its own browser, with a refresh token. */
async function diaryModuleSession(login: string) {
  const configuration = await world.discover('web-diary', client.ClientSecretBasic(secrets['web-diary']))
  const verifier = client.randomPKCECodeVerifier()
  const url = await world.authorizationUrl(configuration, verifier, { scope: 'openid offline_access' })
  const browser = new Browser(app, publicUrl)
  const { location } = await world.signIn(url, login, demoPassword, browser)
  const tokens = await client.authorizationCodeGrant(configuration, location!, { pkceCodeVerifier: verifier })
  const sessionId = tokens.claims()?.sid as string
  return {
    browser,
    configuration,
    tokens: tokens as client.TokenEndpointResponse & client.TokenEndpointResponseHelpers,
    sessionId,
  }
}

type Module = Awaited<ReturnType<typeof diaryModuleSession>>

function logoutPath(module: Module, parameters: Record<string, string> = {}): string {
  const url = client.buildEndSessionUrl(module.configuration, {
    id_token_hint: module.tokens.id_token!,
    post_logout_redirect_uri: 'https://diary.example/bye',
    state: 'bye-state',
    ...parameters,
  })
  return `${url.pathname}${url.search}`
}

/** The hidden fields of the confirmation form, as the browser would send them. */
function confirmationForm(page: Page): Record<string, string> {
  const fields = [...page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)]
  return Object.fromEntries(
    fields.map(([, name, value]) => [name as string, (value as string).replaceAll('&amp;', '&')]),
  )
}

const sessionEnded = async (id: string) =>
  (await db.selectFrom('login_session').select('ended_reason').where('id', '=', id).executeTakeFirstOrThrow())
    .ended_reason
const refreshes = async (module: Module) => {
  try {
    module.tokens = await client.refreshTokenGrant(module.configuration, module.tokens.refresh_token!)
    return true
  } catch {
    return false
  }
}

t.test(
  'a hint without this browser’s session asks first, and ends the session only when the person confirms',
  async (t) => {
    const module = await diaryModuleSession('ivanova.m')
    const elsewhere = new Browser(app, publicUrl)
    const question = await elsewhere.request('GET', logoutPath(module))
    t.equal(question.status, 200, 'a page, not a redirect')
    t.match(question.body, /<h1>Выйти из дневника\?<\/h1>/)
    t.match(question.body, /«Web diary» просит завершить вход в дневник/)
    t.match(question.body, /<form method="post" action="\/logout\/confirm">/)
    t.equal(question.headers['cache-control'], 'no-store')
    t.equal(await sessionEnded(module.sessionId), null, 'nothing ended yet')
    t.ok(await refreshes(module), 'the diary module’s refresh token still works')

    const cross = await elsewhere.request('POST', '/logout', {
      id_token_hint: module.tokens.id_token!,
      post_logout_redirect_uri: 'https://diary.example/bye',
    })
    t.equal(cross.status, 200, 'a cross-site POST from the module (no cookie) gets the same question')
    t.equal(await sessionEnded(module.sessionId), null)

    const form = confirmationForm(question)
    const forged = await elsewhere.request('POST', '/logout/confirm', { ...form, _csrf: 'forged' })
    t.equal(forged.status, 403, 'a confirmation without the page’s CSRF token is refused')
    t.equal(await sessionEnded(module.sessionId), null, 'and ends nothing')

    const confirmed = await elsewhere.request('POST', '/logout/confirm', form)
    t.equal(confirmed.status, 303)
    t.equal(confirmed.headers.location, 'https://diary.example/bye?state=bye-state')
    t.equal(await sessionEnded(module.sessionId), 'logout', 'confirmed: the session named by the hint ends')
    t.notOk(await refreshes(module), 'and its refresh tokens are revoked')
    t.equal(
      (await module.browser.go('GET', '/account')).url.pathname,
      '/login',
      'the module’s browser is signed out too',
    )
  },
)

t.test('this browser’s own session cookie still signs out at once', async (t) => {
  const module = await diaryModuleSession('smirnov.a')
  const out = await module.browser.request('GET', logoutPath(module))
  t.equal(out.status, 303)
  t.equal(out.headers.location, 'https://diary.example/bye?state=bye-state')
  t.equal(await sessionEnded(module.sessionId), 'logout')
})

t.test(
  'a cookie without a hint (any site can link to /logout) asks first; the account page signs out through the form',
  async (t) => {
    const module = await diaryModuleSession('ivanova.m')
    const question = await module.browser.request('GET', '/logout')
    t.equal(question.status, 200, 'a page, not a redirect')
    t.match(question.body, /<h1>Выйти из дневника\?<\/h1>/)
    t.equal(await sessionEnded(module.sessionId), null, 'nothing ended by the link')
    t.equal((await module.browser.go('GET', '/account')).url.pathname, '/account', 'still signed in')

    const account = await module.browser.go('GET', '/account')
    t.match(
      account.body,
      /<form method="post" action="\/logout\/confirm"><input type="hidden" name="_csrf"/,
      'sign-out is a POST form',
    )
    const out = await module.browser.go('POST', '/logout/confirm', { _csrf: csrfToken(account) })
    t.equal(out.url.pathname, '/login')
    t.equal(await sessionEnded(module.sessionId), 'logout')
  },
)

t.test('with neither a hint nor a session there is nothing to end or ask', async (t) => {
  const out = await new Browser(app, publicUrl).request('GET', '/logout')
  t.equal(out.status, 303)
  t.equal(out.headers.location, '/login')
})

t.test('a cookie of another account does not vouch for the hint', async (t) => {
  const module = await diaryModuleSession('ivanova.m')
  const other = await diaryModuleSession('smirnov.a')
  const question = await other.browser.request('GET', logoutPath(module))
  t.equal(question.status, 200, 'asked first')
  t.equal(await sessionEnded(module.sessionId), null)
  t.equal(await sessionEnded(other.sessionId), null)
})

t.test('an expired hint names the client but never ends a session by itself', async (t) => {
  const module = await diaryModuleSession('ivanova.m')
  world.clock.offsetMs = 11 * 60_000
  const elsewhere = new Browser(app, publicUrl)
  const mismatch = await elsewhere.request(
    'GET',
    logoutPath(module, { post_logout_redirect_uri: 'https://evil.example/bye' }),
  )
  t.equal(mismatch.status, 400, 'its client’s post_logout_redirect_uri is still checked')
  t.match(mismatch.body, /redirect_uri_mismatch/)

  const question = await elsewhere.request('GET', logoutPath(module))
  t.equal(question.status, 200)
  t.match(question.body, /«Web diary»/, 'the client is named')
  const confirmed = await elsewhere.request('POST', '/logout/confirm', confirmationForm(question))
  t.equal(confirmed.headers.location, 'https://diary.example/bye?state=bye-state', 'on to the client')
  t.equal(await sessionEnded(module.sessionId), null, 'the session named by the expired hint goes on')
  t.ok(await refreshes(module), 'and so do its refresh tokens')
})

t.test('the question in English', async (t) => {
  const module = await diaryModuleSession('ivanova.m')
  const page = await new Browser(app, publicUrl, { 'accept-language': 'en' }).request('GET', logoutPath(module))
  t.match(page.body, /<h1>Sign out of the diary\?<\/h1>/)
  t.match(page.body, /“Web diary” asks to end your diary sign-in/)
})
