/*
 * The end of every successful login: a verified temporary password is replaced first; then the browser
 * is signed in and the login goes on to what it was for, the diary module that is waiting (its code)
 * or else the bridge's own account page. Each function answers the location to send the browser to.
 */
import { type Account, findAccountById } from '../accounts/account.repository.js'
import { changePassword } from '../accounts/change-password.js'
import type { PasswordProblem } from '../accounts/password-policy.js'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import { answerAuthorization } from './authorization.js'
import type { BrowserRequest } from './browser.js'
import { type NewSession, signIn } from './sign-in.js'

export const passwordChangePath = '/password/change'

/** Signs in, then answers the waiting diary module (or, with none, the account page). */
export async function completeSignIn(context: RouteContext, browser: BrowserRequest, session: NewSession, options: { notice?: string } = {}): Promise<string> {
  const pending = browser.transaction.pendingAuthorization()
  const active = await signIn(context, browser, session)
  if (pending === undefined) return options.notice === undefined ? '/account' : `/account?notice=${options.notice}`
  return answerAuthorization(context, browser, pending, active)
}

/** After a verified diary password: the password change first when it is temporary, else the sign-in. */
export function continueSignIn(context: RouteContext, browser: BrowserRequest, account: Account, session: Omit<NewSession, 'accountId'>): Promise<string> {
  if (!account.mustChangePassword) return completeSignIn(context, browser, { accountId: account.id, ...session })
  browser.transaction.toPasswordChange({ accountId: account.id, ...session })
  return Promise.resolve(passwordChangePath)
}

/** POST /password/change: the temporary password replaced (every session of the account ends), then the sign-in. */
export async function replaceTemporaryPassword(
  context: RouteContext,
  browser: BrowserRequest,
  form: { password: string; repeat: string },
): Promise<{ kind: 'next'; location: string } | { kind: 'problem'; problem: PasswordProblem }> {
  const change = browser.transaction.take('password_change')
  const account = await findAccountById(context.db, change.accountId)
  if (account === undefined) throw new BridgeError('ERR_LOGIN_EXPIRED', 'the account is gone')
  const result = await changePassword(context.db, context.hasher, account, { ...form, now: context.now(), requestId: browser.requestId })
  if (!result.ok) return { kind: 'problem', problem: result.problem }
  const location = await completeSignIn(context, browser, { accountId: account.id, method: change.method, upstreamIssuer: change.upstreamIssuer })
  return { kind: 'next', location }
}
