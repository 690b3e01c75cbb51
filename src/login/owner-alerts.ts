/*
 * Telling the owner of a diary account that something changed, at the contacts they had confirmed
 * before the change: the password was changed (account page, "forgot your password", a temporary
 * password replaced), or a new e-mail address or phone number was confirmed.
 * - the alert goes to every confirmed contact as it was before the change, except the new one itself
 *   (which just proved to receive messages): whoever took the account over cannot silence it by
 *   changing the contact first, since the old contact hears of that change too
 * - it says what happened and whom to ask; no link that acts, no code (notify/templates.ts)
 * - it leaves after the answer, and only once the change is committed (BrowserRequest.afterAnswer)
 */
import { type Contacts, findContacts } from '../accounts/contacts.repository.js'
import type { RouteContext } from '../context.js'
import { type Alert, alertMailText, alertSmsText } from '../notify/templates.js'
import type { BrowserRequest } from './browser.js'

/** Sends `alert` after the answer to the confirmed contacts in `before`, but never to `except`. */
export function alertOwner(
  context: RouteContext,
  browser: BrowserRequest,
  before: Contacts | undefined,
  alert: Alert,
  except?: string,
): void {
  const { mail, sms } = context.senders
  const email = before?.emailVerified && before.email !== except ? before.email : null
  const phone = before?.phoneVerified && before.phone !== except ? before.phone : null
  const sends: (() => Promise<void>)[] = []
  if (mail !== undefined && email !== null)
    sends.push(() => mail.send({ to: email, ...alertMailText(alert, browser.locale) }))
  if (sms !== undefined && phone !== null)
    sends.push(() => sms.send({ to: phone, text: alertSmsText(alert, browser.locale) }))
  for (const send of sends) browser.afterAnswer(`alert_${alert.kind}`, send)
}

/** The password of the account changed (committed): its confirmed contacts hear of it. */
export async function alertPasswordChanged(
  context: RouteContext,
  browser: BrowserRequest,
  accountId: string,
): Promise<void> {
  alertOwner(context, browser, await findContacts(context.db, accountId), { kind: 'password_changed' })
}
