/*
 * GET|POST /logout (OpenID Connect RP-Initiated Logout 1.0):
 * - `id_token_hint` must be an ID token this bridge signed (expired is fine); it names the client and
 *   the session (`sid`) to end even when the browser no longer sends its cookie
 * - `post_logout_redirect_uri` must be registered for that client, exactly; otherwise nothing is
 *   redirected and a page says so
 * - the bridge session ends server-side and its refresh tokens are revoked
 * - a session that came from state services goes on to the provider's end-session endpoint, which
 *   returns to GET /logout/done, which sends the browser where the client asked
 */
import type { FastifyPluginAsync } from 'fastify'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import { endSession, findActiveSession } from '../sessions/login-session.js'
import { verifyOwnIdTokenHint } from '../tokens/verify-own.js'
import { requirePhase } from '../web/login-transaction.js'
import { pageRoute } from '../web/plugins.js'
import { redirectWith } from './authorize-request.js'
import { revokeFamilies } from './grants.js'

export const logoutDonePath = '/logout/done'

export const logoutRoutes: FastifyPluginAsync<RouteContext> = async (app, context) => {
  const { db } = context

  app.route({
    method: ['GET', 'POST'],
    url: '/logout',
    ...pageRoute,
    handler: async (request, reply) => {
      const { config } = context
      const parameters = ((request.method === 'POST' ? request.body : request.query) ?? {}) as Record<string, unknown>
      const param = (name: string) => (typeof parameters[name] === 'string' && parameters[name] !== '' ? (parameters[name]) : undefined)
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
      const cookieSession = request.session.get('sid')
      if (cookieSession !== undefined) sessionIds.add(cookieSession)
      if (typeof hint?.sid === 'string') sessionIds.add(hint.sid)
      let upstreamIssuer: string | null = null
      for (const id of sessionIds) {
        const session = await findActiveSession(db, id, now)
        if (session === undefined || (hint !== undefined && id === hint.sid && session.accountId !== hint.sub)) continue
        upstreamIssuer ??= session.upstreamIssuer
        await endSession(db, id, now)
        await revokeFamilies(db, { sessionId: id }, 'logout', now)
        await recordAuditEvent(db, { type: 'logout', outcome: 'success', accountId: session.accountId, clientId: clientId ?? null, requestId: request.id })
      }
      request.session.delete()

      const final = postLogout === undefined ? '/login' : redirectWith(postLogout, { state: param('state') })
      const connector = [...context.regions.values()].find((region) => region.connector?.issuer === upstreamIssuer)?.connector
      const upstream = connector && (await connector.endSessionUrl(`${config.publicUrl}${logoutDonePath}`).catch(() => undefined))
      if (upstream === undefined) return reply.redirect(final, 303)
      request.loginTx.set('logout', { redirectUri: final, startedAt: now.getTime() })
      return reply.redirect(upstream.href, 303)
    },
  })

  app.get(logoutDonePath, pageRoute, async (request, reply) => {
    let target = '/login'
    try {
      target = requirePhase(request, 'logout', context.config.bridge.loginTransactionTtlSeconds, context.now().getTime()).redirectUri
    } catch {
      // No logout in progress (or too old): the login page is the right place anyway.
    }
    request.loginTx.delete()
    return reply.redirect(target, 303)
  })
}
