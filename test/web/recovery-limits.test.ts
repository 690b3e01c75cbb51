/*
 * The limits of "Forgot your password?" seen from many client addresses (the bridge trusts
 * X-Forwarded-For here): what one address may do to a login, what all of them together may, what
 * reaches one destination, and that a refused request changes nothing the owner already has.
 */
import { sql } from 'kysely'
import t from 'tap'
import { recoveryThrottle } from '../../src/login/password-recovery.js'
import type { MailMessage, SmsMessage } from '../../src/notify/senders.js'
import { Browser, csrfToken, type Page } from '../helpers/browser.js'
import { publicUrl, startDemoWorld } from '../helpers/demo-world.js'

const mails: MailMessage[] = []
const texts: SmsMessage[] = []
const senders = {
  mail: { send: async (message: MailMessage) => void mails.push(message) },
  sms: { send: async (message: SmsMessage) => void texts.push(message) },
}
const world = await startDemoWorld(t, { senders }, { behindProxy: true })
const { app, database } = world
const db = database.db

/** Messages leave after the answer (web/deliver.ts, setImmediate): this waits until they have. */
const delivered = () => new Promise((resolve) => setImmediate(resolve))

let nextAddress = 1
/** A browser at an address no other browser of this file uses. */
const newcomer = () => new Browser(app, publicUrl, { 'x-forwarded-for': `198.51.100.${nextAddress++}` })

async function request(browser: Browser, login: string, via: 'email' | 'sms'): Promise<Page> {
  await browser.go('GET', '/login?region=29')
  const page = await browser.go('GET', '/password/forgot')
  const answer = await browser.go('POST', '/password/forgot', { _csrf: csrfToken(page), login, via })
  await delivered()
  return answer
}

t.beforeEach(async () => {
  await db.deleteFrom('login_throttle').execute()
})

t.test('an e-mail address is one destination in both spellings of its domain', async (t) => {
  // One account got its address before the domain was normalised (stored in ASCII), one after.
  await sql`update diary_account set email = 'victim@почта.рф', email_verified_at = now() where login = 'morozova.t'`.execute(
    db,
  )
  await sql`update diary_account set email = 'victim@xn--80a1acny.xn--p1ai', email_verified_at = now() where login = 'novikova.o'`.execute(
    db,
  )
  const before = mails.length
  for (let i = 0; i < 2 * recoveryThrottle.perDestination; i++) {
    t.equal((await request(newcomer(), i % 2 === 0 ? 'morozova.t' : 'novikova.o', 'email')).status, 200)
  }
  const letters = mails.slice(before)
  t.equal(
    letters.length,
    recoveryThrottle.perDestination,
    `${recoveryThrottle.perDestination} letters to the address, not that many per spelling`,
  )
})

const liveLinksOf = async (login: string) =>
  (
    await sql<{ id: string }>`
      select s.id from recovery_secret s join diary_account a on a.id = s.account_id
      where a.login = ${login} and s.purpose = 'reset_email' and s.expires_at > now() order by s.id`.execute(db)
  ).rows.map((row) => row.id)
const throttleRows = async () =>
  (await db.selectFrom('login_throttle').select(['key', 'failures', 'blocked_until']).orderBy('key').execute()).map(
    (row) => JSON.stringify(row),
  )
const linkIn = (message: MailMessage | undefined) =>
  /http:\/\/localhost:3000(\/password\/reset\?token=[A-Za-z0-9_-]+)/.exec(message?.text ?? '')?.[1] as string

t.test('a flood from one address does not shut the owner out, and what it is refused replaces nothing', async (t) => {
  await sql`update diary_account set email = 'maria.ivanova@example.ru', email_verified_at = now() where login = 'ivanova.m'`.execute(
    db,
  )
  const stranger = newcomer()
  const statuses: number[] = []
  for (let i = 0; i < 3; i++) statuses.push((await request(stranger, 'ivanova.m', 'email')).status)
  const live = await liveLinksOf('ivanova.m')
  const counters = await throttleRows()
  const refused: Page[] = []
  for (let i = 0; i < 3; i++) refused.push(await request(stranger, i === 1 ? '112-233-445 95' : 'ivanova.m', 'email'))
  t.same(statuses, [200, 200, 200], 'three requests for one login from one address are answered')
  t.same(
    refused.map((page) => [page.status, page.headers['retry-after']]),
    Array(3).fill([429, '3600']),
    'then that address waits an hour for that login, typed as the login or the SNILS',
  )
  t.same(await liveLinksOf('ivanova.m'), live, 'the refused requests replaced no live link')
  t.same(await throttleRows(), counters, 'and counted nothing')

  const sent = mails.length
  const owner = await request(newcomer(), '112-233-445 95', 'email')
  t.equal(owner.status, 200, 'the owner, from their own address, is answered (by SNILS)')
  t.equal(mails.length, sent + 1, 'and gets a letter')
  t.equal((await request(newcomer(), 'ivanova.m', 'email')).status, 200, 'by login too')
  const link = await newcomer().go('GET', linkIn(mails.at(-2)))
  t.equal(link.url.pathname, '/password/reset', 'the link before the latest still works')
})

t.test('all addresses together stop at the per-login ceiling; one destination gets at most its share', async (t) => {
  await sql`update diary_account set email = 'petr.ivanov@example.ru', email_verified_at = now() where login = 'ivanov.p'`.execute(
    db,
  )
  const sent = mails.length
  const statuses: number[] = []
  for (let i = 0; i < recoveryThrottle.perLogin; i++) {
    if (i % recoveryThrottle.perLoginAndAddress === 0) nextAddress++
    const browser = new Browser(app, publicUrl, { 'x-forwarded-for': `198.51.100.${nextAddress}` })
    statuses.push((await request(browser, 'ivanov.p', 'email')).status)
  }
  t.same(
    statuses,
    Array(recoveryThrottle.perLogin).fill(200),
    `${recoveryThrottle.perLogin} requests from several addresses are answered`,
  )
  t.equal(
    mails.length - sent,
    recoveryThrottle.perDestination,
    'and reach the address: the destination ceiling is the login ceiling',
  )
  t.equal(
    (await request(newcomer(), 'ivanov.p', 'email')).status,
    429,
    'the next one, from any address, waits for the hour',
  )
  t.equal((await liveLinksOf('ivanov.p')).length, 2, 'two links live')
})
