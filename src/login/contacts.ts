/*
 * The owner's contact details on the account page: an e-mail address or a phone number counts for
 * password recovery only once the owner proved to receive messages there.
 * - changing them asks for a recent sign-in (within 5 minutes, like unlinking): a session left open
 *   somewhere must not be enough to make someone else's address the way back into the account
 * - a new (or the imported, unconfirmed) e-mail gets a confirmation link (valid 60 minutes), a phone a
 *   6-digit code (10 minutes, 5 tries); a newer request replaces the older one
 * - the link confirms in any browser, without a session (people open mail on their phone); it shows a
 *   button first, so that a mail scanner that follows links confirms nothing
 * - requests are throttled per account, per address and per destination (a destination that had enough
 *   gets nothing, and the confirmation waiting for it stays as it was)
 * - a confirmed change kills the recovery links and codes sent before it, and is told to the contacts
 *   confirmed before it (owner-alerts.ts), so an owner learns when someone else changed them
 * - every request and confirmation is an audit event with the kind of contact, never the contact
 */
import type { Account } from '../accounts/account.repository.js'
import { type ContactKind, type Contacts, findContacts, setVerifiedContact } from '../accounts/contacts.repository.js'
import { ownerKey } from '../accounts/keyed-hash.js'
import * as recoverySecrets from '../accounts/recovery-secret.repository.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import type { Locale, Notice } from '../notify/templates.js'
import { contactKey, maskEmail, maskPhone, parseEmail, parsePhone } from '../person/contact.js'
import type { ActiveSession } from '../sessions/login-session.js'
import type { BrowserRequest, Delivery } from './browser.js'
import { alertOwner } from './owner-alerts.js'
import {
  mayReach,
  messageTo,
  recoveryRules,
  recoveryThrottle,
  secretsKeyOf,
  takeOrRefuse,
} from './password-recovery.js'

export const confirmEmailPath = '/account/email/confirm'
const emailLinkMinutes = 60

/** Confirmation requests per hour of one account (a signed-in owner: no stranger counts here); per address and destination as recovery's. */
export const contactThrottle = { perAccount: 5 } as const

export type ContactProblem = 'malformed' | 'no_sender' | 'nothing_to_confirm' | 'confirm_first'

export type ContactRequest = { ok: true; delivery: Delivery } | { ok: false; problem: ContactProblem }

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
    return current === undefined || current === null
      ? { ok: false, problem: 'nothing_to_confirm' }
      : { ok: true, value: current }
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
  request: { kind: ContactKind; value: string | undefined; locale: Locale; recentlyConfirmed: boolean },
): Promise<ContactRequest> {
  if ((request.kind === 'email' ? context.senders.mail : context.senders.sms) === undefined)
    return { ok: false, problem: 'no_sender' }
  if (!request.recentlyConfirmed) return { ok: false, problem: 'confirm_first' }
  const contact = await contactToConfirm(context, account, request.kind, request.value)
  if (!contact.ok) return contact
  const destination = contact.value
  await takeOrRefuse(context, [
    [`contact:account:${account.id}`, contactThrottle.perAccount],
    [`contact:ip:${browser.ip}`, recoveryThrottle.perAddress],
  ])
  const reachable = await mayReach(context, 'contact', contactKey(request.kind, destination))
  await recordAuditEvent(context.db, {
    type: 'contact_confirmation_request',
    outcome: reachable ? 'sent' : 'not_sent',
    accountId: account.id,
    region: account.region,
    requestId: browser.requestId,
    details: { kind: request.kind },
  })
  if (!reachable) return { ok: true, delivery: undefined }
  const now = context.now()
  const key = secretsKeyOf(context)
  const secret = recoverySecrets.newOneTimeSecret(key, request.kind === 'email' ? 'link' : 'code')
  const minutes = request.kind === 'email' ? emailLinkMinutes : recoveryRules.codeMinutes
  await recoverySecrets.storeSecret(context.db, {
    lookupKey: ownerKey(key, `account:${account.id}`),
    accountId: account.id,
    purpose: request.kind === 'email' ? 'verify_email' : 'verify_phone',
    secretHash: secret.hash,
    destination,
    expiresAt: new Date(now.getTime() + minutes * 60_000),
  })
  const notice: Notice =
    secret.kind === 'link'
      ? {
          kind: 'email_confirmation',
          url: `${context.config.publicUrl}${confirmEmailPath}?token=${secret.token}`,
          minutes,
        }
      : { kind: 'phone_confirmation', code: secret.code, minutes }
  return { ok: true, delivery: messageTo(context, destination, notice, request.locale) }
}

