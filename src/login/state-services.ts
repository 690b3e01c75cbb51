/*
 * "Log in through State Services", as a flow:
 * - start: the region's connector builds the authorization URL; the upstream phase keeps PKCE, state,
 *   nonce and why the person goes there (to sign in, or to confirm who they are on the account page)
 * - callback: single use across instances, validated by the connector, then
 *     sign in  → linking (linking/link-account.ts): signed in, the binding page, or a conflict
 *     confirm  → the identity must be linked to the signed-in account; the session counts as confirmed
 *                and the link removal that asked for it goes ahead
 *     recover  → "forgot password": the identity must be linked (or be linked now by the rules) to one
 *                account of this region, which may then set a new password (password-recovery.ts)
 *     link_another → the account page's "link another diary": the binding page (link-another.ts)
     link_account → the account page's "link State Services" after a password sign-in (link-own.ts)
 *   linked to several accounts of the region, or asked `prompt=select_account`: the chooser
 *   (account-choice.ts)
 * - binding: the diary password, then the binding rules (linking/binding.ts); a refusal is a value
 *   the page shows next to the form, so that a parent can type their own diary login at once
 * A region whose state-services login is off now has no such routes (ERR_METHOD_DISABLED, a 404).
 * Each step answers the location to send the browser to.
 */
import { type Account, findAccountById } from '../accounts/account.repository.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { RouteContext } from '../context.js'
import { BridgeError, type BridgeErrorCode, toErrorResponse } from '../errors.js'
import { findLinkById, findLinkToAccount } from '../linking/identity-link.repository.js'
import { bindWithPassword, type BindOutcome, resolveLink } from '../linking/link-account.js'
import type { LinkOutcome } from '../linking/match.js'
import { removeLink } from '../linking/unlink.js'
import { loginMethods } from '../regions/policy.js'
import { type Region, regionOf, stateServicesCallbackPath } from '../regions/registry.js'
import { confirmSession, consumeLoginTransaction, isLoginTransactionUsed } from '../sessions/login-session.js'
import type { Identity } from '../upstream/connector.js'
import type { BrowserRequest } from './browser.js'
import { choiceAfterLink, toAccountChoice } from './account-choice.js'
import { completeSignIn, continueSignIn } from './complete-sign-in.js'
import { bindingPath, linkAnotherWith, linkContext, refusalCodes, toBindingPhase } from './link-another.js'
import { linkAccountWith } from './link-own.js'
import { attemptPassword } from './password-attempt.js'
import { allowPasswordReset, recoveryWays } from './password-recovery.js'
import { codeLocation } from './authorization.js'
import { signInLinked, waitingClient } from './linked-sign-in.js'
import { askingSession, signedIn } from './sign-in.js'
import type { UpstreamPurpose } from './transaction.js'

export { bindingPath }

type StateServicesRegion = Region & { connector: NonNullable<Region['connector']> }

/** The region, if its state-services login is on now; otherwise the routes do not exist (404). */
function stateServicesRegion(context: RouteContext, code: string | undefined): StateServicesRegion {
  const region = regionOf(context.regions, code)
  if (region.connector === undefined || !loginMethods(region.config, context.now()).stateServices) {
    throw new BridgeError('ERR_METHOD_DISABLED', 'state-services login is off in this region')
  }
  return { ...region, connector: region.connector }
}

/** Times an upstream call and counts its outcome (the public error code when it fails). */
async function timed<T>(
  context: RouteContext,
  region: Region,
  operation: 'start' | 'callback',
  call: () => Promise<T>,
): Promise<T> {
  const started = performance.now()
  const seconds = () => (performance.now() - started) / 1000
  try {
    const result = await call()
    context.metrics.upstream(region.config.code, operation, 'ok', seconds())
    return result
  } catch (error) {
    const outcome = toErrorResponse(error, '').body.error
    context.metrics.upstream(region.config.code, operation, outcome, seconds())
    if (operation === 'callback') context.metrics.login(region.config.code, 'state_services', outcome)
    throw error
  }
}

