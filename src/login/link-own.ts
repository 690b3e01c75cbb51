/*
 * "Link State Services" from the account page, for an owner who signed in with the diary password and
 * has no State Services link yet: State Services (purpose `link_account`), then the binding rules
 * (linking/binding.ts) against the session's own account, as for a binding by password.
 * - the session that asked must still be this browser's (else ERR_LOGIN_EXPIRED)
 * - a password sign-in at most 5 minutes old counts as the password: the link is made at once;
 *   an older session goes to the binding page, which asks for the diary password first
 * - a refusal of the rules is the error page with its reason; a conflict is `account_conflict`
 */
import { findAccountById } from '../accounts/account.repository.js'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import { bindWithPassword } from '../linking/link-account.js'
import type { Region } from '../regions/registry.js'
import type { Identity } from '../upstream/connector.js'
import { isRecentlyConfirmed } from './account.js'
import type { BrowserRequest } from './browser.js'
import { linkContext, pendingBindingOf, refusalCodes, toBindingPhase } from './link-another.js'
import { askingSession } from './sign-in.js'
import type { UpstreamPurpose } from './transaction.js'

export const linkAccountPath = '/account/link-state-services'

/** Back from State Services: the link to the session's account, or the binding page when the sign-in is not recent. */
export async function linkAccountWith(
  context: RouteContext,
  browser: BrowserRequest,
  region: Region,
  identity: Identity,
  purpose: Extract<UpstreamPurpose, { kind: 'link_account' }>,
): Promise<string> {
  const session = await askingSession(context, browser, purpose.sessionId)
  if (!isRecentlyConfirmed(session, context.now())) {
    return toBindingPhase(context, browser, region.config.code, identity, {
      reason: 'link_account',
      forSession: session.id,
    })
  }
  const account = await findAccountById(context.db, session.accountId)
  if (account === undefined) throw new BridgeError('ERR_LOGIN_EXPIRED', 'the account of this session is gone')
  const binding = pendingBindingOf(context, identity)
  const outcome = await context.db
    .transaction()
    .execute((trx) => bindWithPassword(trx, linkContext(context, region, browser), binding, account))
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