/** GET /account/email/confirm: whether the link is live (the page then offers the button). */
export async function isLiveEmailLink(context: RouteContext, token: string): Promise<boolean> {
  return (
    (await recoverySecrets.findLinkSecret(
      context.db,
      'verify_email',
      recoverySecrets.hashLinkToken(token),
      context.now(),
    )) !== undefined
  )
}

interface ContactChange {
  accountId: string
  kind: ContactKind
  value: string
}

/**
 * Sets a confirmed contact; what was sent to the old contacts for recovery dies with the change.
 * Answers the contacts as they were before, to alert them once the change is committed.
 */
async function confirmContact(
  context: RouteContext,
  trx: Parameters<typeof setVerifiedContact>[0],
  change: ContactChange,
  requestId: string,
): Promise<Contacts | undefined> {
  const before = await findContacts(trx, change.accountId)
  await setVerifiedContact(trx, change.accountId, change.kind, change.value, context.now())
  await recoverySecrets.deleteSecretsOf(trx, change.accountId, ['reset_email', 'reset_sms'])
  await recordAuditEvent(trx, {
    type: 'contact_confirmed',
    outcome: 'success',
    accountId: change.accountId,
    requestId,
    details: { kind: change.kind },
  })
  return before
}

/** The contacts confirmed before a committed change hear of it (owner-alerts.ts), the new one itself does not. */
function alertContactChanged(
  context: RouteContext,
  browser: BrowserRequest,
  before: Contacts | undefined,
  change: ContactChange,
): void {
  const masked = change.kind === 'email' ? maskEmail(change.value) : maskPhone(change.value)
  alertOwner(context, browser, before, { kind: 'contact_changed', contact: change.kind, masked }, change.value)
}

/** POST /account/email/confirm: spends the link and sets the address it was sent to. */
export async function confirmEmail(context: RouteContext, browser: BrowserRequest, token: string): Promise<void> {
  const { before, change } = await context.db.transaction().execute(async (trx) => {
    const secret = await recoverySecrets.spendLinkSecret(
      trx,
      'verify_email',
      recoverySecrets.hashLinkToken(token),
      context.now(),
    )
    if (secret === undefined || secret.destination === null)
      throw new BridgeError('ERR_SECRET_EXPIRED', 'the confirmation link was replaced, used or expired')
    const change: ContactChange = { accountId: secret.accountId, kind: 'email', value: secret.destination }
    return { before: await confirmContact(context, trx, change, browser.requestId), change }
  })
  alertContactChanged(context, browser, before, change)
}

export type PhoneConfirmation = { kind: 'confirmed' } | { kind: 'wrong'; attemptsLeft: number } | { kind: 'malformed' }

/** Whether a phone confirmation code is waiting for this account (the account page asks for it). */
export async function hasPendingPhoneCode(context: RouteContext, account: Account): Promise<boolean> {
  return (
    (await recoverySecrets.findPendingSecret(
      context.db,
      account.id,
      'verify_phone',
      context.now(),
      recoveryRules.codeAttempts,
    )) !== undefined
  )
}

/** POST /account/phone/confirm: the code sent to the new phone. */
export async function confirmPhone(
  context: RouteContext,
  browser: BrowserRequest,
  session: ActiveSession,
  typed: string,
): Promise<PhoneConfirmation> {
  const code = recoverySecrets.parseCode(typed)
  if (code === undefined) return { kind: 'malformed' }
  const now = context.now()
  const pending = await recoverySecrets.findPendingSecret(
    context.db,
    session.accountId,
    'verify_phone',
    now,
    recoveryRules.codeAttempts,
  )
  if (pending === undefined) throw new BridgeError('ERR_SECRET_EXPIRED', 'no phone confirmation is waiting')
  // A wrong try must stay counted: the refusal is thrown after the transaction, never inside it.
  const result = await context.db.transaction().execute(async (trx) => {
    const tried = await recoverySecrets.tryCode(
      trx,
      [pending.id],
      recoverySecrets.hashCode(secretsKeyOf(context), code),
      now,
      recoveryRules.codeAttempts,
    )
    if (tried.kind !== 'right') return { tried }
    const change: ContactChange = { accountId: session.accountId, kind: 'phone', value: tried.destination as string }
    return { tried, change, before: await confirmContact(context, trx, change, browser.requestId) }
  })
  if (result.change !== undefined) {
    alertContactChanged(context, browser, result.before, result.change)
    return { kind: 'confirmed' }
  }
  const tried = result.tried
  if (tried.kind === 'wrong' && tried.attemptsLeft > 0) return tried
  throw new BridgeError(
    'ERR_SECRET_EXPIRED',
    'the code expired, was replaced, was used or was entered wrong too many times',
  )
}
