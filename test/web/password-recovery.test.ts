/*
 * "Forgot your password?" through the routes: by e-mail link, by SMS code and through State Services;
 * the same answer for any login; links and codes used once, replaced by newer ones, bound to their
 * account; throttling; and no contact or SNILS in clear in logs, audit rows or URLs.
 */
import { sql } from 'kysely'
import t from 'tap'
import type { MailMessage, SmsMessage } from '../../src/notify/senders.js'
import { findAccountByLogin } from '../../src/accounts/account.repository.js'
import { deactivateAccount, reactivateAccount } from '../../src/lifecycle/account-state.js'
import { Browser, csrfToken, type Page } from '../helpers/browser.js'
import { demoPassword, publicUrl, startDemoWorld } from '../helpers/demo-world.js'

const mails: MailMessage[] = []
const texts: SmsMessage[] = []
const senders = {
  mail: { send: async (message: MailMessage) => void mails.push(message) },
  sms: { send: async (message: SmsMessage) => void texts.push(message) },
}
const world = await startDemoWorld(t, { senders })
const { app, database } = world
const db = database.db

const maria = { login: 'ivanova.m', email: 'maria.ivanova@example.ru', phone: '+79001234567', snils: '112-233-445 95' }
await sql`update diary_account set email = ${maria.email}, email_verified_at = now(), phone = ${maria.phone}, phone_verified_at = now() where login = ${maria.login}`.execute(
  db,
)
await sql`update diary_account set email = 'petr.ivanov@example.ru', email_verified_at = now() where login = 'ivanov.p'`.execute(
  db,
)
await sql`update diary_account set email = 'unconfirmed@example.ru', phone = '+79005550000' where login = 'smirnov.a'`.execute(
  db,
)

const alert = (page: Page) => /<p class="error" role="alert">([^<]+)</.exec(page.body)?.[1]
const linkIn = (message: MailMessage | undefined) => {
  const match = /http:\/\/localhost:3000(\/password\/reset\?token=[A-Za-z0-9_-]+)/.exec(message?.text ?? '')
  if (match?.[1] === undefined) throw new Error('no recovery link in the mail')
  return match[1]
}
const codeIn = (message: SmsMessage | undefined) => /\b(\d{6})\b/.exec(message?.text ?? '')?.[1] ?? ''

/** Opens region 29, then "Forgot your password?". */
async function forgotPage(browser: Browser): Promise<Page> {
  const login = await browser.go('GET', '/login?region=29')
  t.match(login.body, /<a href="\/password\/forgot">Забыли пароль\?<\/a>/)
  return browser.go('GET', '/password/forgot')
}

/** Messages leave after the answer (web/deliver.ts, setImmediate): this waits until they have. */
const delivered = () => new Promise((resolve) => setImmediate(resolve))

async function request(browser: Browser, login: string, via: 'email' | 'sms'): Promise<Page> {
  const page = await forgotPage(browser)
  const answer = await browser.go('POST', '/password/forgot', { _csrf: csrfToken(page), login, via })
  await delivered()
  return answer
}

async function setNewPassword(browser: Browser, page: Page, password: string, repeat = password): Promise<Page> {
  return browser.go('POST', '/password/reset', { _csrf: csrfToken(page), password, repeat })
}

async function signIn(login: string, password: string): Promise<Page> {
  const browser = new Browser(app, publicUrl)
  const page = await browser.go('GET', '/login?region=29')
  return browser.go('POST', '/login/password', { _csrf: csrfToken(page), login, password })
}

async function clearThrottle() {
  await db.deleteFrom('login_throttle').execute()
}

t.beforeEach(clearThrottle)

t.test('the recovery page offers the ways of the region and says who to ask otherwise', async (t) => {
  const page = await forgotPage(new Browser(app, publicUrl))
  t.equal(page.status, 200)
  t.match(page.body, /Через Госуслуги/)
  t.match(page.body, /href="\/password\/forgot\/state-services"/)
  t.match(page.body, /name="via" value="email"/)
  t.match(page.body, /name="via" value="sms"/)
  t.match(page.body, /ответственному сотруднику своей школы/)
  t.equal(
    (await new Browser(app, publicUrl).go('GET', '/password/forgot')).url.pathname,
    '/login',
    'without a region: the region first',
  )
})

