/*
 * Telling the owner that a second factor was added or removed, or all were reset by the support desk:
 * - to every contact the owner has confirmed (e-mail, phone), in their language; none confirmed, no message
 * - the message says what changed and whom to ask (notify/templates.ts, alert `factor_changed`): never a
 *   factor's name, a secret, a code or a link
 * - a page passes its `afterAnswer` (login/browser.ts) as `deliver`, so the message leaves after the answer
 *   and only once the change is committed; without it (the CLI) messages go now, and a failure is counted
 *   in the answer, never thrown: the change happened either way
 */
import { findContacts } from '../accounts/contacts.repository.js'
import type { Executor } from '../db/schema.js'
import type { Senders } from '../notify/senders.js'
import { type Alert, alertMailText, alertSmsText, type FactorChange, type Locale } from '../notify/templates.js'

export type { FactorChange }

export interface FactorNoticeDeps {
  db: Executor
  senders: Senders
  locale: Locale
  /** Schedules a send (BrowserRequest.afterAnswer); absent: each message is sent now. */
  deliver?: (kind: string, send: () => Promise<void>) => void
}

export type NoticeChannel = 'mail' | 'sms'

export interface FactorNoticeOutcome {
  /** The channels a message went to (or was scheduled for). */
  sent: NoticeChannel[]
  /** The channels whose transport refused it (only when sent now). */
  failed: NoticeChannel[]
}

export async function notifyFactorChange(
  deps: FactorNoticeDeps,
  accountId: string,
  change: FactorChange,
): Promise<FactorNoticeOutcome> {
  const contacts = await findContacts(deps.db, accountId)
  const alert: Alert = { kind: 'factor_changed', change: change.kind, factor: change.factor }
  const { mail, sms } = deps.senders
  const sends: [NoticeChannel, () => Promise<void>][] = []
  if (mail !== undefined && contacts?.emailVerified && contacts.email !== null) {
    const to = contacts.email
    sends.push(['mail', () => mail.send({ to, ...alertMailText(alert, deps.locale) })])
  }
  if (sms !== undefined && contacts?.phoneVerified && contacts.phone !== null) {
    const to = contacts.phone
    sends.push(['sms', () => sms.send({ to, text: alertSmsText(alert, deps.locale) })])
  }
  const outcome: FactorNoticeOutcome = { sent: [], failed: [] }
  for (const [channel, send] of sends) {
    if (deps.deliver !== undefined) {
      deps.deliver('alert_factor_changed', send)
      outcome.sent.push(channel)
      continue
    }
    try {
      await send()
      outcome.sent.push(channel)
    } catch {
      outcome.failed.push(channel)
    }
  }
  return outcome
}
