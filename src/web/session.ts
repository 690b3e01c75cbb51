/*
 * Signing a browser in and out. The cookie gets a new server-side session id at every sign-in (no
 * fixation); signing out ends the session row, so an old copy of the cookie no longer works.
 */
import type { FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import type { Config } from '../config/load.js'
import type { Database, SessionMethod } from '../db/schema.js'
import { type ActiveSession, endSession, findActiveSession, startSession } from '../sessions/login-session.js'

export interface WebRouteOptions {
  config: Config
  db: Kysely<Database>
  now: () => Date
}

export async function signIn(
  request: FastifyRequest,
  options: WebRouteOptions,
  session: { accountId: string; method: SessionMethod; upstreamIssuer?: string },
): Promise<void> {
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