t.test('an existing and a non-existing login get the same page and status, by e-mail and by SMS', async (t) => {
  const strip = (page: Page) => page.body.replace(/value="[^"]*"/g, '').replace(/<code>[^<]*<\/code>/g, '')
  const before = mails.length
  const existing = await request(new Browser(app, publicUrl), maria.login, 'email')
  const missing = await request(new Browser(app, publicUrl), 'nobody.at.all', 'email')
  const withoutContact = await request(new Browser(app, publicUrl), 'kuznetsova.e', 'email')
  t.equal(existing.status, 200)
  t.same([missing.status, withoutContact.status], [200, 200])
  t.equal(strip(existing), strip(missing))
  t.equal(strip(existing), strip(withoutContact))
  t.equal(mails.length - before, 1, 'only the account with a confirmed e-mail gets a letter')
  t.equal(mails.at(-1)?.to, maria.email)

  const smsBefore = texts.length
  const codeExisting = await request(new Browser(app, publicUrl), maria.login, 'sms')
  const codeMissing = await request(new Browser(app, publicUrl), 'nobody.at.all', 'sms')
  const codeUnconfirmed = await request(new Browser(app, publicUrl), 'smirnov.a', 'sms')
  t.same(
    [codeExisting.url.pathname, codeMissing.url.pathname, codeUnconfirmed.url.pathname],
    ['/password/forgot/code', '/password/forgot/code', '/password/forgot/code'],
  )
  t.equal(strip(codeExisting), strip(codeMissing))
  t.equal(strip(codeExisting), strip(codeUnconfirmed))
  t.equal(texts.length - smsBefore, 1, 'an unconfirmed phone gets no code')
  t.equal(texts.at(-1)?.to, maria.phone)
})

t.test('a deactivated account is answered as an unknown login: the same page, no letter', async (t) => {
  const strip = (page: Page) => page.body.replace(/value="[^"]*"/g, '').replace(/<code>[^<]*<\/code>/g, '')
  const petr = (await findAccountByLogin(db, '29', 'ivanov.p'))!
  await deactivateAccount(db, { region: '29', accountId: petr.id, by: { kind: 'import' }, now: new Date() })
  t.teardown(() => reactivateAccount(db, { region: '29', accountId: petr.id, by: { kind: 'import' }, now: new Date() }))
  const before = mails.length
  const closed = await request(new Browser(app, publicUrl), 'ivanov.p', 'email')
  const missing = await request(new Browser(app, publicUrl), 'nobody.at.all', 'email')
  t.same([closed.status, missing.status], [200, 200])
  t.equal(strip(closed), strip(missing))
  t.equal(mails.length, before, 'his confirmed address gets nothing')
})

t.test(
  'by e-mail: the link sets a new password once; every session ends; the old password stops working',
  async (t) => {
    const other = new Browser(app, publicUrl)
    const login = await other.go('GET', '/login?region=29')
    t.equal(
      (
        await other.go('POST', '/login/password', {
          _csrf: csrfToken(login),
          login: maria.login,
          password: demoPassword,
        })
      ).url.pathname,
      '/account',
    )

    const browser = new Browser(app, publicUrl)
    await request(browser, maria.login, 'email')
    const link = linkIn(mails.at(-1))
    t.match(mails.at(-1)?.text, /15 минут/)
    const form = await browser.go('GET', link)
    t.equal(form.url.pathname, '/password/reset')
    t.equal(form.url.search, '', 'the token leaves the address bar')
    t.match(form.body, /Новый пароль/)
    const same = await setNewPassword(browser, form, demoPassword)
    t.equal(same.status, 400)
    t.match(alert(same), /отличаться от прежнего/)
    const done = await setNewPassword(browser, same, 'Северное-сияние-29')
    t.equal(done.url.pathname, '/login')
    t.match(done.body, /Пароль изменён/)

    t.equal((await signIn(maria.login, demoPassword)).status, 401, 'the old password is gone')
    t.equal((await signIn(maria.login, 'Северное-сияние-29')).url.pathname, '/account')
    t.equal((await other.go('GET', '/account')).url.pathname, '/login', 'the session from before ended')
    const event = await db
      .selectFrom('audit_event')
      .select(['outcome', 'details'])
      .where('type', '=', 'password_recovery')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow()
    t.same(event, { outcome: 'success', details: { via: 'email', linksEnded: 0 } })

    const again = await new Browser(app, publicUrl).go('GET', link)
    t.equal(again.status, 400, 'a used link does not open again')
    t.match(again.body, /link_or_code_expired/)
  },
)

