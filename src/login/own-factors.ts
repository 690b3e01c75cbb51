/*
 * The owner's own second factors, from the account page (/account/security): list, add a passkey or a
 * one-time code app, remove one, get new recovery codes. Every change needs a recent sign-in or the
 * password again (login/account.ts isRecentlyConfirmed, as for removing a link); every query is scoped to
 * the session's account in its statement; every change is audited and the owner is told (e-mail/SMS,
 * if confirmed). The passkey challenge of the page is kept in the login cookie under the session's id.
 */
import type { Account } from '../accounts/account.repository.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import { openFactorSecret, sealFactorSecret } from '../factors/factor-secret.js'
import {
  confirmTotp,
  factorSummary,
  findPendingTotp,
  listFactors,
  removeFactor,
  startTotp,
} from '../factors/factor.repository.js'
import { createTotpSecret, matchTotpCode } from '../factors/totp.js'
import { type ActiveSession, consumeLoginTransaction } from '../sessions/login-session.js'
import { isRecentlyConfirmed } from './account.js'
import type { BrowserRequest } from './browser.js'
import {
  activeAccount,
  type FactorLabels,
  issueRecoveryCodes,
  makePasskey,
  registrationOptions,
  recoveryCodesAfterEnrolment,
  secretKey,
  tellOwner,
  totpSetup,
} from './factor-steps.js'

const challengeKey = (session: ActiveSession) => `account:${session.id}`

function mustBeConfirmed(context: RouteContext, session: ActiveSession): void {
  if (!isRecentlyConfirmed(session, context.now()))
    throw new BridgeError('ERR_LOGIN_EXPIRED', 'confirm who you are again before changing the second step')
}

/** GET /account/security: the factors, and (when the session may change them) a passkey challenge. */
export async function ownFactorsOverview(
  context: RouteContext,
  browser: BrowserRequest,
  session: ActiveSession,
  labels: FactorLabels,
) {
  const account = await activeAccount(context, session.accountId)
  const [factors, summary] = await Promise.all([
    listFactors(context.db, account.id),
    factorSummary(context.db, account.id),
  ])
  const confirmed = isRecentlyConfirmed(session, context.now())
  let passkeyOptions: unknown
  if (confirmed) {
    const options = await registrationOptions(context, account, labels)
    browser.transaction.offerPasskey(challengeKey(session), options.challenge)
    passkeyOptions = options
  }
  return { account, factors, recoveryCodesLeft: summary.recoveryCodesLeft, confirmed, passkeyOptions }
}

async function changed(
  context: RouteContext,
  browser: BrowserRequest,
  account: Account,
  change: { outcome: 'enrolled' | 'removed' | 'recovery_codes'; kind: 'passkey' | 'totp' | 'recovery_codes' },
  locale: FactorLabels['locale'],
): Promise<void> {
  await recordAuditEvent(context.db, {
    type: 'second_factor_enrolment',
    outcome: change.outcome,
    accountId: account.id,
    region: account.region,
    requestId: browser.requestId,
    details: { kind: change.kind, by: 'owner' },
  })
  await tellOwner(
    context,
    browser,
    account.id,
    { kind: change.outcome === 'removed' ? 'removed' : 'added', factor: change.kind },
    locale,
  )
}

export type OwnChange = { kind: 'done'; codes: string[] } | { kind: 'failed' }

/** POST /account/security/passkey: the new passkey, made for the page's challenge. */
export async function addOwnPasskey(
  context: RouteContext,
  browser: BrowserRequest,
  session: ActiveSession,
  response: string,
  labels: FactorLabels,
): Promise<OwnChange> {
  mustBeConfirmed(context, session)
  const account = await activeAccount(context, session.accountId)
  const challenge = browser.transaction.takePasskeyChallenge(challengeKey(session))
  if (!(await consumeLoginTransaction(context.db, `passkey:${challenge}`)))
    throw new BridgeError('ERR_LOGIN_EXPIRED', 'this passkey was already answered')
  const made = await makePasskey(context, browser, account, { response, challenge }, labels)
  if (made === undefined) return { kind: 'failed' }
  await changed(context, browser, account, { outcome: 'enrolled', kind: 'passkey' }, labels.locale)
  return { kind: 'done', codes: await recoveryCodesAfterEnrolment(context, account.id) }
}

/** GET /account/security/totp: a new unconfirmed one-time code app, its QR code and key. */
export async function startOwnTotp(context: RouteContext, session: ActiveSession, labels: FactorLabels) {
  mustBeConfirmed(context, session)
  const account = await activeAccount(context, session.accountId)
  const secret = createTotpSecret()
  const factorId = await startTotp(
    context.db,
    account.id,
    labels.totpName,
    sealFactorSecret(secretKey(context), secret),
  )
  return { factorId, ...(await totpSetup(context, account, secret, labels.issuer)) }
}

export type OwnTotpAnswer = OwnChange | { kind: 'wrong'; factorId: string; qrSvg: string; secret: string }

/** POST /account/security/totp: the app's first code confirms it. */
export async function confirmOwnTotp(
  context: RouteContext,
  browser: BrowserRequest,
  session: ActiveSession,
  form: { factorId: string; code: string },
  labels: FactorLabels,
): Promise<OwnTotpAnswer> {
  mustBeConfirmed(context, session)
  const account = await activeAccount(context, session.accountId)
  const pending = await findPendingTotp(context.db, account.id, form.factorId)
  if (pending === undefined) throw new BridgeError('ERR_NOT_FOUND', 'no one-time code app is being set up')
  const secret = openFactorSecret(secretKey(context), pending.sealedSecret)
  const now = context.now()
  const step = matchTotpCode(secret, form.code.replace(/\s/g, ''), now.getTime(), null)
  if (step === undefined || !(await confirmTotp(context.db, account.id, pending.id, step, now))) {
    return { kind: 'wrong', factorId: pending.id, ...(await totpSetup(context, account, secret, labels.issuer)) }
  }
  await changed(context, browser, account, { outcome: 'enrolled', kind: 'totp' }, labels.locale)
  return { kind: 'done', codes: await recoveryCodesAfterEnrolment(context, account.id) }
}

/** POST /account/security/remove: one of the account's own factors. */
export async function removeOwnFactor(
  context: RouteContext,
  browser: BrowserRequest,
  session: ActiveSession,
  factorId: string,
  locale: FactorLabels['locale'],
): Promise<void> {
  mustBeConfirmed(context, session)
  const account = await activeAccount(context, session.accountId)
  const factor = (await listFactors(context.db, account.id)).find((one) => one.id === factorId)
  if (factor === undefined || !(await removeFactor(context.db, account.id, factorId)))
    throw new BridgeError('ERR_NOT_FOUND', 'no such factor of this account')
  await changed(context, browser, account, { outcome: 'removed', kind: factor.kind }, locale)
}

/** POST /account/security/recovery-codes: ten new codes; the old ones stop working. */
export async function renewOwnRecoveryCodes(
  context: RouteContext,
  browser: BrowserRequest,
  session: ActiveSession,
  locale: FactorLabels['locale'],
): Promise<string[]> {
  mustBeConfirmed(context, session)
  const account = await activeAccount(context, session.accountId)
  const codes = await issueRecoveryCodes(context, account.id)
  await changed(context, browser, account, { outcome: 'recovery_codes', kind: 'recovery_codes' }, locale)
  return codes
}
