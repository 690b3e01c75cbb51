/*
 * The region's second-factor policy at the login (regions/second-factor-policy.ts, login/second-factor.ts):
 * before `from` a teacher without a factor is offered enrolment with the date and may put it off (the
 * sign-in then vouches for the password only, and the skip is audited); after `from` with a grace of one
 * sign-in, the second one must enrol (no way round it: a skip posted anyway is refused); a pupil is not
 * asked; wrong codes are counted like wrong passwords and audited.
 */
import t from 'tap'
import { findAccountByLogin } from '../../src/accounts/account.repository.js'
import { Browser, csrfToken, type Page } from '../helpers/browser.js'
import { publicUrl, startDemoWorld } from '../helpers/demo-world.js'

async function passwordStep(app: ConstructorParameters<typeof Browser>[0], login: string) {
  const browser = new Browser(app, publicUrl)
  const form = await browser.go('GET', '/login?region=29')
  const page = await browser.go('POST', '/login/password', { _csrf: csrfToken(form), login, password: 'diary-demo' })
  return { browser, page }
}

const skip = (browser: Browser, page: Page) =>
  browser.request('POST', '/login/factor/enrol/skip', { _csrf: csrfToken(page) })

t.test('before `from`: offered with the date, put off, audited, password level', async (t) => {
  const world = await startDemoWorld(
    t,
    {},
    { region29: { secondFactor: { required: ['teacher'], from: '2099-09-01' } } },
  )
  const db = world.database.db
  const { browser, page } = await passwordStep(world.app, 'kuznetsova.e')
  t.equal(page.url.pathname, '/login/factor/enrol')
  t.match(page.body, 'С 01.09.2099 вход в учётную запись с вашей ролью будет возможен только со вторым шагом')
  t.match(page.body, 'Настроить позже')
  const skipped = await skip(browser, page)
  t.equal(skipped.status, 303)
  t.equal(skipped.headers.location, '/account')
  const teacher = (await findAccountByLogin(db, '29', 'kuznetsova.e'))!
  const session = await db
    .selectFrom('login_session')
    .select(['amr', 'acr'])
    .where('account_id', '=', teacher.id)
    .executeTakeFirstOrThrow()
  t.same(session, { amr: 'pwd', acr: 'password' }, 'signed in at the password level')
  const audited = await db
    .selectFrom('audit_event')
    .select(['type', 'outcome'])
    .where('account_id', '=', teacher.id)
    .where('type', '=', 'second_factor_enrolment')
    .execute()
  t.same(audited, [{ type: 'second_factor_enrolment', outcome: 'skipped' }])

  const pupil = await passwordStep(world.app, 'ivanova.m')
  t.equal(pupil.page.url.pathname, '/account', 'a pupil is not asked')
})

t.test('after `from` with a grace of one: one skip, then enrolment is a must', async (t) => {
  const world = await startDemoWorld(
    t,
    {},
    { region29: { secondFactor: { required: ['teacher'], from: '2020-01-01', graceSignIns: 1 } } },
  )
  const first = await passwordStep(world.app, 'kuznetsova.e')
  t.match(first.page.body, 'Можно отложить ещё 1 раз.')
  t.equal((await skip(first.browser, first.page)).status, 303, 'the grace is used')

  const second = await passwordStep(world.app, 'kuznetsova.e')
  t.equal(second.page.url.pathname, '/login/factor/enrol')
  t.notMatch(second.page.body, 'Настроить позже', 'no way to put it off any more')
  t.match(second.page.body, 'требует второго шага')
  const refused = await skip(second.browser, second.page)
  t.equal(refused.status, 403, 'a skip posted anyway is refused')
  t.match(refused.body, 'factor_required')
  const account = await second.browser.go('GET', '/account')
  t.equal(account.url.pathname, '/login', 'and no session was started')
})

t.test('wrong codes count like wrong passwords: audited, then blocked', async (t) => {
  const world = await startDemoWorld(t, {}, { region29: { secondFactor: { required: ['teacher'] } } })
  const db = world.database.db
  const { browser, page } = await passwordStep(world.app, 'kuznetsova.e')
  t.equal(page.url.pathname, '/login/factor/enrol')
  const totp = await browser.go('GET', '/login/factor/enrol/totp')
  let last: Page = totp
  for (let attempt = 0; attempt < 10; attempt++) {
    last = await browser.request('POST', '/login/factor/enrol/totp', { _csrf: csrfToken(totp), code: '000000' })
  }
  t.equal(last.status, 401, 'each wrong first code is refused')
  const blocked = await browser.request('POST', '/login/factor/enrol/totp', { _csrf: csrfToken(totp), code: '000000' })
  t.equal(blocked.status, 429, 'then blocked, like a password')
  const teacher = (await findAccountByLogin(db, '29', 'kuznetsova.e'))!
  const failures = await db
    .selectFrom('audit_event')
    .select('outcome')
    .where('account_id', '=', teacher.id)
    .where('type', '=', 'second_factor')
    .execute()
  t.equal(failures.filter((row) => row.outcome === 'failure').length, 10, 'every wrong code audited')
})

t.test('a temporary password chooses nothing before the second step', async (t) => {
  const world = await startDemoWorld(t, {}, { region29: { secondFactor: { required: ['teacher'] } } })
  const db = world.database.db
  await db
    .updateTable('diary_account')
    .set({ must_change_password: true })
    .where('login', '=', 'kuznetsova.e')
    .execute()
  const { browser, page } = await passwordStep(world.app, 'kuznetsova.e')
  t.equal(page.url.pathname, '/login/factor/enrol', 'the factor first, not the new password')
  const change = await browser.go('GET', '/password/change')
  t.equal(change.status, 400, 'the password change is not open yet')
})