type Decision =
  | Pick<Extract<LinkOutcome, { kind: 'linked' }>, 'kind' | 'created'>
  | Exclude<LinkOutcome | BindOutcome, { kind: 'linked' }>

function countDecision(context: RouteContext, region: string, outcome: Decision, method: 'state_services' | 'binding') {
  const detail =
    outcome.kind === 'linked'
      ? outcome.created
        ? 'linked'
        : 'linked_existing'
      : outcome.kind === 'several'
        ? 'linked_several'
        : `${outcome.kind}:${outcome.reason}`
  context.metrics.linkDecision(region, detail)
  context.metrics.login(
    region,
    method,
    outcome.kind === 'linked' || outcome.kind === 'several' ? 'success' : outcome.kind,
  )
}

const usedAlready = () => new BridgeError('ERR_LOGIN_EXPIRED', 'this login attempt was already used')

async function consume(context: RouteContext, id: string, db = context.db): Promise<void> {
  if (!(await consumeLoginTransaction(db, id))) throw usedAlready()
}

/** Sends the browser to State Services (the provider's URL) for the region of the login or of the account. */
export async function startStateServices(
  context: RouteContext,
  browser: BrowserRequest,
  options: { regionCode: string | undefined; purpose: UpstreamPurpose; locale: string },
): Promise<string> {
  const region = stateServicesRegion(context, options.regionCode)
  const { url, state } = await timed(context, region, 'start', () =>
    region.connector.startLogin({ locale: options.locale }),
  )
  browser.transaction.toUpstream({ region: region.config.code, purpose: options.purpose, upstream: state })
  return url.href
}

/**
 * GET /login/state-services/callback with the query the provider sent. The login transaction is
 * spent before the provider is asked, except on the one-statement path (linked-sign-in.ts), which
 * spends it in its statement: a replayed callback then costs one code exchange the provider refuses,
 * and is told from a provider's failure by looking the transaction up (ERR_LOGIN_EXPIRED, as before).
 */
export async function finishStateServices(
  context: RouteContext,
  browser: BrowserRequest,
  query: string,
): Promise<string> {
  const { transaction } = browser
  // A region whose State Services login is off has no callback at all (404), login or no login.
  stateServicesRegion(context, transaction.peek().region ?? transaction.region())
  const phase = transaction.take('upstream')
  const region = stateServicesRegion(context, phase.region)
  const waiting = phase.purpose.kind === 'sign_in' ? waitingClient(context, browser) : undefined
  transaction.abandon()
  if (waiting === undefined) await consume(context, phase.id)
  // The callback URL is rebuilt from the configured redirect URI, never from the Host header.
  const callbackUrl = new URL(`${context.config.publicUrl}${stateServicesCallbackPath}`)
  callbackUrl.search = query
  const identity = await timed(context, region, 'callback', async () => {
    try {
      return await region.connector.finishLogin(callbackUrl, phase.upstream)
    } catch (error) {
      if (waiting !== undefined && (await isLoginTransactionUsed(context.db, phase.id))) throw usedAlready()
      throw error
    }
  })
  switch (phase.purpose.kind) {
    case 'sign_in':
      if (waiting !== undefined) {
        const quick = await signInLinked(context, browser, {
          transactionId: phase.id,
          region: region.config.code,
          identity,
          ...waiting,
        })
        if (quick.kind === 'used') throw usedAlready()
        if (quick.kind === 'signed_in') {
          countDecision(context, region.config.code, { kind: 'linked', created: false }, 'state_services')
          signedIn(browser, quick.sessionId)
          return codeLocation(context, waiting.pending, quick.code)
        }
      }
      return signInWith(context, browser, region, identity)
    case 'confirm':
      return confirmWith(context, browser, region, identity, phase.purpose)
    case 'recover':
      return recoverWith(context, browser, region, identity)
    case 'link_another':
      return linkAnotherWith(context, browser, region, identity, phase.purpose)
    case 'link_account':
      return linkAccountWith(context, browser, region, identity, phase.purpose)
  }
}

