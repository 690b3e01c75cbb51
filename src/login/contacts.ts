/*
 * The owner's contact details on the account page: an e-mail address or a phone number counts for
 * password recovery only once the owner proved to receive messages there.
 * - a new (or the imported, unconfirmed) e-mail gets a confirmation link (valid 60 minutes), a phone a
 *   6-digit code (10 minutes, 5 tries); a newer request replaces the older one
 * - the link confirms in any browser, without a session (people open mail on their phone); it shows a
 *   button first, so that a mail scanner that follows links confirms nothing
 * - requests are throttled per account and per destination, like recovery requests
 * - every request and confirmation is an audit event with the kind of contact, never the contact
 */
import type { Account } from '../accounts/account.repository.js'
import { type ContactKind, findContacts, setVerifiedContact } from '../accounts/contacts.repository.js'
import { findLinkSecret, findPendingSecret, hashCode, hashLinkToken, newCode, newLinkSecret, spendLinkSecret, storeSecret, tryCode } from '../accounts/recovery-secret.repository.js'
import { blockedUntil, countOnKey } from '../accounts/throttle.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import { mailText, smsText } from '../notify/templates.js'
import { parseEmail, parsePhone } from '../person/contact.js'
import type { ActiveSession } from '../sessions/login-session.js'
import type { BrowserRequest } from './browser.js'
import { type Locale, mayReach, recoveryRules, recoveryThrottle } from './password-recovery.js'

export const confirmEmailPath = '/account/email/confirm'
const emailLinkMinutes = 60

export type ContactProblem = 'malformed' | 'no_sender' | 'nothing_to_confirm'

export type ContactRequest = { ok: true; delivery: Promise<void> } | { ok: false; problem: ContactProblem }

/** The address to confirm: the one typed, normalised, or the account's own unconfirmed one. */
async function contactToConfirm(
  context: RouteContext,
  account: Account,
  kind: ContactKind,
  typed: string | undefined,
): Promise<{ ok: true; value: string } | { ok: false; problem: ContactProblem }> {
  if (typed === undefined || typed.trim() === '') {
    const contacts = await findContacts(context.db, account.id)
    const current = kind === 'email' ? contacts?.email : contacts?.phone
    return current === undefined || current === null ? { ok: false, problem: 'nothing_to_confirm' } : { ok: true, value: current }
  }
  const parsed = kind === 'email' ? parseEmail(typed) : parsePhone(typed)
  if (!parsed.ok) return { ok: false, problem: 'malformed' }
  return { ok: true, value: 'email' in parsed ? parsed.email : parsed.phone }
}

/** POST /account/email, /account/phone: sends a confirmation to the new (or unconfirmed) contact. */
export async function requestContactConfirmation(
  context: RouteContext,
  browser: BrowserRequest,
  account: Account,
  request: { kind: ContactKind; value: string | undefined; locale: Locale },
): Promise<ContactRequest> {
  const sender = request.kind === 'email' ? context.senders.mail : context.senders.sms
  if (sender === undefined) return { ok: false, problem: 'no_sender' }
  const contact = await contactToConfirm(context, account, request.kind, request.value)
  if (!contact.ok) return contact
  const destination = contact.value
  const now = context.now()
  const accountKey = `contact:account:${account.id}`
  const until = await blockedUntil(context.db, [accountKey], now)
  if (until !== undefined) throw new BridgeError('ERR_THROTTLED', 'too many contact confirmations', { retryAfterSeconds: Math.ceil((until.getTime() - now.getTime()) / 1000) })
  await countOnKey(context.db, accountKey, recoveryThrottle.perAccount, recoveryThrottle, now)
  const reachable = await mayReach(context, destination)
  const link = request.kind === 'email' ? newLinkSecret() : undefined
  const code = request.kind === 'phone' ? newCode() : undefined
  const minutes = request.kind === 'email' ? emailLinkMinutes : recoveryRules.codeMinutes
  await storeSecret(context.db, {
    accountId: account.id,
    purpose: request.kind === 'email' ? 'verify_email' : 'verify_phone',
    secretHash: link?.hash ?? hashCode(context.config.secrets.snilsPepper.reveal(), code as string),
    destination,
    expiresAt: new Date(now.getTime() + minutes * 60_000),
  })
  await recordAuditEvent(context.db, {
    type: 'contact_confirmation_request',
    outcome: reachable ? 'sent' : 'not_sent',
    accountId: account.id,
    region: account.region,
    requestId: browser.requestId,
    details: { kind: request.kind },
  })
  if (!reachable) return { ok: true, delivery: Promise.resolve() }
  const delivery =
    link !== undefined
      ? context.senders.mail?.send({ to: destination, ...mailText({ kind: 'email_confirmation', url: `${context.config.publicUrl}${confirmEmailPath}?token=${link.token}`, minutes }, request.locale) })
      : context.senders.sms?.send({ to: destination, text: smsText({ kind: 'phone_confirmation', code: code as string, minutes }, request.locale) })
  return { ok: true, delivery: delivery ?? Promise.resolve() }
}

