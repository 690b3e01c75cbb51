/*
 * acr_values and max_age at /authorize, and acr / amr in the tokens (ID token checked by openid-client
 * against the published JWKS, access token by the verifier library), for a diary module that asks for
 * more than a password. The factor step's pages are tested in test/browser/second-factor.test.ts and
 * test/web/second-factor-*.test.ts; here a session is raised as the factor step raises it
 * (raiseSessionAssurance).
 */
import * as client from 'openid-client'
import t from 'tap'
import { raiseSessionAssurance } from '../../src/sessions/login-session.js'
import { createVerifier } from '../../src/verify/index.js'
import { Browser } from '../helpers/browser.js'
import { publicUrl } from '../helpers/demo-world.js'
import { secrets, startOAuthWorld } from '../helpers/oauth-world.js'

const world = await startOAuthWorld(t)
const config = await world.discover('web-diary', client.ClientSecretBasic(secrets['web-diary']))
const password = 'urn:diary-bridge:acr:password'
const mfa = 'urn:diary-bridge:acr:mfa'
const verifier = createVerifier({ issuer: publicUrl, audience: 'https://diary.example/api', fetch: world.fetch })
t.teardown(() => verifier.close())

/** An /authorize URL of the web diary with `parameters`, and its PKCE verifier. */
async function authorizeUrl(parameters: Record<string, string> = {}) {
  const pkce = client.randomPKCECodeVerifier()
  const url = await world.authorizationUrl(config, pkce, { scope: 'openid offline_access', state: 'st', ...parameters })
  return { url, pkce }
}

async function redeem(location: URL | undefined, pkce: string) {
  if (!location?.searchParams.get('code')) throw new Error(`no code: ${location?.href}`)
  return client.authorizationCodeGrant(config, location, { pkceCodeVerifier: pkce, expectedState: 'st' })
}

/** Where /authorize sends a browser that holds a session: the module (a code or an error) or a bridge page. */
async function authorizeWith(browser: Browser, parameters: Record<string, string>) {
  const { url, pkce } = await authorizeUrl(parameters)
  const response = await browser.request('GET', `${url.pathname}${url.search}`)
  return { location: new URL(String(response.headers.location), publicUrl), pkce }
}

const browser = new Browser(world.app, publicUrl)
const first = await authorizeUrl()
const signedIn = await world.signIn(first.url, 'ivanova.m', 'diary-demo', browser)
const passwordTokens = await redeem(signedIn.location, first.pkce)
const sid = passwordTokens.claims()?.sid as string

t.test('a password sign-in: the tokens say what it was', async (t) => {
  t.match(passwordTokens.claims(), { acr: password, amr: ['pwd'], sid: /./ })
  t.match(await verifier.verify(passwordTokens.access_token), { acr: password, amr: ['pwd'] })
})

t.test('a fresh sign-in asked for mfa: after the password, the factor (here: enrolment), no code', async (t) => {
  const strong = await authorizeUrl({ acr_values: mfa })
  const other = new Browser(world.app, publicUrl)
  const { page, location } = await world.signIn(strong.url, 'ivanov.p', 'diary-demo', other)
  t.equal(page.url.pathname, '/login/factor/enrol', 'a person without a factor sets one up first')
  t.equal(location, undefined, 'no answer to the module yet')
})

t.test('a password session asked for mfa is not answered: step-up', async (t) => {
  const stepUp = await authorizeWith(browser, { acr_values: mfa })
  t.equal(
    stepUp.location.origin + stepUp.location.pathname,
    `${publicUrl}/login/factor/enrol`,
    'only the missing factor is asked for (set up first: she has none)',
  )
  t.equal(stepUp.location.searchParams.get('code'), null)

  const silent = await authorizeWith(browser, { acr_values: mfa, prompt: 'none' })
  t.equal(silent.location.origin, 'https://diary.example')
  t.equal(silent.location.searchParams.get('error'), 'interaction_required', 'prompt=none cannot step up')

  const either = await authorizeWith(browser, { acr_values: `${mfa} ${password}` })
  t.ok(either.location.searchParams.get('code'), 'password was acceptable too: answered at once')
  const unknown = await authorizeWith(browser, { acr_values: 'urn:other:loa:4' })
  t.ok(unknown.location.searchParams.get('code'), 'unknown values are ignored')
})

