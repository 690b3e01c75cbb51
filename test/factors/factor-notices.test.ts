/*
 * The owner hears of a factor change at the contacts they confirmed, in their language, and at no other;
 * a page's messages wait for its answer; a transport that refuses is counted, not thrown.
 */
import { sql } from 'kysely'
import t from 'tap'
import { setVerifiedContact } from '../../src/accounts/contacts.repository.js'
import { notifyFactorChange } from '../../src/factors/factor-notices.js'
import type { MailMessage, Senders, SmsMessage } from '../../src/notify/senders.js'
import { openTestDatabase } from '../helpers/test-database.js'

const { db } = await openTestDatabase(t)

async function newAccount(
  login: string,
  contacts: { email?: string; phone?: string; verified: ('email' | 'phone')[] },
) {
  const { rows } = await sql<{ id: string }>`
    insert into diary_account (region, login, role, family_name, given_name, email, phone)
    values ('29', ${login}, 'teacher', 'Тестова', 'Анна', ${contacts.email ?? null}, ${contacts.phone ?? null})
    returning id`.execute(db)
  const id = rows[0]?.id as string
  for (const kind of contacts.verified)
    await setVerifiedContact(db, id, kind, (kind === 'email' ? contacts.email : contacts.phone) as string, new Date())
  return id
}

function recordingSenders(options: { failMail?: boolean } = {}) {
  const mails: MailMessage[] = []
  const texts: SmsMessage[] = []
  const senders: Senders = {
    mail: {
      send: async (message) => {
        if (options.failMail) throw new Error('550')
        mails.push(message)
      },
    },
    sms: { send: async (message) => void texts.push(message) },
  }
  return { senders, mails, texts }
}

t.test('only confirmed contacts hear of it', async (t) => {
  const cases: [why: string, contacts: Parameters<typeof newAccount>[1], mails: number, texts: number][] = [
    ['both confirmed', { email: 'a@example.ru', phone: '+79110000001', verified: ['email', 'phone'] }, 1, 1],
    ['the e-mail only confirmed', { email: 'b@example.ru', phone: '+79110000002', verified: ['email'] }, 1, 0],
    ['the phone only confirmed', { email: 'c@example.ru', phone: '+79110000003', verified: ['phone'] }, 0, 1],
    [
      'none confirmed (an imported contact is not proof)',
      { email: 'd@example.ru', phone: '+79110000004', verified: [] },
      0,
      0,
    ],
    ['no contacts', { verified: [] }, 0, 0],
  ]
  let n = 0
  for (const [why, contacts, mails, texts] of cases) {
    const accountId = await newAccount(`notice.${n++}`, contacts)
    const sent = recordingSenders()
    const outcome = await notifyFactorChange({ db, senders: sent.senders, locale: 'ru' }, accountId, {
      kind: 'added',
      factor: 'passkey',
    })
    t.equal(sent.mails.length, mails, `${why}: mails`)
    t.equal(sent.texts.length, texts, `${why}: texts`)
    t.same(outcome, { sent: [...(mails ? ['mail'] : []), ...(texts ? ['sms'] : [])], failed: [] }, why)
    for (const mail of sent.mails) {
      t.equal(mail.to, contacts.email, `${why}: to the confirmed address`)
      t.match(mail.text, /добавлен ключ входа/, `${why}: says what changed, in Russian`)
    }
    for (const text of sent.texts) t.equal(text.to, contacts.phone)
  }
})

t.test('in the given language; after the answer when a page asks; a refusing transport is counted', async (t) => {
  const accountId = await newAccount('notice.later', {
    email: 'later@example.ru',
    phone: '+79110000009',
    verified: ['email', 'phone'],
  })
  const sent = recordingSenders()
  const scheduled: [string, () => Promise<void>][] = []
  const outcome = await notifyFactorChange(
    { db, senders: sent.senders, locale: 'en', deliver: (kind, send) => void scheduled.push([kind, send]) },
    accountId,
    { kind: 'reset', factor: 'totp' },
  )
  t.same(outcome, { sent: ['mail', 'sms'], failed: [] })
  t.equal(sent.mails.length + sent.texts.length, 0, 'nothing leaves before the answer')
  t.same(
    scheduled.map(([kind]) => kind),
    ['alert_factor_changed', 'alert_factor_changed'],
  )
  for (const [, send] of scheduled) await send()
  t.match(sent.mails[0]?.text, /support desk removed every second factor/)
  t.match(sent.texts[0]?.text, /^The second factors of your school diary account were reset\./)

  const failing = recordingSenders({ failMail: true })
  t.same(
    await notifyFactorChange({ db, senders: failing.senders, locale: 'ru' }, accountId, {
      kind: 'removed',
      factor: 'recovery_codes',
    }),
    { sent: ['sms'], failed: ['mail'] },
  )
  t.match(failing.texts[0]?.text, /^Резервные коды удалены\./)
})
