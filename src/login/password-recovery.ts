/*
 * "Forgot your password?": the person proves to own a diary account another way, then sets a new
 * password (accounts/change-password.ts: the rules, different from the old one, every session ends,
 * refresh tokens revoked, an audit event).
 * - the ways: State Services (the identity must be linked to an account of this region, or be linked
 *   now by the linking rules; login/state-services.ts), a link to the account's verified e-mail
 *   (15 minutes), a 6-digit code to its verified phone (10 minutes, 5 tries); each only where the
 *   region's `passwordRecovery` lists it and the bridge has the sender; otherwise the school
 * - a request answers the same whether the login exists, has the contact, or not: the same statements
 *   run for every login (a stand-in secret for a login without the contact, kept and retired by the next
 *   requests like a real one: accounts/recovery-secret.repository.ts), the message is sent after the
 *   answer, and the code page behaves the same
 * - a new link or code leaves the one before it valid until it expires: the last two sent work, a third
 *   retires the oldest; the code page tries a code against this browser's last two requests
 * - throttled (`recoveryThrottle`; every request counts, decided in the counting statement): per typed
 *   login and address, per address, then per typed login with a higher ceiling, so that one address
 *   cannot shut the owner out from theirs; a request any of them refuses writes nothing and replaces no
 *   secret. Per destination silently (the answer stays the same, nothing is sent): its ceiling is the
 *   per-login one, so that flooding a login's contact shuts out no more than flooding the login
 * - the new-password step is spent once across instances, only while the password is still the one it
 *   was proven for, together with the link; it kills every other recovery link and code of the account;
 *   a success clears the account's sign-in throttle and is told to the account's confirmed contacts
 *   (owner-alerts.ts: no link, nothing to act on)
 */
import {
  type Account,
  findAccountById,
  findAccountByLogin,
  isPasswordUnchangedSince,
} from '../accounts/account.repository.js'
import { changePassword, type PasswordChange } from '../lifecycle/change-password.js'
import { findContacts } from '../accounts/contacts.repository.js'
import { identifyLogin } from '../accounts/credentials.js'
import { ownerKey, secretsKey } from '../accounts/keyed-hash.js'
import {
  deleteSecretsOf,
  findLinkSecret,
  hashCode,
  hashLinkToken,
  newOneTimeSecret,
  parseCode,
  spendLinkSecret,
  storeSecret,
  tryCode,
} from '../accounts/recovery-secret.repository.js'
import { clearAccountThrottle, takeFromKey, takeFromKeys } from '../accounts/throttle.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import { type Locale, mailText, type Notice, smsText } from '../notify/templates.js'
import { contactKey } from '../person/contact.js'
import { loginMethods } from '../regions/policy.js'
import { type Region, regionOf } from '../regions/registry.js'
import { consumeLoginTransaction } from '../sessions/login-session.js'
import type { BrowserRequest, Delivery } from './browser.js'
import { alertPasswordChanged } from './owner-alerts.js'
import type { RecoveryWay } from './transaction.js'

export const recoveryRules = { linkMinutes: 15, codeMinutes: 10, codeAttempts: 5 } as const

/**
 * Requests per hour: per typed login from one address, from one address, per typed login from all of them
 * (the next one is refused for an hour), and messages per destination (the next ones are not sent).
 */
export const recoveryThrottle = {
  perLoginAndAddress: 3,
  perAddress: 20,
  perLogin: 10,
  perDestination: 10,
  windowSeconds: 3600,
  blockSeconds: 3600,
} as const

export const resetPasswordPath = '/password/reset'

/** No account has it: the contacts query of a login that names none (the same statement for every login). */
const noAccount = '00000000-0000-0000-0000-000000000000'

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
    stateServices:
      listed.includes('state_services') &&
      region.connector !== undefined &&
      loginMethods(region.config, context.now()).stateServices,
    email: listed.includes('email') && context.senders.mail !== undefined,
    sms: listed.includes('sms') && context.senders.sms !== undefined,
  }
}

/** The key of the keyed hashes of one-time secrets and their owners (accounts/keyed-hash.ts). */
export function secretsKeyOf(context: RouteContext): Buffer {
  return secretsKey(context.config.secrets.snilsPepper.reveal())
}

/** The delivery of a notice: links by e-mail, codes by SMS, in the person's language (undefined without that sender). */
export function messageTo(context: RouteContext, to: string, notice: Notice, locale: Locale): Delivery {
  const { mail, sms } = context.senders
  if (notice.kind === 'recovery_link' || notice.kind === 'email_confirmation')
    return mail && (() => mail.send({ to, ...mailText(notice, locale) }))
  return sms && (() => sms.send({ to, text: smsText(notice, locale) }))
}

