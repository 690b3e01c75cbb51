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
import { publicUrl, startDemoWorld } from '../helpers/demo-fixture.js'

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
  await sql`update diary_account set email = 'victim@почта.рф', email_verified_at = now() where login = 'morozova.t'`.execute(db)
  await sql`update diary_account set email = 'victim@xn--80a1acny.xn--p1ai', email_verified_at = now() where login = 'novikova.o'`.execute(db)
  const before = mails.length
  for (let i = 0; i < 2 * recoveryThrottle.perDestination; i++) {
    t.equal((await request(newcomer(), i % 2 === 0 ? 'morozova.t' : 'novikova.o', 'email')).status, 200)
  }
  const letters = mails.slice(before)
  t.equal(letters.length, recoveryThrottle.perDestination, `${recoveryThrottle.perDestination} letters to the address, not that many per spelling`)
})
