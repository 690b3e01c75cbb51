/*
 * A binding by password from a State Services account the provider did not vouch for proves only that
 * someone knew the diary password (issue 23, item 1), through the real pages and the demo simulator:
 * - it never resets the password ("forgot your password" through State Services answers "not linked")
 * - it ends when the owner changes the password on the account page, or resets it by e-mail, or the
 *   support desk issues a temporary one; the owner sees which links ended; verified bindings stay
 */
import { sql } from 'kysely'
import t from 'tap'
import { findAccountByLogin } from '../../src/accounts/account.repository.js'
import { createPasswordHasher } from '../../src/accounts/password-hash.js'
import { resetPassword } from '../../src/lifecycle/change-password.js'
import type { MailMessage } from '../../src/notify/senders.js'
import { Browser, csrfToken, type Page } from '../helpers/browser.js'
import { demoPassword, publicUrl, startDemoWorld } from '../helpers/demo-world.js'

const mails: MailMessage[] = []
const world = await startDemoWorld(t, {
  senders: { mail: { send: async (message: MailMessage) => void mails.push(message) } },
})
const { app, database } = world
const db = database.db
const ownerEmail = 'kuznetsova.e@example.ru'
await sql`update diary_account set email = ${ownerEmail}, email_verified_at = now() where login = 'kuznetsova.e'`.execute(
  db,
)

/** At the simulator: picks `person` on the page State Services showed. */
async function pickPerson(browser: Browser, simulatorPage: Page, person: string): Promise<Page> {
  const action = /action="(\/interaction\/[^"]+\/login)"/.exec(simulatorPage.body)?.[1]
  if (action === undefined)
    throw new Error(`no person page at the simulator: ${simulatorPage.url.href} answered ${simulatorPage.status}`)
  return browser.go('POST', new URL(action, simulatorPage.url), { person })
}

async function stateServicesLogin(browser: Browser, person: string): Promise<Page> {
  await browser.go('GET', '/login?region=29')
  return pickPerson(browser, await browser.go('GET', '/login/state-services'), person)
}

/** The person signs in through State Services and binds `login` with its password. */
async function bind(person: string, login: string, password: string): Promise<Browser> {
  const browser = new Browser(app, publicUrl)
  const page = await stateServicesLogin(browser, person)
  t.equal(page.url.pathname, '/link', `${person} is asked for the diary password`)
  const done = await browser.go('POST', '/link', { _csrf: csrfToken(page), login, password })
  t.equal(done.url.pathname, '/account', `${person} bound ${login}`)
  return browser
}

async function recoverThroughStateServices(person: string): Promise<Page> {
  const browser = new Browser(app, publicUrl)
  await browser.go('GET', '/login?region=29')
  await browser.go('GET', '/password/forgot')
  return pickPerson(browser, await browser.go('GET', '/password/forgot/state-services'), person)
}

async function signIn(login: string, password: string): Promise<{ browser: Browser; page: Page }> {
  const browser = new Browser(app, publicUrl)
  const form = await browser.go('GET', '/login?region=29')
  return { browser, page: await browser.go('POST', '/login/password', { _csrf: csrfToken(form), login, password }) }
}

const linksOf = (login: string) =>
  db
    .selectFrom('identity_link')
    .innerJoin('diary_account', 'diary_account.id', 'identity_link.account_id')
    .select(['identity_link.subject', 'identity_link.method', 'identity_link.verified'])
    .where('diary_account.login', '=', login)
    .orderBy('identity_link.created_at')
    .execute()

const lastEvent = (type: string) =>
  db
    .selectFrom('audit_event')
    .select(['outcome', 'details'])
    .where('type', '=', type)
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow()

t.test('an unverified binding signs in, but never resets the password; a verified binding does', async (t) => {
  const stranger = await bind('elena', 'kuznetsova.e', demoPassword)
  t.same(await linksOf('kuznetsova.e'), [{ subject: 'elena', method: 'password', verified: false }])
  const page = await stranger.go('GET', '/account')
  t.match(
    page.body,
    /не была подтверждена, когда её привязали паролем/,
    'the account page says the link was made by an unverified person',
  )

  const refused = await recoverThroughStateServices('elena')
  t.equal(refused.status, 403)
  t.match(refused.body, /recovery_not_linked/, 'the same answer as for a person with no link')
  t.match(await lastEvent('password_recovery_identity'), {
    outcome: 'unverified_link',
    details: { reason: 'unverified_link' },
  })

  // Татьяна is verified and her SNILS is the diary's; a typo in the diary's patronymic made her bind by password.
  const tatiana = await bind('tatiana', 'morozova.t', demoPassword)
  t.same(await linksOf('morozova.t'), [{ subject: 'tatiana', method: 'password', verified: true }])
  t.match((await tatiana.go('GET', '/account')).body, /<span class="tag">учётная запись Госуслуг подтверждена<\/span>/)
  const allowed = await recoverThroughStateServices('tatiana')
  t.equal(allowed.url.pathname, '/password/reset', 'a binding of a verified person may reset the password')
})