t.test('a step-up that would set up a factor needs a recent sign-in: else the password again first', async (t) => {
  world.clock.offsetMs = 10 * 60_000
  t.teardown(() => {
    world.clock.offsetMs = 0
  })
  const later = await authorizeWith(browser, { acr_values: mfa })
  t.equal(later.location.origin + later.location.pathname, `${publicUrl}/login`, 'signed in ten minutes ago')
})

t.test('max_age: an older sign-in signs in again, a recent one is answered', async (t) => {
  world.clock.offsetMs = 120_000
  t.teardown(() => {
    world.clock.offsetMs = 0
  })
  const recent = await authorizeWith(browser, { max_age: '600' })
  t.ok(recent.location.searchParams.get('code'), 'signed in two minutes ago, max_age ten minutes')
  const old = await authorizeWith(browser, { max_age: '60' })
  t.equal(old.location.origin + old.location.pathname, `${publicUrl}/login`, 'max_age one minute: sign in again')
  const silent = await authorizeWith(browser, { max_age: '60', prompt: 'none' })
  t.equal(silent.location.searchParams.get('error'), 'login_required')
})

t.test('a session raised by a second factor answers mfa, and every token of its family says so', async (t) => {
  const authenticatedAt = world.now()
  const raised = await raiseSessionAssurance(world.db, sid, { amr: 'pwd otp mfa', acr: 'mfa', authenticatedAt })
  t.match(raised, { id: sid, acr: 'mfa', amr: 'pwd otp mfa' })

  const answered = await authorizeWith(browser, { acr_values: mfa })
  t.ok(answered.location.searchParams.get('code'), 'answered without a login page')
  const tokens = await redeem(answered.location, answered.pkce)
  const expected = { acr: mfa, amr: ['pwd', 'otp', 'mfa'], auth_time: Math.floor(authenticatedAt.getTime() / 1000) }
  t.match(tokens.claims(), expected, 'ID token')
  t.match(await verifier.verify(tokens.access_token), expected, 'access token')
  const code = await world.db
    .selectFrom('token_family')
    .select(['acr', 'amr'])
    .where('session_id', '=', sid)
    .where('acr', '=', 'mfa')
    .execute()
  t.same(code, [{ acr: 'mfa', amr: 'pwd otp mfa' }], 'the family keeps the level')

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!)
  t.match(refreshed.claims(), expected, 'a refresh keeps acr, amr and auth_time')
  t.match(await verifier.verify(refreshed.access_token), expected)

  const asksPassword = await authorizeWith(browser, { acr_values: password })
  t.match((await redeem(asksPassword.location, asksPassword.pkce)).claims(), { acr: mfa }, 'mfa satisfies password')
})

t.test('signing in again with a password alone drops what the factor added', async (t) => {
  const again = await authorizeUrl({ prompt: 'login' })
  const { location } = await world.signIn(again.url, 'ivanova.m', 'diary-demo', browser)
  const tokens = await redeem(location, again.pkce)
  t.match(tokens.claims(), { sid, acr: password, amr: ['pwd'] }, 'the same session, back to the password')
})

t.test('raiseSessionAssurance changes no ended session', async (t) => {
  await world.db.updateTable('login_session').set({ ended_at: world.now() }).where('id', '=', sid).execute()
  const raised = await raiseSessionAssurance(world.db, sid, {
    amr: 'pwd otp mfa',
    acr: 'mfa',
    authenticatedAt: world.now(),
  })
  t.equal(raised, undefined)
  const row = await world.db.selectFrom('login_session').select(['acr']).where('id', '=', sid).executeTakeFirstOrThrow()
  t.equal(row.acr, 'password', 'as the password sign-in before left it')
})
