/*
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), GET|POST /logout:
 * - `id_token_hint` must be an ID token of this bridge (an expired one is fine: it still names the
 *   client); `client_id`, when given too, must be its audience; `post_logout_redirect_uri` must be
 *   registered for the client (exact match) and gets `state` back
 * - it ends sessions at once only when the hint and this browser's own session cookie vouch for each
 *   other: a session that is not ended and belongs to the hint's `sub`. Anything less (a hint without such
 *   a cookie: another browser, a cross-site POST, a copied link; a cookie without a hint: any site can link
 *   to /logout) only gets a confirmation page, whose CSRF-protected form (POST /logout/confirm) ends them
 *   (§2: the OP asks the End-User whether to log out). The account page signs out through that form.
 *   With neither there is nothing to end: straight on to where the client asked
 * - what ends: this browser's session, and the session named by the hint's `sid` when it belongs to the
 *   hint's `sub` and the hint has not expired (an expired hint never ends a session by itself), idle or
 *   not; their refresh tokens are revoked (sessions/end-sessions.ts); each is an audit event
 * - a session that came from State Services continues to the provider's end-session endpoint, which
 *   returns to GET /logout/done, which sends the browser where the client asked
 */
import type { JWTPayload } from 'jose'
import { findAccountById } from '../accounts/account.repository.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { ClientConfig } from '../config/load.js'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import { redirectWith } from '../oauth/authorize-request.js'
import { regionOfIssuer } from '../regions/registry.js'
import { endSessions } from '../sessions/end-sessions.js'
import { type ActiveSession, findUnendedSession } from '../sessions/login-session.js'
import { verifyOwnIdTokenHint } from '../tokens/verify-own.js'
import type { BrowserRequest } from './browser.js'

export const logoutDonePath = '/logout/done'
export const logoutConfirmPath = '/logout/confirm'

const parameterNames = ['id_token_hint', 'client_id', 'post_logout_redirect_uri', 'state'] as const

/** The request's own parameters: what the confirmation form sends again. */
export type LogoutParameters = Partial<Record<(typeof parameterNames)[number], string>>

export type LogoutOutcome =
  | { kind: 'redirect'; location: string }
  | { kind: 'confirm'; clientName: { ru: string; en: string } | undefined; parameters: LogoutParameters }

interface LogoutRequest {
  parameters: LogoutParameters
  hint: JWTPayload | undefined
  hintExpired: boolean
  clientId: string | undefined
  client: ClientConfig | undefined
}

async function readLogoutRequest(context: RouteContext, raw: Record<string, unknown>): Promise<LogoutRequest> {
  const { config } = context
  const parameters: LogoutParameters = {}
  for (const name of parameterNames) if (typeof raw[name] === 'string' && raw[name] !== '') parameters[name] = raw[name]
  const hint =
    parameters.id_token_hint === undefined
      ? undefined
      : await verifyOwnIdTokenHint(context.keys, parameters.id_token_hint, config.publicUrl)
  if (parameters.id_token_hint !== undefined && hint === undefined)
    throw new BridgeError('ERR_OAUTH_INVALID_REQUEST', 'id_token_hint is not an ID token of this bridge')
  const hintClient = hint === undefined ? undefined : [hint.aud].flat()[0]
  const clientId = parameters.client_id ?? hintClient
  if (hintClient !== undefined && clientId !== hintClient)
    throw new BridgeError('ERR_OAUTH_INVALID_REQUEST', 'client_id does not match id_token_hint')
  const client = clientId === undefined ? undefined : config.clients.get(clientId)
  const postLogout = parameters.post_logout_redirect_uri
  if (postLogout !== undefined && (client === undefined || !client.postLogoutRedirectUris.includes(postLogout))) {
    throw new BridgeError('ERR_REDIRECT_URI_MISMATCH', 'post_logout_redirect_uri is not registered for this client')
  }
  const hintExpired = hint !== undefined && (typeof hint.exp !== 'number' || hint.exp * 1000 <= context.now().getTime())
  return { parameters, hint, hintExpired, clientId, client }
}

/** GET|POST /logout: ends the sessions when this browser's cookie vouches for the request, otherwise asks first. */
export async function logout(
  context: RouteContext,
  browser: BrowserRequest,
  raw: Record<string, unknown>,
): Promise<LogoutOutcome> {
  const request = await readLogoutRequest(context, raw)
  const cookieId = browser.session.get('sid')
  const own = cookieId === undefined ? undefined : await findUnendedSession(context.db, cookieId)
  const vouched = own !== undefined && request.hint !== undefined && own.accountId === request.hint.sub
  const nothingToEnd = own === undefined && request.hint === undefined
  if (!vouched && !nothingToEnd)
    return { kind: 'confirm', clientName: request.client?.name, parameters: request.parameters }
  return { kind: 'redirect', location: await endAndLeave(context, browser, request, own) }
}

/** POST /logout/confirm (its CSRF token checked before): the person said yes. */
export async function confirmLogout(
  context: RouteContext,
  browser: BrowserRequest,
  raw: Record<string, unknown>,
): Promise<string> {
  const request = await readLogoutRequest(context, raw)
  const cookieId = browser.session.get('sid')
  return endAndLeave(
    context,
    browser,
    request,
    cookieId === undefined ? undefined : await findUnendedSession(context.db, cookieId),
  )
}

async function endAndLeave(
  context: RouteContext,
  browser: BrowserRequest,
  request: LogoutRequest,
  own: ActiveSession | undefined,
): Promise<string> {
  const { config, db } = context
  const now = context.now()
  const ending: ActiveSession[] = own === undefined ? [] : [own]
  const sid = request.hint?.sid
  if (!request.hintExpired && typeof sid === 'string' && sid !== own?.id) {
    // Idle or expired sessions end too: their refresh tokens must not outlive the logout.
    const named = await findUnendedSession(db, sid)
    if (named !== undefined && named.accountId === request.hint?.sub) ending.push(named)
  }
  for (const session of ending) {
    await db.transaction().execute(async (trx) => {
      await endSessions(trx, { sessionId: session.id }, 'logout', now)
      await recordAuditEvent(trx, {
        type: 'logout',
        outcome: 'success',
        accountId: session.accountId,
        clientId: request.clientId ?? null,
        requestId: browser.requestId,
      })
    })
  }
  browser.session.delete()

  const postLogout = request.parameters.post_logout_redirect_uri
  const final = postLogout === undefined ? '/login' : redirectWith(postLogout, { state: request.parameters.state })
  const signedInThrough = ending.find((session) => session.upstreamIssuer !== null)
  if (signedInThrough === undefined || signedInThrough.upstreamIssuer === null) return final
  // Regions may share an issuer (every ESIA region's is ESIA's): the account's region has the right client id.
  const accountRegion = (await findAccountById(db, signedInThrough.accountId))?.region
  const connector = regionOfIssuer(context.regions, signedInThrough.upstreamIssuer, accountRegion)?.connector
  const upstream =
    connector && (await connector.endSessionUrl(`${config.publicUrl}${logoutDonePath}`).catch(() => undefined))
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
