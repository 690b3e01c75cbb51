/*
 * The owner's e-mail and phone on the account page: shown masked; a new (or the imported, unconfirmed)
 * e-mail is confirmed by a link that works in any browser behind a button, a phone by a code; only
 * confirmed contacts count for recovery.
 */
import { sql } from 'kysely'
import t from 'tap'
import { contactThrottle } from '../../src/login/contacts.js'
import { recoveryThrottle } from '../../src/login/password-recovery.js'
import type { MailMessage, SmsMessage } from '../../src/notify/senders.js'
import { Browser, csrfToken, type Page } from '../helpers/browser.js'
import { demoPassword, publicUrl, startDemoWorld } from '../helpers/demo-world.js'

const mails: MailMessage[] = []
const texts: SmsMessage[] = []
const world = await startDemoWorld(t, {
  senders: {
    mail: { send: async (message: MailMessage) => void mails.push(message) },
    sms: { send: async (message: SmsMessage) => void texts.push(message) },
  },
})
const { app, database } = world
const db = database.db

await sql`update diary_account set email = 'old.address@mail.ru', phone = '+79161234567', phone_verified_at = now() where login = 'ivanov.p'`.execute(
  db,
)

async function signedIn(login: string): Promise<{ browser: Browser; account: Page }> {
  const browser = new Browser(app, publicUrl)
  const page = await browser.go('GET', '/login?region=29')
  const account = await browser.go('POST', '/login/password', { _csrf: csrfToken(page), login, password: demoPassword })
  return { browser, account }
}

/** Messages leave after the answer (web/deliver.ts, setImmediate): this waits until they have. */
const delivered = () => new Promise((resolve) => setImmediate(resolve))

const contactsOf = (login: string) =>
  db
    .selectFrom('diary_account')
    .select(['email', 'email_verified_at', 'phone', 'phone_verified_at'])
    .where('login', '=', login)
    .executeTakeFirstOrThrow()

t.test('contacts are shown masked, with whether they are confirmed', async (t) => {
  const { account } = await signedIn('ivanov.p')
  t.match(account.body, /o\*\*\*@mail\.ru <span class="muted">\(не подтверждена\)/)
  t.match(account.body, /\+7 \*\*\* \*\*\*-45-67 <span class="tag">подтверждён/)
  t.match(
    account.body,
    /<dd>o\*\*\*@mail\.ru <span class="muted">\(не подтверждена\)<\/span><form method="post" action="\/account\/email" class="inline">.*?<button type="submit" class="secondary">Подтвердить эту почту<\/button><\/form><\/dd>/,
    'the unconfirmed address has its own button, next to it',
  )
  t.notMatch(account.body, /Подтвердить этот номер/, 'a confirmed number has none')
  t.notMatch(account.body, /old\.address|9161234567/, 'never in clear')
})

t.test('a new e-mail is confirmed by the link, in another browser, behind a button', async (t) => {
  const { browser, account } = await signedIn('ivanov.p')
  const bad = await browser.go('POST', '/account/email', { _csrf: csrfToken(account), email: 'not an address' })
  t.equal(bad.status, 400)
  t.match(bad.body, /name@mail\.ru/)
  const sent = await browser.go('POST', '/account/email', { _csrf: csrfToken(bad), email: '  Petr.Ivanov@Example.RU ' })
  await delivered()
  t.equal(sent.url.search, '?notice=email_sent')
  t.equal(mails.at(-1)?.to, 'petr.ivanov@example.ru', 'normalised')
  t.equal((await contactsOf('ivanov.p')).email, 'old.address@mail.ru', 'nothing changes before the confirmation')
  const link = /http:\/\/localhost:3000(\/account\/email\/confirm\?token=[A-Za-z0-9_-]+)/.exec(
    mails.at(-1)?.text ?? '',
  )?.[1] as string
  const phone = new Browser(app, publicUrl)
  const confirm = await phone.go('GET', link)
  t.equal(confirm.status, 200)
  t.equal(
    (await contactsOf('ivanov.p')).email,
    'old.address@mail.ru',
    'opening the link (a mail scanner) confirms nothing',
  )
  const token = /name="token" value="([^"]+)"/.exec(confirm.body)?.[1] as string
  const done = await phone.go('POST', '/account/email/confirm', { _csrf: csrfToken(confirm), token })
  t.match(done.body, /Почта подтверждена/)
  const stored = await contactsOf('ivanov.p')
  t.equal(stored.email, 'petr.ivanov@example.ru')
  t.ok(stored.email_verified_at)
  t.equal(
    (await phone.go('POST', '/account/email/confirm', { _csrf: csrfToken(confirm), token })).status,
    400,
    'once only',
  )
  t.match((await browser.go('GET', '/account')).body, /p\*\*\*@example\.ru <span class="tag">подтверждена/)
})