/** GET /account/email/confirm: whether the link is live (the page then offers the button). */
export async function isLiveEmailLink(context: RouteContext, token: string): Promise<boolean> {
  return (await findLinkSecret(context.db, 'verify_email', hashLinkToken(token), context.now())) !== undefined
}

/** POST /account/email/confirm: spends the link and sets the address it was sent to. */
export async function confirmEmail(context: RouteContext, requestId: string, token: string): Promise<void> {
  const now = context.now()
  await context.db.transaction().execute(async (trx) => {
    const secret = await spendLinkSecret(trx, 'verify_email', hashLinkToken(token), now)
    if (secret === undefined || secret.destination === null) throw new BridgeError('ERR_SECRET_EXPIRED', 'the confirmation link was replaced, used or expired')
    await setVerifiedContact(trx, secret.accountId, 'email', secret.destination, now)
    await recordAuditEvent(trx, { type: 'contact_confirmed', outcome: 'success', accountId: secret.accountId, requestId, details: { kind: 'email' } })
  })
}

export type PhoneConfirmation = { kind: 'confirmed' } | { kind: 'wrong'; attemptsLeft: number } | { kind: 'malformed' }

/** Whether a phone confirmation code is waiting for this account (the account page asks for it). */
export async function hasPendingPhoneCode(context: RouteContext, account: Account): Promise<boolean> {
  return (await findPendingSecret(context.db, account.id, 'verify_phone', context.now(), recoveryRules.codeAttempts)) !== undefined
}

/** POST /account/phone/confirm: the code sent to the new phone. */
export async function confirmPhone(context: RouteContext, browser: BrowserRequest, session: ActiveSession, typed: string): Promise<PhoneConfirmation> {
  const code = typed.replace(/[\s-]/g, '')
  if (!/^\d{6}$/.test(code)) return { kind: 'malformed' }
  const now = context.now()
  const pending = await findPendingSecret(context.db, session.accountId, 'verify_phone', now, recoveryRules.codeAttempts)
  if (pending === undefined) throw new BridgeError('ERR_SECRET_EXPIRED', 'no phone confirmation is waiting')
  // A wrong try must stay counted: the refusals are thrown after the transaction, never inside it.
  const result = await context.db.transaction().execute(async (trx) => {
    const tried = await tryCode(trx, pending.id, hashCode(context.config.secrets.snilsPepper.reveal(), code), now, recoveryRules.codeAttempts)
    if (tried.kind !== 'right') return tried
    await setVerifiedContact(trx, session.accountId, 'phone', tried.destination as string, now)
    await recordAuditEvent(trx, { type: 'contact_confirmed', outcome: 'success', accountId: session.accountId, requestId: browser.requestId, details: { kind: 'phone' } })
    return tried
  })
  switch (result.kind) {
    case 'right':
      return { kind: 'confirmed' }
    case 'wrong':
      if (result.attemptsLeft > 0) return result
      throw new BridgeError('ERR_SECRET_EXPIRED', 'the code was entered wrong too many times')
    case 'gone':
      throw new BridgeError('ERR_SECRET_EXPIRED', 'the code expired, was replaced or was used up')
  }
}