t.test('a newer link keeps the one before valid; a third retires the oldest, also one already opened', async (t) => {
  const browser = new Browser(app, publicUrl)
  await request(browser, maria.login, 'email')
  const first = linkIn(mails.at(-1))
  const opened = await browser.go('GET', first)
  await request(new Browser(app, publicUrl), maria.login, 'email')
  const second = linkIn(mails.at(-1))
  t.not(first, second)
  t.equal(
    (await new Browser(app, publicUrl).go('GET', first)).url.pathname,
    '/password/reset',
    'the first link still works after a second was sent',
  )
  await request(new Browser(app, publicUrl), maria.login, 'email')
  const third = linkIn(mails.at(-1))
  t.equal((await new Browser(app, publicUrl).go('GET', first)).status, 400, 'the third retired the first')
  const refused = await setNewPassword(browser, opened, 'Новый-пароль-один')
  t.equal(refused.status, 400)
  t.match(refused.body, /link_or_code_expired/, 'a form opened from the retired link is refused too')
  const fresh = new Browser(app, publicUrl)
  const done = await setNewPassword(fresh, await fresh.go('GET', second), 'Новый-пароль-два')
  t.equal(done.url.pathname, '/login', 'the second link still works after a third was sent')
  t.equal((await signIn(maria.login, 'Новый-пароль-два')).url.pathname, '/account')
  t.equal(
    (await new Browser(app, publicUrl).go('GET', third)).status,
    400,
    'the new password ended the other live link',
  )
})

t.test("a link sets only its own account's password", async (t) => {
  await request(new Browser(app, publicUrl), 'ivanov.p', 'email')
  const petrLink = linkIn(mails.at(-1))
  await request(new Browser(app, publicUrl), maria.login, 'email')
  const mariaLink = linkIn(mails.at(-1))
  const browser = new Browser(app, publicUrl)
  await browser.go('GET', mariaLink)
  const form = await browser.go('GET', petrLink)
  const done = await setNewPassword(browser, form, 'Пароль-для-Петра')
  t.equal(done.url.pathname, '/login')
  t.equal((await signIn('ivanov.p', 'Пароль-для-Петра')).url.pathname, '/account')
  t.equal((await signIn(maria.login, 'Пароль-для-Петра')).status, 401, "Maria's password is not Petr's")
  const mariaForm = await new Browser(app, publicUrl).go('GET', mariaLink)
  t.equal(mariaForm.url.pathname, '/password/reset', "Maria's own link still works")
})

t.test('by SMS: five tries of a code, then a new code works once', async (t) => {
  const browser = new Browser(app, publicUrl)
  let page = await request(browser, maria.login, 'sms')
  const code = codeIn(texts.at(-1))
  t.match(code, /^\d{6}$/)
  const wrong = code === '000000' ? '111111' : '000000'
  page = await browser.go('POST', '/password/forgot/code', { _csrf: csrfToken(page), code: '12ab' })
  t.match(alert(page), /6 цифр/, 'a malformed code costs no try')
  for (const left of [4, 3, 2, 1]) {
    page = await browser.go('POST', '/password/forgot/code', { _csrf: csrfToken(page), code: wrong })
    t.equal(page.status, 400)
    t.match(alert(page), new RegExp(`Осталось попыток: ${left}`))
  }
  page = await browser.go('POST', '/password/forgot/code', { _csrf: csrfToken(page), code: wrong })
  t.match(page.body, /link_or_code_expired/, 'the fifth wrong try ends the code')

  const fresh = new Browser(app, publicUrl)
  page = await request(fresh, maria.login, 'sms')
  const newCode = codeIn(texts.at(-1))
  t.equal((await browser.go('GET', '/password/forgot/code')).status, 400, 'the old code page is over')
  const form = await fresh.go('POST', '/password/forgot/code', {
    _csrf: csrfToken(page),
    code: `${newCode.slice(0, 3)} ${newCode.slice(3)}`,
  })
  t.equal(form.url.pathname, '/password/reset')
  const done = await setNewPassword(fresh, form, 'Код-из-смс-2026')
  t.equal(done.url.pathname, '/login')
  t.equal((await signIn(maria.login, 'Код-из-смс-2026')).url.pathname, '/account')
  const replay = await fresh.go('POST', '/password/forgot/code', { _csrf: csrfToken(done), code: newCode })
  t.equal(replay.status, 400, 'a used code is over')
})