/** Why a State Services person may not reset a diary password here (audit reasons); undefined: they may. */
function whyNotRecoverable(outcome: LinkOutcome, account: Account | undefined, region: string): string | undefined {
  switch (outcome.kind) {
    case 'linked':
      // A binding by password from an account the provider did not vouch for proves only that someone knew
      // the old password: it must never be the way to set a new one (it ends at the next change, too).
      if (!outcome.verified) return 'unverified_link'
      if (account?.region !== region) return 'other_region'
      // Recovery answers for a deactivated account as for one that is not there.
      return account.state === 'active' ? undefined : 'account_closed'
    case 'several':
      // Which password to reset cannot be told from State Services alone.
      return 'several_accounts'
    case 'needs_password':
    case 'conflict':
      return outcome.reason
  }
}

/**
 * "Forgot password": the linking rules decide whose diary this is; a binding would need the password,
 * so it is no way here, and a link made by password counts only when the provider vouched for the
 * person at the time. Every refusal answers the same as "not linked".
 */
async function recoverWith(
  context: RouteContext,
  browser: BrowserRequest,
  region: Region,
  identity: Identity,
): Promise<string> {
  if (!recoveryWays(context, region).stateServices)
    throw new BridgeError('ERR_METHOD_DISABLED', 'recovery through State Services is off in this region')
  const outcome = await context.db
    .transaction()
    .execute((trx) => resolveLink(trx, linkContext(context, region, browser), identity))
  countDecision(context, region.config.code, outcome, 'state_services')
  const linked = outcome.kind === 'linked' ? await findAccountById(context.db, outcome.accountId) : undefined
  const reason = whyNotRecoverable(outcome, linked, region.config.code)
  const account = reason === undefined ? linked : undefined
  await recordAuditEvent(context.db, {
    type: 'password_recovery_identity',
    outcome: account !== undefined ? 'success' : outcome.kind === 'linked' ? (reason ?? 'refused') : outcome.kind,
    accountId: linked?.id,
    region: region.config.code,
    requestId: browser.requestId,
    details: { issuer: identity.issuer, reason: reason ?? null },
  })
  if (account === undefined)
    throw new BridgeError(
      'ERR_RECOVERY_NOT_LINKED',
      'this State Services person has no diary of this region that can be told',
    )
  return allowPasswordReset(browser, account)
}

async function signInWith(
  context: RouteContext,
  browser: BrowserRequest,
  region: Region,
  identity: Identity,
): Promise<string> {
  // The session starts in the transaction that read (and locked) or made the link.
  const { outcome, location } = await context.db.transaction().execute(async (trx) => {
    const decided = await resolveLink(trx, linkContext(context, region, browser), identity)
    const choice = choiceAfterLink(context, browser, decided, region.config.code)
    if (choice?.kind !== 'sign_in') return { outcome: decided, location: undefined }
    const session = {
      accountId: choice.accountId,
      method: 'state_services' as const,
      upstreamIssuer: identity.issuer,
      upstreamSubject: identity.subject,
      // Strong by itself only through an automatic link of a person the provider vouches for, now too.
      verified: decided.kind === 'linked' && decided.method === 'auto_snils' && decided.verified && identity.verified,
    }
    const notice = decided.kind === 'linked' && decided.superseded ? 'link_superseded' : undefined
    return { outcome: decided, location: await completeSignIn(context, browser, session, { notice, trx }) }
  })
  countDecision(context, region.config.code, outcome, 'state_services')
  switch (outcome.kind) {
    case 'linked':
    case 'several':
      return location ?? toAccountChoice(browser, region.config.code, identity)
    case 'needs_password':
      return toBindingPhase(context, browser, region.config.code, identity, { reason: outcome.reason })
    case 'conflict':
      throw new BridgeError('ERR_LINK_CONFLICT', outcome.reason)
  }
}

