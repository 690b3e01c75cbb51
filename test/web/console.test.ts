/*
 * The school console over HTTP (issue 27), on the demo region 29: Кузнецова Е. В. (a teacher of Школа № 1
 * with a code app) is the school admin of Школа № 1; Гимназия № 6 is another school of the region.
 * - the console opens only after a strong sign-in of the last minutes, closes after 15 minutes idle,
 *   refuses a password-only session (it asks for the second step, which comes back to the console) and
 *   anyone without a console role
 * - the school admin finds her school's pupils and not the other school's; every console route with an
 *   id of the other school answers 404 and shows nothing of it
 * - actions: a temporary password shown once (the pupil signs in with it and must change it), the same
 *   as a login slip (PDF: pdftotext finds the login and the Cyrillic name), a class's slips, a block
 *   lifted, a link removed; each audited with the operator and the reason
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as OTPAuth from 'otpauth'
import t from 'tap'
import { findAccountByLogin } from '../../src/accounts/account.repository.js'
import { grantOperatorRole } from '../../src/console/operator.repository.js'
import { factorSecretKey, sealFactorSecret } from '../../src/factors/factor-secret.js'
import { confirmTotp, startTotp } from '../../src/factors/factor.repository.js'
import { createTotpSecret, totpStep } from '../../src/factors/totp.js'
import { Browser, csrfToken, type Page } from '../helpers/browser.js'
import { publicUrl } from '../helpers/demo-world.js'
import { startOAuthWorld } from '../helpers/oauth-world.js'

const world = await startOAuthWorld(t)
const { app, db, config } = world

const account = async (login: string) => {
  const found = await findAccountByLogin(db, '29', login)
  if (found === undefined) throw new Error(`the demo account ${login} is missing`)
  return found
}
const admin = await account('kuznetsova.e')
const ownPupil = await account('ivanova.m')
const otherPupil = await account('smirnov.a')
const otherParent = await account('novikova.o')
if (admin.schoolId === null || otherPupil.schoolId === null) throw new Error('the demo schools are missing')
const ownSchool = admin.schoolId
const otherSchool = otherPupil.schoolId

const secret = createTotpSecret()
const key = factorSecretKey(config.secrets.keyEncryptionKey.reveal())
const factorId = await startTotp(db, admin.id, 'Телефон', sealFactorSecret(key, secret))
// A failed setup throws: with an assertion of the root test here, tap ended the root test before the
// grant below on PostgreSQL, and its teardown closed the database under it.
if (!(await confirmTotp(db, admin.id, factorId, totpStep(world.now().getTime()) - 10, world.now())))
  throw new Error('the code app is not confirmed')
const granted = await grantOperatorRole(db, {
  accountId: admin.id,
  role: 'school-admin',
  region: '29',
  schoolId: ownSchool,
  grantedBy: 'test',
})
if (granted.kind !== 'granted') throw new Error(`the school-admin role is not granted: ${granted.kind}`)

// Each sign-in a step of the code app later (a code counts once): the clock moves 30 s.
const nextCode = () => {
  world.clock.offsetMs += 30_000
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate({
    timestamp: world.now().getTime(),
  })
}

async function signIn(login: string, withCode = true): Promise<{ browser: Browser; page: Page }> {
  const browser = new Browser(app, publicUrl)
  const form = await browser.go('GET', '/login?region=29')
  let page = await browser.go('POST', '/login/password', { _csrf: csrfToken(form), login, password: 'diary-demo' })
  if (withCode && page.url.pathname === '/login/factor')
    page = await browser.go('POST', '/login/factor/code', { _csrf: csrfToken(page), code: nextCode() })
  return { browser, page }
}

async function openConsole(): Promise<{ browser: Browser; home: Page }> {
  const { browser } = await signIn('kuznetsova.e')
  const home = await browser.go('GET', '/console')
  return { browser, home }
}

t.test('the console opens after a strong sign-in and shows my school', async (t) => {
  const { home } = await openConsole()
  t.equal(home.status, 200)
  t.match(home.body, /Консоль школы/)
  t.match(home.body, /Школа № 1/)
  t.match(home.body, /7А/, 'its classes')
  t.notMatch(home.body, /Гимназия № 6/, 'not the other school')
})

t.test('search: my pupils by name, login and class; never the other school', async (t) => {
  const { browser } = await openConsole()
  const byName = await browser.go('GET', `/console/accounts?q=${encodeURIComponent('иванова ма')}`)
  t.match(byName.body, /ivanova\.m/)
  const byLogin = await browser.go('GET', '/console/accounts?q=ivanova.m')
  t.match(byLogin.body, /Иванова Мария/)
  const byClass = await browser.go('GET', `/console/accounts?school=${ownSchool}&class=${encodeURIComponent('7А')}`)
  t.match(byClass.body, /ivanova\.m/)
  for (const q of ['smirnov.a', 'смирнов', 'новикова']) {
    const page = await browser.go('GET', `/console/accounts?q=${encodeURIComponent(q)}`)
    t.notMatch(page.body, /<td>(smirnov\.a|novikova\.o)<\/td>/, `"${q}" finds nobody of the other school`)
    t.match(page.body, /Никого не нашлось/)
  }
  const otherClass = await browser.go(
    'GET',
    `/console/accounts?school=${otherSchool}&class=${encodeURIComponent('8Б')}`,
  )
  t.notMatch(otherClass.body, /smirnov\.a/, "the other school's class lists nobody")
  const wildcard = await browser.go('GET', `/console/accounts?q=${encodeURIComponent('%')}`)
  t.notMatch(wildcard.body, /ivanova\.m/, 'a LIKE wildcard is a character, not "anything"')
})

t.test("every console route with the other school's ids: 404, nothing of it", async (t) => {
  const { browser, home } = await openConsole()
  const csrf = csrfToken(home)
  const action = (id: string, extra: Record<string, string> = {}) => ({
    _csrf: csrf,
    reason: 'проверка',
    confirm: 'yes',
    ...extra,
  })
  const tries: [string, 'GET' | 'POST', string, Record<string, string>?][] = [
    ['card', 'GET', `/console/accounts/${otherPupil.id}`],
    [
      'temporary password',
      'POST',
      `/console/accounts/${otherPupil.id}/action`,
      action(otherPupil.id, { action: 'temporary_password' }),
    ],
    ['unblock', 'POST', `/console/accounts/${otherParent.id}/action`, action(otherParent.id, { action: 'unblock' })],
    [
      'end sessions',
      'POST',
      `/console/accounts/${otherPupil.id}/action`,
      action(otherPupil.id, { action: 'end_sessions' }),
    ],
    [
      'reset factors',
      'POST',
      `/console/accounts/${otherPupil.id}/action`,
      action(otherPupil.id, { action: 'reset_factors' }),
    ],
    [
      'deactivate',
      'POST',
      `/console/accounts/${otherPupil.id}/action`,
      action(otherPupil.id, { action: 'deactivate' }),
    ],
    ['slip', 'POST', `/console/accounts/${otherPupil.id}/slip`, action(otherPupil.id)],
    ['school', 'GET', `/console/schools/${otherSchool}`],
    [
      'contact',
      'POST',
      `/console/schools/${otherSchool}/contact`,
      { _csrf: csrf, name: 'Чужой', room: '1', phone: '1', hours: '1' },
    ],
    ['class slips', 'POST', `/console/schools/${otherSchool}/slips`, action(otherSchool, { class: '8Б' })],
    ['overview', 'GET', '/console/overview?region=29'],
  ]
  for (const [name, method, path, form] of tries) {
    const page = await browser.request(method, path, form)
    t.equal(page.status, 404, `${name}: 404`)
    t.notMatch(page.body, /Смирнов|smirnov|Новикова|novikova|Гимназия/, `${name}: nothing of the other school`)
  }
  const after = await account('smirnov.a')
  t.equal(after.mustChangePassword, otherPupil.mustChangePassword, "the other school's pupil is unchanged")
  t.equal(after.state, 'active')
})

t.test('a temporary password, shown once; the pupil signs in with it and must change it', async (t) => {
  const { browser } = await openConsole()
  const card = await browser.go('GET', `/console/accounts/${ownPupil.id}`)
  t.equal(card.status, 200)
  t.match(card.body, /Иванова Мария/)
  const refused = await browser.request('POST', `/console/accounts/${ownPupil.id}/action`, {
    _csrf: csrfToken(card),
    action: 'temporary_password',
    reason: 'забыла пароль',
  })
  t.equal(refused.status, 400, 'without the confirmation box: nothing done')
  const issued = await browser.request('POST', `/console/accounts/${ownPupil.id}/action`, {
    _csrf: csrfToken(card),
    action: 'temporary_password',
    reason: 'забыла пароль',
    confirm: 'yes',
  })
  t.equal(issued.status, 200)
  const password = /class="password">([^<]+)</.exec(issued.body)?.[1]
  t.ok(password, 'the password is on the page')
  const again = await browser.go('GET', `/console/accounts/${ownPupil.id}`)
  t.notOk(again.body.includes(String(password)), 'and never again')
  const pupil = new Browser(app, publicUrl)
  const form = await pupil.go('GET', '/login?region=29')
  const next = await pupil.go('POST', '/login/password', {
    _csrf: csrfToken(form),
    login: 'ivanova.m',
    password: String(password),
  })
  t.equal(next.url.pathname, '/password/change', 'the pupil must choose her own password')
  const audit = await db
    .selectFrom('audit_event')
    .select(['type', 'outcome', 'details'])
    .where('account_id', '=', ownPupil.id)
    .where('type', '=', 'console_action')
    .execute()
  t.match(audit, [{ outcome: 'temporary_password', details: { operator: admin.id, reason: 'забыла пароль' } }])
  t.notOk(JSON.stringify(audit).includes(String(password)), 'the audit holds no password')
})

t.test(
  'a login slip as PDF: the login and the Cyrillic name',
  { skip: !existsSync('/usr/bin/pdftotext') && 'poppler-utils (pdftotext) is not installed' },
  async (t) => {
    const { browser } = await openConsole()
    const card = await browser.go('GET', `/console/accounts/${ownPupil.id}`)
    const response = await app.inject({
      method: 'POST',
      url: `/console/accounts/${ownPupil.id}/slip`,
      headers: { cookie: browser.cookieHeader(publicUrl), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrfToken(card), reason: 'новая памятка', confirm: 'yes' }).toString(),
    })
    t.equal(response.statusCode, 200)
    t.equal(response.headers['content-type'], 'application/pdf')
    t.equal(response.headers['cache-control'], 'no-store')
    const dir = join('test-results', 'console')
    mkdirSync(dir, { recursive: true })
    const file = join(dir, 'slip.pdf')
    writeFileSync(file, response.rawPayload)
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' })
    t.match(text, /ivanova\.m/)
    t.match(text, /Иванова/)
    t.match(text, /Школа № 1/)
  },
)

t.test("a class's slips: one PDF, its Cyrillic class name in the file name", async (t) => {
  const { browser } = await openConsole()
  const page = await browser.go('GET', `/console/schools/${ownSchool}`)
  const response = await app.inject({
    method: 'POST',
    url: `/console/schools/${ownSchool}/slips`,
    headers: { cookie: browser.cookieHeader(publicUrl), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      _csrf: csrfToken(page),
      class: '7А',
      reason: 'начало года',
      confirm: 'yes',
    }).toString(),
  })
  t.equal(response.statusCode, 200, 'a header cannot carry "А" as it is: not a 500')
  t.equal(response.headers['content-type'], 'application/pdf')
  t.equal(
    response.headers['content-disposition'],
    `attachment; filename="slips-7_.pdf"; filename*=UTF-8''slips-7%D0%90.pdf`,
    'an ASCII fallback and the UTF-8 name (RFC 6266)',
  )
})

t.test('a blocked parent is unblocked; a wrong link is removed', async (t) => {
  const parent = await account('ivanov.p')
  const attempt = new Browser(app, publicUrl)
  for (let i = 0; i < config.bridge.throttling.accountFailures; i++) {
    const form = await attempt.go('GET', '/login?region=29')
    await attempt.go('POST', '/login/password', {
      _csrf: csrfToken(form),
      login: 'ivanov.p',
      password: 'wrong-password',
    })
  }
  const { browser } = await openConsole()
  const card = await browser.go('GET', `/console/accounts/${parent.id}`)
  t.match(card.body, /заблокирован/i, 'the card says the block')
  const unblocked = await browser.request('POST', `/console/accounts/${parent.id}/action`, {
    _csrf: csrfToken(card),
    action: 'unblock',
    reason: 'позвонил родитель',
    confirm: 'yes',
  })
  t.match(unblocked.body, /Блокировка снята/)
  const form = await attempt.go('GET', '/login?region=29')
  const signedIn = await attempt.go('POST', '/login/password', {
    _csrf: csrfToken(form),
    login: 'ivanov.p',
    password: 'diary-demo',
  })
  t.not(signedIn.url.pathname, '/login/password', 'the parent signs in again')

  await db
    .insertInto('identity_link')
    .values({
      issuer: 'https://esia.example/',
      subject: 'wrong-person',
      account_id: parent.id,
      method: 'password',
      evidence: JSON.stringify({}),
      verified: false,
    })
    .execute()
  const withLink = await browser.go('GET', `/console/accounts/${parent.id}`)
  const linkId = /name="link" value="([^"]+)"/.exec(withLink.body)?.[1]
  t.ok(linkId, 'the card offers to remove the link')
  const removed = await browser.request('POST', `/console/accounts/${parent.id}/action`, {
    _csrf: csrfToken(withLink),
    action: 'remove_link',
    link: String(linkId),
    reason: 'чужая учётная запись Госуслуг',
    confirm: 'yes',
  })
  t.match(removed.body, /Связь удалена/)
  const left = await db.selectFrom('identity_link').select('id').where('account_id', '=', parent.id).execute()
  t.same(left, [], 'no link left')
})

t.test('the strong sign-in requirement and the 15 minutes', async (t) => {
  const weak = await signIn('kuznetsova.e', false)
  t.equal(weak.page.url.pathname, '/login/factor', 'her password alone leads to the second step')

  const { browser } = await openConsole()
  world.clock.offsetMs += 16 * 60_000
  t.teardown(() => (world.clock.offsetMs -= 16 * 60_000))
  const idle = await browser.go('GET', '/console')
  t.equal(idle.status, 401, 'after 15 minutes idle the console asks again')
  t.match(idle.body, /15 минут/)
  const confirm = await browser.go('POST', '/console/confirm', { _csrf: csrfToken(idle) })
  t.equal(confirm.url.pathname, '/login/factor', 'the second step')
  const back = await browser.go('POST', '/login/factor/code', { _csrf: csrfToken(confirm), code: nextCode() })
  t.equal(back.url.pathname, '/console', 'and back to the console')
  t.equal(back.status, 200)

  const pupil = await signIn('morozova.t')
  const refused = await pupil.browser.go('GET', '/console')
  t.equal(refused.status, 403, 'no console role: refused')
})