t.test('a second request keeps the first code and a third ends it, alike for a real phone and for none', async (t) => {
  const outcomes: string[] = []
  const outcome = (page: Page) =>
    `${page.status} ${/link_or_code_expired|Осталось попыток: \d/.exec(page.body)?.[0] ?? '?'}`
  for (const login of [maria.login, 'nobody.at.all', 'smirnov.a']) {
    const first = new Browser(app, publicUrl)
    let page = await request(first, login, 'sms')
    await request(new Browser(app, publicUrl), login, 'sms')
    page = await first.go('POST', '/password/forgot/code', { _csrf: csrfToken(page), code: '000000' })
    outcomes.push(outcome(page))
    await request(new Browser(app, publicUrl), login, 'sms')
    outcomes.push(outcome(await first.go('POST', '/password/forgot/code', { _csrf: csrfToken(page), code: '000000' })))
  }
  t.same(outcomes, Array(3).fill(['400 Осталось попыток: 4', '400 link_or_code_expired']).flat())
})

t.test('the code of the earlier SMS works on the code page of the later request', async (t) => {
  const browser = new Browser(app, publicUrl)
  await request(browser, maria.login, 'sms')
  const late = codeIn(texts.at(-1))
  let page = await request(browser, maria.login, 'sms')
  const latest = codeIn(texts.at(-1))
  const wrong = ['000000', '111111', '222222'].find((code) => code !== late && code !== latest) as string
  page = await browser.go('POST', '/password/forgot/code', { _csrf: csrfToken(page), code: wrong })
  t.match(alert(page), /Осталось попыток: 4/, 'a wrong code is one try')
  const form = await browser.go('POST', '/password/forgot/code', { _csrf: csrfToken(page), code: late })
  t.equal(
    form.url.pathname,
    '/password/reset',
    'the first SMS arrived last, and its code still opens the new-password step',
  )
  const done = await setNewPassword(browser, form, 'Позднее-смс-2026')
  t.equal(done.url.pathname, '/login')
  t.equal((await signIn(maria.login, 'Позднее-смс-2026')).url.pathname, '/account')
})

t.test('an older new-password step dies when the password was reset another way meanwhile', async (t) => {
  const early = new Browser(app, publicUrl)
  await request(early, maria.login, 'sms')
  const code = codeIn(texts.at(-1))
  const earlyForm = await early.go('POST', '/password/forgot/code', {
    _csrf: csrfToken(await early.go('GET', '/password/forgot/code')),
    code,
  })
  t.equal(earlyForm.url.pathname, '/password/reset')
  const owner = new Browser(app, publicUrl)
  await request(owner, maria.login, 'email')
  const done = await setNewPassword(owner, await owner.go('GET', linkIn(mails.at(-1))), 'Владелец-успел-первым')
  t.equal(done.url.pathname, '/login')
  const late = await setNewPassword(early, earlyForm, 'Опоздавший-пароль-1')
  t.equal(late.status, 400)
  t.match(late.body, /link_or_code_expired/)
  t.equal((await signIn(maria.login, 'Владелец-успел-первым')).url.pathname, '/account')
})

t.test('parallel requests cannot slip past the throttle, nor leave more than two live links', async (t) => {
  const statuses = await Promise.all(
    Array.from({ length: 12 }, async () => (await request(new Browser(app, publicUrl), 'ivanov.p', 'email')).status),
  )
  t.equal(
    statuses.filter((status) => status === 200).length,
    3,
    'three per login from one address and hour, however many arrive at once',
  )
  t.equal(statuses.filter((status) => status === 429).length, 9)
  const live = await sql<{ n: number }>`
    select count(*)::int as n from recovery_secret s join diary_account a on a.id = s.account_id
    where a.login = 'ivanov.p' and s.purpose = 'reset_email' and s.expires_at > now()`.execute(db)
  const n = live.rows[0]?.n ?? 0
  t.ok(n >= 1 && n <= 2, `at most two live links (${n})`)
})

