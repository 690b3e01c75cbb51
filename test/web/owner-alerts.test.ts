/*
 * The owner hears of a change at the contacts confirmed before it (issue 23, item 8): the password
 * changed on the account page, reset through "forgot your password", a temporary one replaced; a new
 * e-mail or phone confirmed. The alert carries no link and no code; an unconfirmed contact and the new
 * contact itself get none.
 */
import { sql } from 'kysely'
import t, { type Test } from 'tap'
import { findAccountByLogin } from '../../src/accounts/account.repository.js'
import { createPasswordHasher } from '../../src/accounts/password-hash.js'
import { resetPassword } from '../../src/lifecycle/change-password.js'
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

await sql`update diary_account set email = 'petr.ivanov@example.ru', email_verified_at = now(), phone = '+79161234567', phone_verified_at = now() where login = 'ivanov.p'`.execute(
  db,
)
await sql`update diary_account set email = 'unconfirmed@example.ru', phone = '+79005550000', phone_verified_at = now() where login = 'smirnov.a'`.execute(
  db,
)

/** Messages leave after the answer (web/deliver.ts, setImmediate): this waits until they have. */
const delivered = () => new Promise((resolve) => setImmediate(resolve))

async function signedIn(login: string, password = demoPassword): Promise<{ browser: Browser; page: Page }> {
  const browser = new Browser(app, publicUrl)
  const form = await browser.go('GET', '/login?region=29')
  return { browser, page: await browser.go('POST', '/login/password', { _csrf: csrfToken(form), login, password }) }
}

/** What arrives while `act` runs (and after its answer). */
async function received(act: () => Promise<unknown>): Promise<{ mails: MailMessage[]; texts: SmsMessage[] }> {
  const [mailsBefore, textsBefore] = [mails.length, texts.length]
  await act()
  await delivered()
  return { mails: mails.slice(mailsBefore), texts: texts.slice(textsBefore) }
}

/** Nothing in an alert can be used: no address to open, no code to type. */
function assertInert(t: Test, messages: { mails: MailMessage[]; texts: SmsMessage[] }) {
  for (const mail of messages.mails) {
    t.notMatch(mail.text, /https?:\/\/|\/password\/|token=/, `the letter to ${mail.to.slice(0, 3)}… has no link`)
    t.notMatch(mail.text, /\b\d{6}\b/, 'and no code')
  }
  for (const sms of messages.texts)
    t.notMatch(sms.text, /\d{4,}|https?:/, `the SMS to …${sms.to.slice(-2)} has no code and no link`)
}

t.test(
  'a password change on the account page: both confirmed contacts hear of it, with nothing to act on',
  async (t) => {
    const { browser, page } = await signedIn('ivanov.p')
    const got = await received(() =>
      browser.go('POST', '/account/password', {
        _csrf: csrfToken(page),
        current: demoPassword,
        password: 'Петр-новый-пароль-7',
        repeat: 'Петр-новый-пароль-7',
      }),
    )
    t.same(
      got.mails.map((mail) => mail.to),
      ['petr.ivanov@example.ru'],
    )
    t.match(got.mails[0], {
      subject: 'Пароль от электронного дневника изменён',
      text: /Если это были не вы, обратитесь к ответственному сотруднику своей школы/,
    })
    t.same(
      got.texts.map((sms) => [sms.to, sms.text]),
      [['+79161234567', 'Пароль от дневника изменён. Если это были не вы, обратитесь в школу']],
    )
    assertInert(t, got)
  },
)

t.test('a wrong current password changes nothing and alerts nobody', async (t) => {
  const { browser, page } = await signedIn('ivanov.p', 'Петр-новый-пароль-7')
  const got = await received(() =>
    browser.go('POST', '/account/password', {
      _csrf: csrfToken(page),
      current: 'not-the-password',
      password: 'Другой-пароль-8',
      repeat: 'Другой-пароль-8',
    }),
  )
  t.same(got, { mails: [], texts: [] })
})

