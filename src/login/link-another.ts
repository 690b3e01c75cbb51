/*
 * "Link another diary" from the account page: the signed-in person goes through State Services again
 * (purpose `link_another`), then binds another diary account with its login and password, under the
 * same binding rules as a login (linking/binding.ts), and comes back to the account page.
 * - only the person the session signed in through may do it: State Services must answer with the
 *   session's own issuer and subject (else `confirmation_mismatch`)
 * - the binding phase carries the session's id; the binding counts only while this browser still holds
 *   that session, which stays as it is (no sign-in into the other account)
 * Both steps are audit events (`link_another`, then `link_binding`).
 */
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import type { NeedsPasswordReason } from '../linking/match.js'
import { maskFullName } from '../person/full-name.js'
import { hmacSnils } from '../person/snils.js'
import type { Region } from '../regions/registry.js'
import type { Identity } from '../upstream/connector.js'
import type { BrowserRequest } from './browser.js'
import { askingSession } from './sign-in.js'
import type { UpstreamPurpose } from './transaction.js'

export const bindingPath = '/link'
export const linkAnotherPath = '/account/link-another'

/** The binding phase for this person: what State Services said of them, the HMAC of their SNILS, never the SNILS. */
export function toBindingPhase(
  context: RouteContext,
  browser: BrowserRequest,
  region: string,
  identity: Identity,
  why: { reason: NeedsPasswordReason | 'link_another'; forSession?: string },
): string {
  browser.transaction.toBinding({
    region,
    issuer: identity.issuer,
    subject: identity.subject,
    person: {
      familyName: identity.familyName,
      givenName: identity.givenName,
      patronymic: identity.patronymic,
      birthDate: identity.birthDate,
      verified: identity.verified,
      snilsHmac: identity.snils === undefined ? undefined : hmacSnils(context.config.secrets.snilsPepper.reveal(), identity.snils),
    },
    maskedName: maskFullName(identity),
    ...why,
  })
  return bindingPath
}

/** Back from State Services: the same person as the session's, then the binding page. */
export async function linkAnotherWith(
  context: RouteContext,
  browser: BrowserRequest,
  region: Region,
  identity: Identity,
  purpose: Extract<UpstreamPurpose, { kind: 'link_another' }>,
): Promise<string> {
  const session = await askingSession(context, browser, purpose.sessionId)
  const same = session.upstreamIssuer === identity.issuer && session.upstreamSubject === identity.subject
  await recordAuditEvent(context.db, {
    type: 'link_another',
    outcome: same ? 'success' : 'mismatch',
    accountId: session.accountId,
    region: region.config.code,
    requestId: browser.requestId,
    details: { issuer: identity.issuer },
  })
  if (!same) throw new BridgeError('ERR_CONFIRMATION_MISMATCH', 'State Services signed in another person than the one of this session')
  return toBindingPhase(context, browser, region.config.code, identity, { reason: 'link_another', forSession: session.id })
}
