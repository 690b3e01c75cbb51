/*
 * A one-time code is spent on every instance (issue 26): two bridge instances on one database; the
 * teacher signs in on the first with her password and a code, and the same code on the second instance
 * (a copied code, a replay) is refused there, while the app's next code works. A right code never tells
 * more than a wrong one: the refusal reads the same. Run on PostgreSQL in CI (PGlite: one process).
 */
import * as OTPAuth from 'otpauth'
import t from 'tap'
import { findAccountByLogin } from '../../src/accounts/account.repository.js'
import { factorSecretKey, sealFactorSecret } from '../../src/factors/factor-secret.js'
import { addPasskey, confirmTotp, startTotp } from '../../src/factors/factor.repository.js'
import { verifyPasskeyRegistration } from '../../src/factors/passkey.js'
import { SoftAuthenticator } from '../../peers/soft-authenticator.js'
import { createTotpSecret, totpStep } from '../../src/factors/totp.js'
import { Browser, csrfToken, type Page } from '../helpers/browser.js'
import { publicUrl } from '../helpers/demo-world.js'
import { startOAuthWorld } from '../helpers/oauth-world.js'
import { buildTestApp } from '../helpers/test-app.js'

const world = await startOAuthWorld(t)
const { app, db, config } = world
const second = await buildTestApp(t, config, db, { now: world.now })

const account = await findAccountByLogin(db, '29', 'kuznetsova.e')
if (account === undefined) throw new Error('the demo teacher is missing')
const secret = createTotpSecret()
const key = factorSecretKey(config.secrets.keyEncryptionKey.reveal())
const factorId = await startTotp(db, account.id, 'Телефон', sealFactorSecret(key, secret))
// Confirmed a while ago: the code of now is the next one to use.
t.ok(await confirmTotp(db, account.id, factorId, totpStep(world.now().getTime()) - 10, world.now()))

const codeAt = (at: number) =>
  new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate({ timestamp: at })

async function passwordThenCode(browser: Browser, code: string): Promise<{ factorPage: Page; answer: Page }> {
  const form = await browser.go('GET', '/login?region=29')
  const factorPage = await browser.go('POST', '/login/password', {
    _csrf: csrfToken(form),
    login: 'kuznetsova.e',
    password: 'diary-demo',
  })
  const answer = await browser.request('POST', '/login/factor/code', { _csrf: csrfToken(factorPage), code })
  return { factorPage, answer }
}

t.test('a code used on one instance is refused on the other; the next code works there', async (t) => {
  const code = codeAt(world.now().getTime())
  const first = await passwordThenCode(new Browser(app, publicUrl), code)
  t.equal(first.factorPage.url.pathname, '/login/factor', 'the password leads to the second step')
  t.equal(first.answer.status, 303, 'the code signs in on the first instance')
  t.equal(first.answer.headers.location, '/account')

  const replay = await passwordThenCode(new Browser(second.app, publicUrl), code)
  t.equal(replay.answer.status, 401, 'the same code on the second instance is refused')
  t.match(replay.answer.body, /Код не подошёл/)
  t.notOk(replay.answer.headers['set-cookie']?.toString().includes('__Host-bridge-session='), 'no session cookie')

  const next = await passwordThenCode(new Browser(second.app, publicUrl), codeAt(world.now().getTime() + 30_000))
  t.equal(next.answer.status, 303, "the app's next code works on the second instance")
  const sessions = await db
    .selectFrom('login_session')
    .select(['amr', 'acr'])
    .where('account_id', '=', account.id)
    .where('ended_at', 'is', null)
    .execute()
  t.same(
    sessions.map((session) => [session.amr, session.acr]),
    [
      ['pwd otp mfa', 'mfa'],
      ['pwd otp mfa', 'mfa'],
    ],
    'two sessions, each of password and code',
  )
})

t.test('the password alone starts no session', async (t) => {
  const browser = new Browser(app, publicUrl)
  const form = await browser.go('GET', '/login?region=29')
  const before = await db.selectFrom('login_session').select('id').where('account_id', '=', account.id).execute()
  const page = await browser.request('POST', '/login/password', {
    _csrf: csrfToken(form),
    login: 'kuznetsova.e',
    password: 'diary-demo',
  })
  t.equal(page.headers.location, '/login/factor')
  const after = await db.selectFrom('login_session').select('id').where('account_id', '=', account.id).execute()
  t.equal(after.length, before.length)
  const account_ = await browser.go('GET', '/account')
  t.equal(account_.url.pathname, '/login', 'the account page is not reached')
})

t.test(
  'a passkey sign-in from the login page: once; a copied cookie with the same answer signs in nobody',
  async (t) => {
    const rpId = new URL(publicUrl).hostname
    const authenticator = new SoftAuthenticator(rpId, new URL(publicUrl).origin)
    const made = await verifyPasskeyRegistration({
      response: authenticator.register('registration-challenge'),
      expectedChallenge: 'registration-challenge',
      expectedOrigin: new URL(publicUrl).origin,
      rpId,
    })
    if (made === undefined) throw new Error('the soft passkey was not registered')
    t.match(await addPasskey(db, account.id, { name: 'Ключ', ...made }), { kind: 'added' })

    const browser = new Browser(app, publicUrl)
    const form = await browser.go('GET', '/login?region=29')
    const options = /data-passkey="get" data-options="([^"]+)"/.exec(form.body)?.[1]
    if (options === undefined) throw new Error('no passkey form on the login page')
    const { challenge } = JSON.parse(options.replaceAll('&quot;', '"')) as { challenge: string }
    const answer = JSON.stringify(authenticator.assert(challenge, { flags: { userVerified: true } }))
    const copied = new Map([...browser.jars].map(([origin, jar]) => [origin, new Map(jar)]))
    const signedIn = await browser.request('POST', '/login/passkey', { _csrf: csrfToken(form), response: answer })
    t.equal(signedIn.status, 303, 'the passkey alone signs in')
    t.equal(signedIn.headers.location, '/account')

    const thief = new Browser(second.app, publicUrl)
    for (const [origin, jar] of copied) thief.jars.set(origin, jar)
    const replay = await thief.request('POST', '/login/passkey', { _csrf: csrfToken(form), response: answer })
    t.equal(replay.status, 400, 'the same answer with a copy of the cookie, on the other instance')
    t.match(replay.body, 'login_expired')
  },
)