/** Refuses with ERR_THROTTLED, writing nothing, unless every key has allowance left; then each is counted, in this order. */
export async function takeOrRefuse(
  context: RouteContext,
  keys: readonly [key: string, limit: number][],
): Promise<void> {
  const now = context.now()
  const until = await takeFromKeys(context.db, keys, recoveryThrottle, now)
  if (until !== undefined) {
    throw new BridgeError('ERR_THROTTLED', 'too many requests that send messages', {
      retryAfterSeconds: Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000)),
    })
  }
}

/** Counts a message to `destination` (a `contactKey`) under `prefix`; false when that destination had enough for now. */
export async function mayReach(context: RouteContext, prefix: string, destination: string): Promise<boolean> {
  const key = `${prefix}:${ownerKey(secretsKeyOf(context), `to:${destination}`)}`
  return (
    (await takeFromKey(context.db, key, recoveryThrottle.perDestination, recoveryThrottle, context.now())) === undefined
  )
}

/**
 * POST /password/forgot: a link by e-mail or a code by SMS for what was typed as the login (or SNILS).
 * Answers the delivery, to be started after the page is sent (its failure is logged, never shown).
 */
export async function requestRecovery(
  context: RouteContext,
  browser: BrowserRequest,
  request: { region: Region; login: string; via: 'email' | 'sms'; locale: Locale },
): Promise<Delivery> {
  const { db } = context
  const region = request.region.config.code
  if (
    !recoveryWays(context, request.region)[request.via] ||
    !loginMethods(request.region.config, context.now()).password
  ) {
    throw new BridgeError('ERR_METHOD_DISABLED', 'this way of recovery is not offered in this region')
  }
  const now = context.now()
  const key = secretsKeyOf(context)
  const typed = await identifyLogin(db, region, request.login, context.config.secrets.snilsPepper.reveal())
  const owner = `recovery:${region}:${typed.throttleKey}`
  const perLogin = `recovery:account:${region}:${typed.throttleKey}`
  // The requester's own keys first: the login's allowance is used only by requests they let through.
  await takeOrRefuse(context, [
    [`${perLogin}:ip:${browser.ip}`, recoveryThrottle.perLoginAndAddress],
    [`recovery:ip:${browser.ip}`, recoveryThrottle.perAddress],
    [perLogin, recoveryThrottle.perLogin],
  ])

  // A deactivated account is answered as an unknown login: the same page, a stand-in secret, no message.
  const account = activeOnly(await findAccountByLogin(db, region, typed.login))
  const contacts = await findContacts(db, account?.id ?? noAccount)
  const contact =
    (request.via === 'email' ? contacts?.emailVerified && contacts.email : contacts?.phoneVerified && contacts.phone) ||
    undefined
  // Every request counts on a destination: the contact's, or a stand-in named after the typed login.
  const reachable = await mayReach(
    context,
    'recovery',
    contact === undefined ? `nobody:${owner}` : contactKey(request.via === 'email' ? 'email' : 'phone', contact),
  )
  const destination = contact !== undefined && reachable ? contact : undefined

  const minutes = request.via === 'email' ? recoveryRules.linkMinutes : recoveryRules.codeMinutes
  const secret = newOneTimeSecret(key, request.via === 'email' ? 'link' : 'code')
  const secretId = await storeSecret(db, {
    lookupKey: ownerKey(key, owner),
    accountId: destination === undefined ? null : (account?.id ?? null),
    purpose: request.via === 'email' ? 'reset_email' : 'reset_sms',
    secretHash: secret.hash,
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
  if (destination === undefined) return undefined
  const notice: Notice =
    secret.kind === 'link'
      ? { kind: 'recovery_link', url: `${context.config.publicUrl}${resetPasswordPath}?token=${secret.token}`, minutes }
      : { kind: 'recovery_code', code: secret.code, minutes }
  return messageTo(context, destination, notice, request.locale)
}

/** Only an active account recovers its password; another is as good as unknown. */
function activeOnly(account: Account | undefined): Account | undefined {
  return account?.state === 'active' ? account : undefined
}

/** Opens the new-password step for an account whose owner just proved who they are. */
function allowReset(browser: BrowserRequest, account: Account, via: RecoveryWay, linkHash?: string): void {
  browser.transaction.chooseRegion(account.region)
  browser.transaction.toPasswordReset({
    region: account.region,
    accountId: account.id,
    via,
    passwordChangedAt: account.passwordChangedAt?.getTime() ?? null,
    linkHash,
  })
}

/** GET /password/reset?token=…: a live link opens the new-password step in this browser (the link is not spent yet). */
export async function openRecoveryLink(context: RouteContext, browser: BrowserRequest, token: string): Promise<void> {
  const linkHash = hashLinkToken(token)
  const secret = await findLinkSecret(context.db, 'reset_email', linkHash, context.now())
  const account = secret && activeOnly(await findAccountById(context.db, secret.accountId))
  if (account === undefined)
    throw new BridgeError('ERR_SECRET_EXPIRED', 'the recovery link is unknown, replaced, used or expired')
  if (!recoveryWays(context, regionOf(context.regions, account.region)).email)
    throw new BridgeError('ERR_METHOD_DISABLED', 'recovery by e-mail is off in this region')
  allowReset(browser, account, 'email', linkHash)
}

export type CodeCheck = { kind: 'right' } | { kind: 'wrong'; attemptsLeft: number } | { kind: 'malformed' }

/** POST /password/forgot/code: the SMS code of this browser's last request or the one before; a right one opens the new-password step. */
export async function checkRecoveryCode(
  context: RouteContext,
  browser: BrowserRequest,
  typed: string,
): Promise<CodeCheck> {
  const phase = browser.transaction.take('recovery_code')
  const code = parseCode(typed)
  if (code === undefined) return { kind: 'malformed' }
  const hash = hashCode(secretsKeyOf(context), code)
  const ids = phase.previousSecretId === undefined ? [phase.secretId] : [phase.secretId, phase.previousSecretId]
  const result = await tryCode(context.db, ids, hash, context.now(), recoveryRules.codeAttempts)
  if (result.kind === 'wrong' && result.attemptsLeft > 0) return result
  const account = result.kind === 'right' ? activeOnly(await findAccountById(context.db, result.accountId)) : undefined
  if (account === undefined) {
    browser.transaction.abandon()
    throw new BridgeError(
      'ERR_SECRET_EXPIRED',
      'the code expired, was replaced, was used or was entered wrong too many times',
    )
  }
  allowReset(browser, account, 'sms')
  return { kind: 'right' }
}

/** State Services said who the person is, and the account is theirs (login/state-services.ts). */
export function allowPasswordReset(browser: BrowserRequest, account: Account): string {
  allowReset(browser, account, 'state_services')
  return resetPasswordPath
}

export type ResetResult =
  { kind: 'done'; location: string } | ({ kind: 'problem' } & Extract<PasswordChange, { ok: false }>)

/** POST /password/reset: the new password, once; the login page of the account's region follows. */
export async function finishPasswordReset(
  context: RouteContext,
  browser: BrowserRequest,
  form: { password: string; repeat: string },
): Promise<ResetResult> {
  const phase = browser.transaction.take('password_reset')
  const account = activeOnly(await findAccountById(context.db, phase.accountId))
  if (account === undefined)
    throw new BridgeError('ERR_LOGIN_EXPIRED', 'the account no longer exists or was deactivated')
  const now = context.now()
  const provenFor = phase.passwordChangedAt === null ? null : new Date(phase.passwordChangedAt)
  const result = await changePassword(context.db, context.hasher, account, {
    ...form,
    now,
    requestId: browser.requestId,
    audit: { type: 'password_recovery', details: { via: phase.via } },
    claim: async (trx) => {
      if (!(await consumeLoginTransaction(trx, phase.id)))
        throw new BridgeError('ERR_LOGIN_EXPIRED', 'this password reset was already used')
      if (!(await isPasswordUnchangedSince(trx, account.id, provenFor))) {
        throw new BridgeError('ERR_SECRET_EXPIRED', 'the password was changed since this recovery began')
      }
      if (
        phase.linkHash !== undefined &&
        (await spendLinkSecret(trx, 'reset_email', phase.linkHash, now))?.accountId !== account.id
      ) {
        throw new BridgeError('ERR_SECRET_EXPIRED', 'the recovery link was replaced, used or expired')
      }
      await deleteSecretsOf(trx, account.id, ['reset_email', 'reset_sms'])
    },
  })
  if (!result.ok) return { kind: 'problem', ...result }
  await alertPasswordChanged(context, browser, account.id)
  await clearAccountThrottle(context.db, context.config.secrets.snilsPepper.reveal(), account.region, account.login)
  browser.transaction.abandon()
  browser.transaction.chooseRegion(account.region)
  const notice = result.endedLinks.length > 0 ? 'password_reset_links_ended' : 'password_reset'
  return { kind: 'done', location: `/login?region=${encodeURIComponent(account.region)}&notice=${notice}` }
}
