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
import { BridgeError, type BridgeErrorCode } from '../errors.js'
import type { BindingRefusal } from '../linking/binding.js'
import type { LinkContext, PendingBinding } from '../linking/link-account.js'
import { maskFullName } from '../person/full-name.js'
import { hmacSnils } from '../person/snils.js'
import type { Region } from '../regions/registry.js'
import type { Identity } from '../upstream/connector.js'
import type { BrowserRequest } from './browser.js'
import { askingSession } from './sign-in.js'
import type { BindingReason, UpstreamPurpose } from './transaction.js'

export const bindingPath = '/link'
export const linkAnotherPath = '/account/link-another'

/** What the binding rules need to know of the region and the request. */
export const linkContext = (context: RouteContext, region: Region, browser: BrowserRequest): LinkContext => ({
  region: region.config,
  snilsPepper: context.config.secrets.snilsPepper.reveal(),
  requestId: browser.requestId,
  now: context.now(),
})

/** The public error of each refusal of the binding rules. */
export const refusalCodes: Record<BindingRefusal, BridgeErrorCode> = {
  name_unknown: 'ERR_BINDING_NAME_UNKNOWN',
  other_person: 'ERR_BINDING_OTHER_PERSON',
  snils_differs: 'ERR_BINDING_SNILS_DIFFERS',
  birth_date_differs: 'ERR_BINDING_BIRTH_DATE_DIFFERS',
}

/** What the binding rules need of a State Services person: the HMAC of their SNILS, never the SNILS. */
export function pendingBindingOf(context: RouteContext, identity: Identity): PendingBinding {
  return {
    issuer: identity.issuer,
    subject: identity.subject,
    person: {
      familyName: identity.familyName,
      givenName: identity.givenName,
      patronymic: identity.patronymic,
      birthDate: identity.birthDate,
      verified: identity.verified,
      snilsHmac:
        identity.snils === undefined
          ? undefined
          : hmacSnils(context.config.secrets.snilsPepper.reveal(), identity.snils),
    },
  }
}

/** The binding phase for this person (the binding page asks for a diary password next). */
export function toBindingPhase(
  context: RouteContext,
  browser: BrowserRequest,
  region: string,
  identity: Identity,
  why: { reason: BindingReason; forSession?: string },
): string {
  browser.transaction.toBinding({
    region,
    ...pendingBindingOf(context, identity),
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
  if (!same)
    throw new BridgeError(
      'ERR_CONFIRMATION_MISMATCH',
      'State Services signed in another person than the one of this session',
    )
  return toBindingPhase(context, browser, region.config.code, identity, {
    reason: 'link_another',
    forSession: session.id,
  })
}