/** The signed-in owner confirmed who they are at State Services: then the link removal they asked for. */
async function confirmWith(
  context: RouteContext,
  browser: BrowserRequest,
  region: Region,
  identity: Identity,
  purpose: Extract<UpstreamPurpose, { kind: 'confirm' }>,
): Promise<string> {
  const now = context.now()
  const session = await askingSession(context, browser, purpose.sessionId)
  const confirmed = (await findLinkToAccount(context.db, identity, session.accountId)) !== undefined
  await recordAuditEvent(context.db, {
    type: 'session_confirmation',
    outcome: confirmed ? 'success' : 'mismatch',
    accountId: session.accountId,
    region: region.config.code,
    requestId: browser.requestId,
    details: { method: 'state_services', issuer: identity.issuer },
  })
  if (!confirmed)
    throw new BridgeError(
      'ERR_CONFIRMATION_MISMATCH',
      'State Services signed in another person than the owner of this diary',
    )
  await confirmSession(context.db, session.id, now, 'fed')
  const target = await findLinkById(context.db, purpose.unlinkId)
  if (target?.accountId !== session.accountId) return '/account'
  await context.db
    .transaction()
    .execute((trx) =>
      removeLink(
        trx,
        target,
        { kind: 'owner', sessionId: session.id },
        { now, requestId: browser.requestId, region: region.config.code },
      ),
    )
  return '/account?notice=unlinked'
}

export type BindingAttempt =
  | { kind: 'next'; location: string }
  | { kind: 'wrong_password' }
  /** The binding rules said no; the binding page stays, with the reason (`code`, from errors.ts). */
  | { kind: 'refused'; code: BridgeErrorCode }

/** POST /link: the diary login and password of the account to bind the State Services person to. */
export async function bindByPassword(
  context: RouteContext,
  browser: BrowserRequest,
  login: string,
  password: string,
): Promise<BindingAttempt> {
  const binding = browser.transaction.take('binding')
  const region = regionOf(context.regions, binding.region)
  const forSession =
    binding.forSession === undefined ? undefined : await askingSession(context, browser, binding.forSession)
  const account: Account | undefined = await attemptPassword(context, browser, {
    region: region.config.code,
    login,
    password,
    purpose: 'binding',
  })
  if (account === undefined) return { kind: 'wrong_password' }
  // "Link State Services" binds the person to the signed-in account only: another diary's password,
  // right as it may be, is answered as a wrong one (that is "link another diary", which asks for the person).
  if (binding.reason === 'link_account' && account.id !== forSession?.accountId) return { kind: 'wrong_password' }
  const { outcome, location } = await context.db.transaction().execute(async (trx) => {
    const result = await bindWithPassword(trx, linkContext(context, region, browser), binding, account)
    if (result.kind !== 'linked') return { outcome: result, location: undefined }
    // Single use only once it succeeds: after a refusal the person may still bind their own diary.
    await consume(context, binding.id, trx)
    if (forSession !== undefined) return { outcome: result, location: '/account?notice=diary_linked' }
    const session = {
      method: 'state_services' as const,
      upstreamIssuer: binding.issuer,
      upstreamSubject: binding.subject,
      // A binding proves the diary password, no more: the second-factor policy treats it as a password.
      verified: false,
    }
    return { outcome: result, location: await continueSignIn(context, browser, account, session, trx) }
  })
  if (forSession !== undefined && outcome.kind === 'linked') browser.transaction.abandon()
  countDecision(context, region.config.code, outcome, 'binding')
  switch (outcome.kind) {
    case 'linked':
      return { kind: 'next', location: location as string }
    case 'refused':
      return { kind: 'refused', code: refusalCodes[outcome.reason] }
    case 'conflict':
      browser.transaction.abandon()
      throw new BridgeError('ERR_LINK_CONFLICT', outcome.reason)
  }
}
