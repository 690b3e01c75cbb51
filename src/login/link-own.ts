/*
 * "Link State Services" from the account page, for an owner who signed in with the diary password and
 * has no State Services link yet: State Services (purpose `link_account`), then the binding rules
 * (linking/binding.ts) against the session's own account, as for a binding by password.
 * - offered (and started) only while the account has no link and its region offers State Services now
 * - the session that asked must still be this browser's (else ERR_LOGIN_EXPIRED), and its account is
 *   read within the region the flow started in (the scope is in the statement)
 * - a password sign-in at most 5 minutes old counts as the password: the link is made at once, with
 *   evidence `password: 'recent_sign_in'`; any other session (older, or signed in through State
 *   Services) goes to the binding page, which asks for this account's own diary password
 * - audit `link_account` (success, or the reason it went to the binding page); a refusal of the rules
 *   is the error page with its reason; a conflict is `account_conflict`
 */
import { findAccountById, findAccountInRegion } from '../accounts/account.repository.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import { listLinksOfAccount } from '../linking/identity-link.repository.js'
import { bindWithPassword } from '../linking/link-account.js'
import type { Region } from '../regions/registry.js'
import type { Identity } from '../upstream/connector.js'
import { canConfirmWithStateServices, isRecentlyConfirmed } from './account.js'
import type { BrowserRequest } from './browser.js'
import { linkContext, pendingBindingOf, refusalCodes, toBindingPhase } from './link-another.js'
import { askingSession } from './sign-in.js'
import type { ActiveSession } from '../sessions/login-session.js'
import type { UpstreamPurpose } from './transaction.js'

export const linkAccountPath = '/account/link-state-services'

/** Whether this session's account may start "Link State Services": no link yet, State Services offered now. */
export async function mayLinkStateServices(context: RouteContext, session: ActiveSession): Promise<boolean> {
  const account = await findAccountById(context.db, session.accountId)
  if (account === undefined || !canConfirmWithStateServices(context, account)) return false
  return (await listLinksOfAccount(context.db, account.id)).length === 0
}

/** Back from State Services: the link to the session's account, or the binding page when the sign-in is not recent. */
export async function linkAccountWith(
  context: RouteContext,
  browser: BrowserRequest,
  region: Region,
  identity: Identity,
  purpose: Extract<UpstreamPurpose, { kind: 'link_account' }>,
): Promise<string> {
  const session = await askingSession(context, browser, purpose.sessionId)
  const account = await findAccountInRegion(context.db, region.config.code, session.accountId)
  if (account === undefined)
    throw new BridgeError('ERR_LOGIN_EXPIRED', 'the account of this session is not of this region')
  const atOnce = session.method === 'password' && isRecentlyConfirmed(session, context.now())
  await recordAuditEvent(context.db, {
    type: 'link_account',
    outcome: atOnce ? 'recent_sign_in' : 'needs_password',
    accountId: account.id,
    region: region.config.code,
    requestId: browser.requestId,
    details: { issuer: identity.issuer, verified: identity.verified },
  })
  if (!atOnce) {
    return toBindingPhase(context, browser, region.config.code, identity, {
      reason: 'link_account',
      forSession: session.id,
    })
  }
  const binding = pendingBindingOf(context, identity)
  const outcome = await context.db
    .transaction()
    .execute((trx) => bindWithPassword(trx, linkContext(context, region, browser), binding, account, 'recent_sign_in'))
  switch (outcome.kind) {
    case 'linked':
      return '/account?notice=state_services_linked'
    case 'refused':
      throw new BridgeError(
        refusalCodes[outcome.reason],
        'the binding rules refused this State Services person for this diary',
      )
    case 'conflict':
      throw new BridgeError('ERR_LINK_CONFLICT', outcome.reason)
  }
}
