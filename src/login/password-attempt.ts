/*
 * One diary-password attempt, as every form that asks for it makes it (sign-in, binding, confirming
 * who you are, changing the password), with the login or the account's SNILS (accounts/credentials.ts):
 * load is shed first, then the throttle (a blocked account or
 * address is refused before the password is looked at), the credential check (same work for unknown
 * logins), the counters and the audit event. Answers the account, or undefined for a wrong login or
 * password; throws ERR_BUSY, ERR_THROTTLED, or ERR_ACCOUNT_CLOSED for a deactivated account (whatever
 * the password; a wrong one still counts as a failure). An attempt refused during a block is counted in the
 * metrics only: a flood against a blocked login must not write a row per request (the failures that
 * caused the block are in the audit trail, and the support desk sees the block itself).
 */
import type { Account } from '../accounts/account.repository.js'
import { checkCredentials, identifyLogin } from '../accounts/credentials.js'
import { busyError } from '../accounts/password-hash.js'
import { attemptKeys, blockedUntil, recordFailure, recordSuccess } from '../accounts/throttle.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import type { BrowserRequest } from './browser.js'

export type PasswordPurpose = 'sign_in' | 'binding' | 'confirmation' | 'password_change'

const metricMethod = {
  sign_in: 'password',
  binding: 'binding',
  confirmation: 'confirmation',
  password_change: 'confirmation',
} as const
const auditType = {
  sign_in: 'password_sign_in',
  binding: 'password_binding',
  confirmation: 'password_confirmation',
  password_change: 'password_current',
} as const

export async function attemptPassword(
  context: RouteContext,
  browser: BrowserRequest,
  attempt: { region: string; login: string; password: string; purpose: PasswordPurpose },
): Promise<Account | undefined> {
  // Shed load first: a refused attempt must cost next to nothing, or refusing becomes the new bottleneck.
  if (context.hasher.saturated()) throw busyError()
  const { db } = context
  const { region, purpose } = attempt
  // "Логин или СНИЛС": the throttle counts the account a SNILS names, whichever way it is typed.
  const typed = await identifyLogin(db, region, attempt.login, context.config.secrets.snilsPepper.reveal())
  const keys = attemptKeys(region, typed.throttleKey, browser.ip)
  const now = context.now()
  const until = await blockedUntil(db, keys, now)
  if (until !== undefined) {
    context.metrics.login(region, metricMethod[purpose], 'throttled')
    throw new BridgeError('ERR_THROTTLED', 'too many failed attempts', {
      retryAfterSeconds: Math.ceil((until.getTime() - now.getTime()) / 1000),
    })
  }
  const result = await checkCredentials(db, context.hasher, region, typed.login, attempt.password)
  if (result.ok) await recordSuccess(db, keys)
  else await recordFailure(db, keys, context.config.bridge.throttling, now)
  const outcome = result.ok ? 'success' : result.closed ? 'closed' : 'failure'
  context.metrics.login(region, metricMethod[purpose], outcome)
  await recordAuditEvent(db, {
    type: auditType[purpose],
    outcome,
    accountId: result.ok ? result.account.id : result.accountId,
    region,
    requestId: browser.requestId,
  })
  if (!result.ok && result.closed) throw new BridgeError('ERR_ACCOUNT_CLOSED', 'the account is deactivated')
  return result.ok ? result.account : undefined
}
