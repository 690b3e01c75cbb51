/*
 * The end of every successful login: the second factor when the region's policy or the module wants one
 * (login/second-factor.ts), then a verified temporary password is replaced (after the factor: the
 * temporary password alone chooses nothing); then the browser is signed in and the login goes on to what it was for, the diary module that is waiting (its code)
 * or else the bridge's own account page. Each function answers the location to send the browser to.
 * Given a transaction, the session and the code are written in it (a State Services login: the
 * transaction that read or made the link).
 */
import type { Transaction } from 'kysely'
import { type Account, findAccountById } from '../accounts/account.repository.js'
import { changePassword } from '../lifecycle/change-password.js'
import type { PasswordProblem } from '../accounts/password-policy.js'
import type { RouteContext } from '../context.js'
import type { Database } from '../db/schema.js'
import { BridgeError } from '../errors.js'
import { consumeLoginTransaction } from '../sessions/login-session.js'
import { answerAuthorization } from './authorization.js'
import type { BrowserRequest } from './browser.js'
import { alertPasswordChanged } from './owner-alerts.js'
import { type Assurance, factorStepAfter, sessionOfStep, wantsStrong } from './second-factor.js'
import { type NewSession, signIn } from './sign-in.js'
import type { FirstStep } from './transaction.js'

export const passwordChangePath = '/password/change'

export type AccountNotice = 'link_superseded'

/**
 * Signs in, then answers the waiting diary module (or, with none, the account page). A first step (no
 * `assurance` yet) goes to the second factor first when the region's policy or the module wants one
 * (login/second-factor.ts): the answer is then that step's page, and no session starts.
 */
export async function completeSignIn(
  context: RouteContext,
  browser: BrowserRequest,
  session: NewSession & { verified?: boolean },
  options: {
    notice?: AccountNotice
    trx?: Transaction<Database>
    account?: Pick<Account, 'id' | 'role' | 'region'>
    assurance?: Assurance
  } = {},
): Promise<string> {
  const pending = browser.transaction.pendingAuthorization()
  let { assurance } = options
  if (assurance === undefined) {
    const { verified, ...rest } = session
    const step = await factorStepAfter(
      context,
      browser,
      {
        ...rest,
        ...(verified !== undefined && { verified }),
        ...(options.notice !== undefined && { notice: options.notice }),
      },
      { db: options.trx, account: options.account, wantsStrong: wantsStrong(pending) },
    )
    if (step.kind === 'go') return step.location
    assurance = step.assurance
  }
  const active = await signIn(
    context,
    browser,
    { accountId: session.accountId, ...sessionOfStep(session), assurance },
    options.trx,
  )
  if (pending === undefined) return options.notice === undefined ? '/account' : `/account?notice=${options.notice}`
  return answerAuthorization(context, browser, pending, active, options.trx)
}

/** After a verified diary password: the password change first when it is temporary, else the sign-in. */
export async function continueSignIn(
  context: RouteContext,
  browser: BrowserRequest,
  account: Account,
  session: Omit<NewSession, 'accountId'> & { verified?: boolean },
  trx?: Transaction<Database>,
): Promise<string> {
  if (!account.mustChangePassword)
    return completeSignIn(context, browser, { accountId: account.id, ...session }, { trx, account })
  // The second step comes first: a temporary password alone must not choose the account's password.
  const pending = browser.transaction.pendingAuthorization()
  const step = await factorStepAfter(
    context,
    browser,
    {
      accountId: account.id,
      ...sessionOfStep(session),
      ...(session.verified !== undefined && { verified: session.verified }),
    },
    { db: trx, account, wantsStrong: wantsStrong(pending) },
  )
  if (step.kind === 'go') return step.location
  return toPasswordChange(browser, account, session, step.assurance)
}

/** The temporary password is replaced next; the sign-in then vouches for `assurance`. */
export function toPasswordChange(
  browser: BrowserRequest,
  account: Pick<Account, 'id' | 'passwordChangedAt'>,
  first: Pick<FirstStep, 'method' | 'upstreamIssuer' | 'upstreamSubject'>,
  assurance: Assurance,
): string {
  browser.transaction.toPasswordChange({
    accountId: account.id,
    passwordChangedAt: account.passwordChangedAt?.getTime() ?? null,
    ...sessionOfStep(first),
    assurance,
  })
  return passwordChangePath
}

/**
 * POST /password/change: the temporary password replaced (every session of the account ends), then the
 * sign-in. Only once: each attempt consumes the step's id first (a copied cookie is refused before its
 * password is looked at), and the change is refused when the password is no longer the temporary one
 * the login verified (changed already, or reset again by the support desk). A password the rules
 * refuse leaves this browser a new id to try again with.
 */
export async function replaceTemporaryPassword(
  context: RouteContext,
  browser: BrowserRequest,
  form: { password: string; repeat: string },
): Promise<{ kind: 'next'; location: string } | { kind: 'problem'; problem: PasswordProblem }> {
  const change = browser.transaction.take('password_change')
  if (!(await consumeLoginTransaction(context.db, change.id)))
    throw new BridgeError('ERR_LOGIN_EXPIRED', 'this password change was already used')
  const account = await findAccountById(context.db, change.accountId)
  const expected = change.passwordChangedAt === null ? null : new Date(change.passwordChangedAt)
  if (account?.state !== 'active') throw new BridgeError('ERR_ACCOUNT_CLOSED', 'the account was deactivated meanwhile')
  if (!account.mustChangePassword || account.passwordChangedAt?.getTime() !== expected?.getTime()) {
    throw new BridgeError('ERR_LOGIN_EXPIRED', 'the temporary password was replaced already')
  }
  const result = await changePassword(context.db, context.hasher, account, {
    ...form,
    now: context.now(),
    requestId: browser.requestId,
    replacing: { passwordChangedAt: expected },
  })
  if (!result.ok) {
    browser.transaction.retryPasswordChange(change)
    return { kind: 'problem', problem: result.problem }
  }
  await alertPasswordChanged(context, browser, account.id)
  const location = await completeSignIn(
    context,
    browser,
    { accountId: account.id, ...sessionOfStep(change) },
    change.assurance === undefined ? {} : { assurance: change.assurance },
  )
  return { kind: 'next', location }
}
