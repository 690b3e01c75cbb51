/*
 * "Forgot your password?": the person proves to own a diary account another way, then sets a new
 * password (accounts/change-password.ts: the rules, different from the old one, every session ends,
 * refresh tokens revoked, an audit event).
 * - the ways: State Services (the identity must be linked to an account of this region, or be linked
 *   now by the linking rules; login/state-services.ts), a link to the account's verified e-mail
 *   (15 minutes), a 6-digit code to its verified phone (10 minutes, 5 tries); each only where the
 *   region's `passwordRecovery` lists it and the bridge has the sender; otherwise the school
 * - a request answers the same whether the login exists, has the contact, or not: a stand-in secret is
 *   stored for a login without one (accounts/recovery-secret.repository.ts), the message is sent after
 *   the answer, and the code page looks the same
 * - throttled per typed account, per address (each request counts) and per destination (silently: the
 *   answer stays the same)
 * - the new-password step spends its phase once across instances, and a link once (a newer link or its
 *   use makes it stop working); a success clears the account's sign-in throttle
 */
import { createHash } from 'node:crypto'
import { findAccountById, findAccountByLogin } from '../accounts/account.repository.js'
import { changePassword, type PasswordChange } from '../accounts/change-password.js'
import { findContacts } from '../accounts/contacts.repository.js'
import { identifyLogin } from '../accounts/credentials.js'
import { findLinkSecret, hashCode, hashLinkToken, newCode, newLinkSecret, spendLinkSecret, storeSecret, tryCode } from '../accounts/recovery-secret.repository.js'
import { blockedUntil, clearAccountThrottle, countOnKey } from '../accounts/throttle.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import { mailText, smsText } from '../notify/templates.js'
import { loginMethods } from '../regions/policy.js'
import type { Region } from '../regions/registry.js'
import { consumeLoginTransaction } from '../sessions/login-session.js'
import type { BrowserRequest } from './browser.js'
import type { RecoveryWay } from './transaction.js'

export const recoveryRules = { linkMinutes: 15, codeMinutes: 10, codeAttempts: 5 } as const

/** Requests per hour; the next one is refused (account, address) or not sent (destination) for an hour. */
export const recoveryThrottle = { perAccount: 5, perAddress: 20, perDestination: 5, windowSeconds: 3600, blockSeconds: 3600 } as const

export const resetPasswordPath = '/password/reset'

export type Locale = 'ru' | 'en'

export interface RecoveryWays {
  stateServices: boolean
  email: boolean
  sms: boolean
}

const allWays: readonly RecoveryWay[] = ['state_services', 'email', 'sms']

/** The ways the region offers now: listed in its `passwordRecovery`, its State Services login on, the bridge has the sender. */
export function recoveryWays(context: RouteContext, region: Region): RecoveryWays {
  const listed = region.config.passwordRecovery ?? allWays
  return {
    stateServices: listed.includes('state_services') && region.connector !== undefined && loginMethods(region.config, context.now()).stateServices,
    email: listed.includes('email') && context.senders.mail !== undefined,
    sms: listed.includes('sms') && context.senders.sms !== undefined,
  }
}

const destinationKey = (destination: string) => `recovery:to:${createHash('sha256').update(destination).digest('hex')}`

/** Counts a request that sends something to `destination`; false when that destination had enough for now. */
export async function mayReach(context: RouteContext, destination: string): Promise<boolean> {
  const key = destinationKey(destination)
  const now = context.now()
  if ((await blockedUntil(context.db, [key], now)) !== undefined) return false
  await countOnKey(context.db, key, recoveryThrottle.perDestination, recoveryThrottle, now)
  return true
}

function throttled(until: Date, now: Date): BridgeError {
  return new BridgeError('ERR_THROTTLED', 'too many recovery requests', { retryAfterSeconds: Math.ceil((until.getTime() - now.getTime()) / 1000) })
}

/**
 * POST /password/forgot: a link by e-mail or a code by SMS for what was typed as the login (or SNILS).
 * Answers the delivery, to be awaited after the page is sent (its failure is logged, never shown).
 */
