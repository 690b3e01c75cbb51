/*
 * Signing a browser in and out. The cookie gets a new server-side session id at every sign-in (no
 * fixation); signing out ends the session row, so an old copy of the cookie no longer works.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { RouteContext } from '../context.js'
import type { SessionMethod } from '../db/schema.js'
import { pendingAuthorization, respondToAuthorization } from '../oauth/authorization.js'
import { type ActiveSession, endSession, findActiveSession, startSession } from '../sessions/login-session.js'

type WebRouteOptions = Pick<RouteContext, 'config' | 'db' | 'now'>

export async function signIn(
  request: FastifyRequest,
  options: WebRouteOptions,
  session: { accountId: string; method: SessionMethod; upstreamIssuer?: string },
): Promise<string> {
  const previous = request.session.get('sid')
  if (previous !== undefined) await endSession(options.db, previous, options.now())
  const sid = await startSession(options.db, {
    ...session,
    lifetimeSeconds: options.config.bridge.session.absoluteLifetimeSeconds,
    now: options.now(),
  })
  request.session.regenerate()
  request.session.set('sid', sid)
  request.loginTx.delete()
  return sid
}

/**
 * Signs in, then finishes what the login was for: the authorization request of a diary module that
 * sent the browser here, or else the bridge's own account page.
 */
export async function completeSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  context: RouteContext,
  session: { accountId: string; method: SessionMethod; upstreamIssuer?: string },
) {
  const pending = pendingAuthorization(request, context)
  const now = context.now()
  const id = await signIn(request, context, session)
  if (pending === undefined) return reply.redirect('/account', 303)
  return respondToAuthorization(request, reply, context, pending, {
    id,
    accountId: session.accountId,
    method: session.method,
    upstreamIssuer: session.upstreamIssuer ?? null,
    createdAt: now,
  })
}

export async function currentSession(request: FastifyRequest, options: WebRouteOptions): Promise<ActiveSession | undefined> {
  const sid = request.session.get('sid')
  return sid === undefined ? undefined : findActiveSession(options.db, sid, options.now())
}

export async function signOut(request: FastifyRequest, options: WebRouteOptions): Promise<void> {
  const sid = request.session.get('sid')
  if (sid !== undefined) await endSession(options.db, sid, options.now())
  request.session.delete()
}