t.test(
  'a reset through "forgot your password" (SMS code): the confirmed phone hears of it, an unconfirmed e-mail does not',
  async (t) => {
    const browser = new Browser(app, publicUrl)
    await browser.go('GET', '/login?region=29')
    const forgot = await browser.go('GET', '/password/forgot')
    const asked = await received(() =>
      browser.go('POST', '/password/forgot', { _csrf: csrfToken(forgot), login: 'smirnov.a', via: 'sms' }),
    )
    const code = /\b(\d{6})\b/.exec(asked.texts[0]?.text ?? '')?.[1] as string
    const codePage = await browser.go('GET', '/password/forgot/code')
    const form = await browser.go('POST', '/password/forgot/code', { _csrf: csrfToken(codePage), code })
    t.equal(form.url.pathname, '/password/reset')
    const got = await received(() =>
      browser.go('POST', '/password/reset', {
        _csrf: csrfToken(form),
        password: 'Смирнов-по-смс-3',
        repeat: 'Смирнов-по-смс-3',
      }),
    )
    t.same(got.mails, [], 'the unconfirmed e-mail gets nothing')
    t.same(
      got.texts.map((sms) => sms.to),
      ['+79005550000'],
    )
    t.match(got.texts[0]?.text, /Пароль от дневника изменён/)
    assertInert(t, got)
  },
)

t.test('a temporary password replaced at the first sign-in is told as well', async (t) => {
  const account = (await findAccountByLogin(db, '29', 'ivanov.p'))!
  const hasher = createPasswordHasher({ workers: 1, maxQueue: 1 })
  const { password } = await resetPassword(db, hasher, account, { operator: 'Петрова А.В.', now: new Date() }).finally(
    () => hasher.close(),
  )
  const { browser, page } = await signedIn('ivanov.p', password)
  t.equal(page.url.pathname, '/password/change')
  const got = await received(() =>
    browser.go('POST', '/password/change', {
      _csrf: csrfToken(page),
      password: 'Свой-пароль-Петра-9',
      repeat: 'Свой-пароль-Петра-9',
    }),
  )
  t.same(
    got.mails.map((mail) => mail.to),
    ['petr.ivanov@example.ru'],
  )
  t.same(
    got.texts.map((sms) => sms.to),
    ['+79161234567'],
  )
  assertInert(t, got)
})

t.test(
  'a new e-mail confirmed: the old confirmed address and the phone hear of it, the new address only gets its link',
  async (t) => {
    const { browser, page } = await signedIn('ivanov.p', 'Свой-пароль-Петра-9')
    const sent = await received(() =>
      browser.go('POST', '/account/email', { _csrf: csrfToken(page), email: 'someone.else@mail.ru' }),
    )
    const link = /http:\/\/localhost:3000(\/account\/email\/confirm\?token=[A-Za-z0-9_-]+)/.exec(
      sent.mails[0]?.text ?? '',
    )?.[1] as string
    const other = new Browser(app, publicUrl)
    const confirm = await other.go('GET', link)
    const token = /name="token" value="([^"]+)"/.exec(confirm.body)?.[1] as string
    const got = await received(() => other.go('POST', '/account/email/confirm', { _csrf: csrfToken(confirm), token }))
    t.same(
      got.mails.map((mail) => mail.to),
      ['petr.ivanov@example.ru'],
      'the old address, not the new one',
    )
    t.match(got.mails[0], { subject: 'Контакты электронного дневника изменены', text: /изменён на s\*\*\*@mail\.ru\./ })
    t.notMatch(got.mails[0]?.text, /someone\.else/, 'the new address is masked')
    t.same(
      got.texts.map((sms) => [sms.to, sms.text]),
      [['+79161234567', 'Почта в дневнике изменена. Если это были не вы, обратитесь в школу']],
    )
    assertInert(t, got)
  },
)

t.test('a new phone confirmed: the old confirmed phone and the e-mail hear of it', async (t) => {
  const { browser, page } = await signedIn('ivanov.p', 'Свой-пароль-Петра-9')
  const sent = await received(() =>
    browser.go('POST', '/account/phone', { _csrf: csrfToken(page), phone: '8 (900) 765-43-21' }),
  )
  const code = /\b(\d{6})\b/.exec(sent.texts[0]?.text ?? '')?.[1] as string
  t.equal(sent.texts[0]?.to, '+79007654321')
  const account = await browser.go('GET', '/account')
  const got = await received(() => browser.go('POST', '/account/phone/confirm', { _csrf: csrfToken(account), code }))
  t.same(
    got.texts.map((sms) => [sms.to, sms.text]),
    [['+79161234567', 'Телефон в дневнике изменён. Если это были не вы, обратитесь в школу']],
  )
  t.same(
    got.mails.map((mail) => mail.to),
    ['someone.else@mail.ru'],
  )
  t.match(
    got.mails[0]?.text,
    /Номер телефона для восстановления пароля к дневнику изменён на \+7 \*\*\* \*\*\*-43-21\./,
  )
  assertInert(t, got)
})