t.test(
  'the owner changes the password: the unverified binding ends and the page says which; the stranger is signed out',
  async (t) => {
    const strangerSessions = () =>
      db
        .selectFrom('login_session')
        .select(['ended_reason'])
        .where('upstream_subject', '=', 'elena')
        .where('method', '=', 'state_services')
        .execute()
    t.ok(
      (await strangerSessions()).some((session) => session.ended_reason === null),
      'the stranger is signed in',
    )
    const { browser, page } = await signIn('kuznetsova.e', demoPassword)
    t.equal(page.url.pathname, '/account')
    const changed = await browser.go('POST', '/account/password', {
      _csrf: csrfToken(page),
      current: demoPassword,
      password: 'Новый-пароль-Елены-1',
      repeat: 'Новый-пароль-Елены-1',
    })
    t.equal(changed.url.pathname, '/account')
    t.match(changed.body, /Пароль изменён/)
    t.match(changed.body, /Привязки, отменённые при смене пароля/)
    t.match(
      changed.body,
      /Госуслуги · Архангельская область<\/strong>, привязаны паролем от дневника/,
      'the ended link is named, with when it was made',
    )
    t.same(await linksOf('kuznetsova.e'), [], 'the binding is gone')
    t.match(await lastEvent('link_removed'), {
      outcome: 'removed',
      details: {
        by: 'password_change',
        reason: 'password_changed',
        subject: 'elena',
        method: 'password',
        verified: false,
      },
    })
    t.match(await lastEvent('password_change'), { details: { linksEnded: 1 } })
    t.ok(
      (await strangerSessions()).every((session) => session.ended_reason !== null),
      'every session of the stranger ended',
    )
    t.equal((await recoverThroughStateServices('elena')).status, 403, 'State Services recovery: still "not linked"')
    t.equal(
      (await stateServicesLogin(new Browser(app, publicUrl), 'elena')).url.pathname,
      '/link',
      'the stranger is back at the binding page',
    )

    const tatiana = await signIn('morozova.t', demoPassword)
    await tatiana.browser.go('POST', '/account/password', {
      _csrf: csrfToken(tatiana.page),
      current: demoPassword,
      password: 'Татьяна-новый-пароль-5',
      repeat: 'Татьяна-новый-пароль-5',
    })
    t.same(
      await linksOf('morozova.t'),
      [{ subject: 'tatiana', method: 'password', verified: true }],
      'a verified binding survives a password change',
    )
  },
)

t.test('a reset by e-mail ends an unverified binding too, and the login page says so', async (t) => {
  await bind('elena', 'kuznetsova.e', 'Новый-пароль-Елены-1')
  const browser = new Browser(app, publicUrl)
  await browser.go('GET', '/login?region=29')
  const forgot = await browser.go('GET', '/password/forgot')
  await browser.go('POST', '/password/forgot', { _csrf: csrfToken(forgot), login: 'kuznetsova.e', via: 'email' })
  await new Promise((resolve) => setImmediate(resolve))
  const link = /http:\/\/localhost:3000(\/password\/reset\?token=[A-Za-z0-9_-]+)/.exec(mails.at(-1)?.text ?? '')?.[1]
  if (link === undefined) throw new Error('no recovery link in the mail')
  const form = await browser.go('GET', link)
  const done = await browser.go('POST', '/password/reset', {
    _csrf: csrfToken(form),
    password: 'Пароль-по-почте-2',
    repeat: 'Пароль-по-почте-2',
  })
  t.equal(done.url.pathname, '/login')
  t.equal(done.url.searchParams.get('notice'), 'password_reset_links_ended')
  t.match(done.body, /Привязки к Госуслугам, сделанные паролем с неподтверждённой учётной записью, отменены/)
  t.same(await linksOf('kuznetsova.e'), [])
  const { page } = await signIn('kuznetsova.e', 'Пароль-по-почте-2')
  t.match(
    page.body,
    /Привязки, отменённые при смене пароля/,
    'after signing in, the account page lists the ended links',
  )
})

t.test('the support desk’s temporary password ends an unverified binding as well', async (t) => {
  await bind('elena', 'kuznetsova.e', 'Пароль-по-почте-2')
  const account = (await findAccountByLogin(db, '29', 'kuznetsova.e'))!
  const hasher = createPasswordHasher({ workers: 1, maxQueue: 1 })
  const reset = await resetPassword(db, hasher, account, { operator: 'Петрова А.В.', now: new Date() }).finally(() =>
    hasher.close(),
  )
  t.same(
    reset.endedLinks.map((link) => [link.subject, link.verified]),
    [['elena', false]],
  )
  t.same(await linksOf('kuznetsova.e'), [])
  t.match(await lastEvent('password_reset'), { details: { linksEnded: 1 } })
})