export async function requestRecovery(
  context: RouteContext,
  browser: BrowserRequest,
  request: { region: Region; login: string; via: 'email' | 'sms'; locale: Locale },
): Promise<{ delivery: Promise<void> }> {
  const { db } = context
  const region = request.region.config.code
  const ways = recoveryWays(context, request.region)
  if (!ways[request.via] || !loginMethods(request.region.config, context.now()).password) {
    throw new BridgeError('ERR_METHOD_DISABLED', 'this way of recovery is not offered in this region')
  }
  const now = context.now()
  const typed = await identifyLogin(db, region, request.login, context.config.secrets.snilsPepper.reveal())
  const keys = [`recovery:account:${region}:${typed.throttleKey}`, `recovery:ip:${browser.ip}`]
  const until = await blockedUntil(db, keys, now)
  if (until !== undefined) throw throttled(until, now)
  await countOnKey(db, keys[0] as string, recoveryThrottle.perAccount, recoveryThrottle, now)
  await countOnKey(db, keys[1] as string, recoveryThrottle.perAddress, recoveryThrottle, now)

  const account = await findAccountByLogin(db, region, typed.login)
  const contacts = account && (await findContacts(db, account.id))
  const contact = request.via === 'email' ? contacts?.emailVerified && contacts.email : contacts?.phoneVerified && contacts.phone
  const destination = contact && (await mayReach(context, contact)) ? contact : undefined

  const minutes = request.via === 'email' ? recoveryRules.linkMinutes : recoveryRules.codeMinutes
  const link = request.via === 'email' ? newLinkSecret() : undefined
  const code = request.via === 'sms' ? newCode() : undefined
  const secretHash = link?.hash ?? hashCode(context.config.secrets.snilsPepper.reveal(), code as string)
  const secretId = await storeSecret(db, {
    accountId: destination === undefined ? null : (account?.id ?? null),
    purpose: request.via === 'email' ? 'reset_email' : 'reset_sms',
    secretHash,
    destination: null,
    expiresAt: new Date(now.getTime() + minutes * 60_000),
  })
  await recordAuditEvent(db, {
    type: 'password_recovery_request',
    outcome: destination === undefined ? 'not_sent' : 'sent',
    accountId: account?.id,
    region,
    requestId: browser.requestId,
    details: { via: request.via },
  })
  if (request.via === 'sms') browser.transaction.toRecoveryCode({ region, secretId })
  if (destination === undefined) return { delivery: Promise.resolve() }
  const { mail, sms } = context.senders
  const delivery =
    link !== undefined
      ? mail?.send({ to: destination, ...mailText({ kind: 'recovery_link', url: `${context.config.publicUrl}${resetPasswordPath}?token=${link.token}`, minutes }, request.locale) })
      : sms?.send({ to: destination, text: smsText({ kind: 'recovery_code', code: code as string, minutes }, request.locale) })
  return { delivery: delivery ?? Promise.resolve() }
}

/** GET /password/reset?token=…: a live link opens the new-password step in this browser (the link is not spent yet). */
export async function openRecoveryLink(context: RouteContext, browser: BrowserRequest, token: string): Promise<void> {
  const linkHash = hashLinkToken(token)
  const secret = await findLinkSecret(context.db, 'reset_email', linkHash, context.now())
  const account = secret && (await findAccountById(context.db, secret.accountId))
  if (account === undefined) throw new BridgeError('ERR_SECRET_EXPIRED', 'the recovery link is unknown, replaced, used or expired')
  browser.transaction.chooseRegion(account.region)
  browser.transaction.toPasswordReset({ region: account.region, accountId: account.id, via: 'email', linkHash })
}

export type CodeCheck = { kind: 'right' } | { kind: 'wrong'; attemptsLeft: number } | { kind: 'malformed' }

/** POST /password/forgot/code: the SMS code; a right one opens the new-password step. */
export async function checkRecoveryCode(context: RouteContext, browser: BrowserRequest, typed: string): Promise<CodeCheck> {
  const phase = browser.transaction.take('recovery_code')
  const code = typed.replace(/[\s-]/g, '')
  if (!/^\d{6}$/.test(code)) return { kind: 'malformed' }
  const hash = hashCode(context.config.secrets.snilsPepper.reveal(), code)
  const result = await tryCode(context.db, phase.secretId, hash, context.now(), recoveryRules.codeAttempts)
  switch (result.kind) {
    case 'right':
      browser.transaction.toPasswordReset({ region: phase.region, accountId: result.accountId, via: 'sms' })
      return { kind: 'right' }
    case 'wrong':
      if (result.attemptsLeft > 0) return result
      browser.transaction.abandon()
      throw new BridgeError('ERR_SECRET_EXPIRED', 'the code was entered wrong too many times')
    case 'gone':
      browser.transaction.abandon()
      throw new BridgeError('ERR_SECRET_EXPIRED', 'the code expired, was replaced or was used up')
  }
}

/** State Services said who the person is, and the account is theirs (login/state-services.ts). */
export function allowPasswordReset(browser: BrowserRequest, accountId: string, region: string): string {
  browser.transaction.toPasswordReset({ region, accountId, via: 'state_services' })
  return resetPasswordPath
}

export type ResetResult = { kind: 'done'; location: string } | ({ kind: 'problem' } & Extract<PasswordChange, { ok: false }>)

/** POST /password/reset: the new password, once; the login page of the account's region follows. */
export async function finishPasswordReset(
  context: RouteContext,
  browser: BrowserRequest,
  form: { password: string; repeat: string },
): Promise<ResetResult> {
  const phase = browser.transaction.take('password_reset')
  const account = await findAccountById(context.db, phase.accountId)
  if (account === undefined) throw new BridgeError('ERR_LOGIN_EXPIRED', 'the account no longer exists')
  const now = context.now()
  const result = await changePassword(context.db, context.hasher, account, {
    ...form,
    now,
    requestId: browser.requestId,
    audit: { type: 'password_recovery', details: { via: phase.via } },
    claim: async (trx) => {
      if (!(await consumeLoginTransaction(trx, phase.id))) throw new BridgeError('ERR_LOGIN_EXPIRED', 'this password reset was already used')
      if (phase.linkHash === undefined) return
      const link = await spendLinkSecret(trx, 'reset_email', phase.linkHash, now)
      if (link?.accountId !== account.id) throw new BridgeError('ERR_SECRET_EXPIRED', 'the recovery link was replaced, used or expired')
    },
  })
  if (!result.ok) return { kind: 'problem', ...result }
  await clearAccountThrottle(context.db, account.region, account.login)
  browser.transaction.abandon()
  browser.transaction.chooseRegion(account.region)
  return { kind: 'done', location: `/login?region=${encodeURIComponent(account.region)}&notice=password_reset` }
}