t.test(
  'an address typed with its domain in punycode is stored and shown in Unicode, and is one destination in either spelling',
  async (t) => {
    const { browser, account } = await signedIn('ivanov.p')
    const spellings = ['new@почта.рф', 'NEW@XN--80A1ACNY.XN--P1AI']
    await browser.go('POST', '/account/email', { _csrf: csrfToken(account), email: spellings[1] as string })
    await delivered()
    t.equal(mails.at(-1)?.to, 'new@почта.рф', 'sent to the address in its one stored spelling')
    const link = /http:\/\/localhost:3000(\/account\/email\/confirm\?token=[A-Za-z0-9_-]+)/.exec(
      mails.at(-1)?.text ?? '',
    )?.[1] as string
    const confirm = await browser.go('GET', link)
    await browser.go('POST', '/account/email/confirm', {
      _csrf: csrfToken(confirm),
      token: /name="token" value="([^"]+)"/.exec(confirm.body)?.[1] as string,
    })
    t.equal((await contactsOf('ivanov.p')).email, 'new@почта.рф', 'stored in Unicode: the database constraint takes it')
    t.match((await browser.go('GET', '/account')).body, /n\*\*\*@почта\.рф <span class="tag">подтверждена/)

    // Three accounts ask for confirmations to one address, in both spellings: the address gets what one destination may.
    await db.deleteFrom('login_throttle').execute()
    const sentBefore = mails.length
    for (const login of ['ivanov.p', 'smirnov.a', 'kuznetsova.e']) {
      const session = await signedIn(login)
      let page = session.account
      for (let i = 0; i < contactThrottle.perAccount; i++) {
        page = await session.browser.go('POST', '/account/email', {
          _csrf: csrfToken(page),
          email: spellings[i % 2] as string,
        })
        await delivered()
      }
    }
    const toTheAddress = mails.slice(sentBefore).filter((mail) => mail.to === 'new@почта.рф')
    t.equal(
      toTheAddress.length,
      recoveryThrottle.perDestination,
      `${recoveryThrottle.perDestination} letters, not one allowance per spelling`,
    )
    await db.deleteFrom('login_throttle').execute()
  },
)

t.test('the imported, unconfirmed e-mail is confirmed with one button', async (t) => {
  await sql`update diary_account set email = 'smirnov.family@mail.ru', email_verified_at = null where login = 'smirnov.a'`.execute(
    db,
  )
  const { browser, account } = await signedIn('smirnov.a')
  t.match(account.body, /<form method="post" action="\/account\/email" class="inline">/)
  await browser.go('POST', '/account/email', { _csrf: csrfToken(account) })
  await delivered()
  t.equal(mails.at(-1)?.to, 'smirnov.family@mail.ru')
})

t.test('a new phone is confirmed by the code sent to it; wrong codes are counted', async (t) => {
  const { browser, account } = await signedIn('ivanov.p')
  let page = await browser.go('POST', '/account/phone', { _csrf: csrfToken(account), phone: '8 (912) 000-11-22' })
  await delivered()
  t.equal(page.url.search, '?notice=phone_code_sent')
  t.equal(texts.at(-1)?.to, '+79120001122')
  t.match(page.body, /name="code"/, 'the page asks for the code')
  const code = /\b(\d{6})\b/.exec(texts.at(-1)?.text ?? '')?.[1] as string
  page = await browser.go('POST', '/account/phone/confirm', {
    _csrf: csrfToken(page),
    code: code === '000000' ? '999999' : '000000',
  })
  t.equal(page.status, 400)
  t.match(page.body, /Осталось попыток: 4/)
  t.equal((await contactsOf('ivanov.p')).phone, '+79161234567', 'the old number stays until the code is right')
  page = await browser.go('POST', '/account/phone/confirm', { _csrf: csrfToken(page), code })
  t.equal(page.url.search, '?notice=phone_confirmed')
  t.equal((await contactsOf('ivanov.p')).phone, '+79120001122')
  const events = await db
    .selectFrom('audit_event')
    .select(['type', 'details'])
    .where('type', 'like', 'contact_%')
    .execute()
  t.ok(
    events.some((event) => event.type === 'contact_confirmed' && (event.details as { kind?: string }).kind === 'phone'),
  )
  t.notMatch(JSON.stringify(events), /912|example|mail\.ru/, 'audit rows name the kind of contact, never the contact')
})

t.test('changing a contact asks for a recent sign-in', async (t) => {
  const { browser, account } = await signedIn('ivanov.p')
  world.clock.offsetMs = 6 * 60_000
  t.teardown(() => void (world.clock.offsetMs = 0))
  const sentBefore = mails.length
  const page = await browser.go('POST', '/account/email', { _csrf: csrfToken(account), email: 'attacker@example.com' })
  await delivered()
  t.equal(page.status, 400)
  t.match(page.body, /в течение 5 минут после входа/)
  t.equal(mails.length, sentBefore, 'nothing sent')
})

t.test('without a session the forms lead to the login page', async (t) => {
  const browser = new Browser(app, publicUrl)
  const login = await browser.go('GET', '/login?region=29')
  const page = await browser.go('POST', '/account/email', { _csrf: csrfToken(login), email: 'a@b.ru' })
  t.equal(page.url.pathname, '/login')
})
