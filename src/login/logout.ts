/*
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), GET|POST /logout:
 * - `id_token_hint` must be an ID token of this bridge (an expired one is fine); `client_id`, when
 *   given too, must be its audience; `post_logout_redirect_uri` must be registered for the client
 *   (exact match) and gets `state` back
 * - the browser's own session ends, and the session named by the hint's `sid` when it belongs to the
 *   hint's `sub`, idle or not; their refresh tokens are revoked (sessions/end-sessions.ts); each is an
 *   audit event
 * - a session that came from State Services continues to the provider's end-session endpoint, which
 *   returns to GET /logout/done, which sends the browser where the client asked
 * Each function answers the location to send the browser to.
 */
import { findAccountById } from '../accounts/account.repository.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import { redirectWith } from '../oauth/authorize-request.js'
import { regionOfIssuer } from '../regions/registry.js'
import { endSessions } from '../sessions/end-sessions.js'
import { findUnendedSession } from '../sessions/login-session.js'
import { verifyOwnIdTokenHint } from '../tokens/verify-own.js'
import type { BrowserRequest } from './browser.js'

export const logoutDonePath = '/logout/done'

export async function logout(context: RouteContext, browser: BrowserRequest, parameters: Record<string, unknown>): Promise<string> {
  const { config, db } = context
  const param = (name: string) => (typeof parameters[name] === 'string' && parameters[name] !== '' ? parameters[name] : undefined)
  const hintText = param('id_token_hint')
  const hint = hintText === undefined ? undefined : await verifyOwnIdTokenHint(context.keys, hintText, config.publicUrl)
  if (hintText !== undefined && hint === undefined) throw new BridgeError('ERR_OAUTH_INVALID_REQUEST', 'id_token_hint is not an ID token of this bridge')
  const hintClient = hint === undefined ? undefined : [hint.aud].flat()[0]
  const clientId = param('client_id') ?? hintClient
  if (hintClient !== undefined && clientId !== hintClient) throw new BridgeError('ERR_OAUTH_INVALID_REQUEST', 'client_id does not match id_token_hint')
  const postLogout = param('post_logout_redirect_uri')
  const client = clientId === undefined ? undefined : config.clients.get(clientId)
  if (postLogout !== undefined && (client === undefined || !client.postLogoutRedirectUris.includes(postLogout))) {
    throw new BridgeError('ERR_REDIRECT_URI_MISMATCH', 'post_logout_redirect_uri is not registered for this client')
  }

  const now = context.now()
  const sessionIds = new Set<string>()
  const cookieSession = browser.session.get('sid')
  if (cookieSession !== undefined) sessionIds.add(cookieSession)
  if (typeof hint?.sid === 'string') sessionIds.add(hint.sid)
  let signedInThrough: { issuer: string; accountId: string } | undefined
  for (const id of sessionIds) {
    // Idle or expired sessions end too: their refresh tokens must not outlive the logout.
    const session = await findUnendedSession(db, id)
    if (session === undefined || (hint !== undefined && id === hint.sid && session.accountId !== hint.sub)) continue
    if (session.upstreamIssuer !== null) signedInThrough ??= { issuer: session.upstreamIssuer, accountId: session.accountId }
    await db.transaction().execute(async (trx) => {
      await endSessions(trx, { sessionId: id }, 'logout', now)
      await recordAuditEvent(trx, { type: 'logout', outcome: 'success', accountId: session.accountId, clientId: clientId ?? null, requestId: browser.requestId })
    })
  }
  browser.session.delete()

  const final = postLogout === undefined ? '/login' : redirectWith(postLogout, { state: param('state') })
  // Regions may share an issuer (every ESIA region's is ESIA's): the account's region has the right client id.
  const accountRegion = signedInThrough && (await findAccountById(db, signedInThrough.accountId))?.region
  const connector = signedInThrough && regionOfIssuer(context.regions, signedInThrough.issuer, accountRegion)?.connector
  const upstream = connector && (await connector.endSessionUrl(`${config.publicUrl}${logoutDonePath}`).catch(() => undefined))
  if (upstream === undefined) return final
  browser.transaction.toLogout(final)
  return upstream.href
}

/** GET /logout/done: back from the provider's logout, on to where the client asked (else the login page). */
export function finishLogout(browser: BrowserRequest): string {
  let target = '/login'
  try {
    target = browser.transaction.take('logout').redirectUri
  } catch {
    // No logout in progress (or too old): the login page is the right place anyway.
  }
  browser.transaction.done()
  return target
}