t.test('a login without a confirmed phone gets a code page where no code is ever right', async (t) => {
  const browser = new Browser(app, publicUrl)
  let page = await request(browser, 'smirnov.a', 'sms')
  page = await browser.go('POST', '/password/forgot/code', { _csrf: csrfToken(page), code: '123456' })
  t.equal(page.status, 400)
  t.match(alert(page), /Осталось попыток: 4/)
})

t.test('the throttle stops a flood for one login and from one address', async (t) => {
  const statuses: number[] = []
  // Without a trusted proxy the header is ignored: all of these come from one address (test/web/recovery-limits.test.ts has many).
  for (let i = 0; i < 6; i++)
    statuses.push(
      (
        await request(
          new Browser(app, publicUrl, { 'x-forwarded-for': `10.0.0.${i}` }),
          i % 2 === 0 ? maria.login : maria.snils,
          'email',
        )
      ).status,
    )
  t.same(
    statuses,
    [200, 200, 200, 429, 429, 429],
    'three per hour for one login from one address, typed as the login or the SNILS',
  )
  await clearThrottle()
  const fromOne: number[] = []
  for (let i = 0; i < 21; i++)
    fromOne.push((await request(new Browser(app, publicUrl), `someone.${i}`, 'email')).status)
  t.same(fromOne.slice(0, 20), Array(20).fill(200))
  t.equal(fromOne[20], 429, 'twenty per hour from one address, whatever the login')
})

t.test(
  'through State Services: a linked (or now linkable) person sets a new password; others are told why not',
  async (t) => {
    const browser = new Browser(app, publicUrl)
    await forgotPage(browser)
    const simulatorPage = await browser.go('GET', '/password/forgot/state-services')
    const action = /action="(\/interaction\/[^"]+\/login)"/.exec(simulatorPage.body)?.[1]
    if (action === undefined) throw new Error('no person page at the simulator')
    const form = await browser.go('POST', new URL(action, simulatorPage.url), { person: 'alexey' })
    t.equal(form.url.pathname, '/password/reset')
    const done = await setNewPassword(browser, form, 'Госуслуги-помогли-1')
    t.equal(done.url.pathname, '/login')
    t.equal((await signIn('smirnov.a', 'Госуслуги-помогли-1')).url.pathname, '/account')
    const event = await db
      .selectFrom('audit_event')
      .select(['details'])
      .where('type', '=', 'password_recovery')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow()
    t.same(event.details, { via: 'state_services', linksEnded: 0 })

    const stranger = new Browser(app, publicUrl)
    await forgotPage(stranger)
    const strangerPage = await stranger.go('GET', '/password/forgot/state-services')
    const strangerAction = /action="(\/interaction\/[^"]+\/login)"/.exec(strangerPage.body)?.[1] as string
    const refused = await stranger.go('POST', new URL(strangerAction, strangerPage.url), { person: 'sergey' })
    t.equal(refused.status, 403)
    t.match(refused.body, /recovery_not_linked/)
  },
)

t.test('no e-mail address, phone number or SNILS in clear in the logs, the audit rows or any URL', async (t) => {
  const browser = new Browser(app, publicUrl)
  await request(browser, maria.snils, 'email')
  await request(browser, maria.snils, 'sms')
  const audit = JSON.stringify(await db.selectFrom('audit_event').selectAll().execute())
  const throttle = JSON.stringify(await db.selectFrom('login_throttle').selectAll().execute())
  const urls = browser.visited.map((url) => url.href).join('\n')
  const logs = world.logText()
  const needles = [
    maria.email,
    'maria.ivanova',
    maria.phone,
    maria.phone.slice(2),
    '9001234567',
    maria.snils,
    '11223344595',
    'petr.ivanov',
    'unconfirmed@',
  ]
  for (const [what, text] of [
    ['logs', logs],
    ['audit rows', audit],
    ['throttle keys', throttle],
    ['URLs', urls],
  ] as const) {
    for (const needle of needles) t.notOk(text.includes(needle), `${what} do not contain ${needle.slice(0, 3)}…`)
  }
  t.ok(logs.includes('/password/forgot'), 'the logs were captured')
  t.notMatch(logs, /token=[A-Za-z0-9_-]{20}/, 'no recovery token in the logs either')
})
