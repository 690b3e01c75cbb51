/*
 * Signing a browser in and out. Every sign-in gets a new server-side session and a new cookie (no
 * fixation); a session from before in the same browser ends. Signing out ends the session row, so an
 * old copy of the cookie no longer works.
 */
import type { RouteContext } from '../context.js'
import type { SessionMethod } from '../db/schema.js'
import { type EndedSession, endSessions } from '../sessions/end-sessions.js'
import { type ActiveSession, findActiveSession, startSession } from '../sessions/login-session.js'
import { describeBrowser } from '../sessions/browser-family.js'
import type { BrowserRequest } from './browser.js'

export type SignInContext = Pick<RouteContext, 'config' | 'db' | 'now'>

export interface NewSession {
  accountId: string
  method: SessionMethod
  upstreamIssuer?: string
}

export async function signIn(context: SignInContext, browser: BrowserRequest, session: NewSession): Promise<ActiveSession> {
  const now = context.now()
  const previous = browser.session.get('sid')
  if (previous !== undefined) await endSessions(context.db, { sessionId: previous }, 'replaced', now)
  const active = await startSession(context.db, {
    ...session,
    browser: describeBrowser(browser.userAgent) ?? null,
    lifetimeSeconds: context.config.bridge.session.absoluteLifetimeSeconds,
    now,
  })
  browser.session.regenerate()
  browser.session.set('sid', active.id)
  browser.transaction.done()
  return active
}

export function currentSession(context: SignInContext, browser: BrowserRequest): Promise<ActiveSession | undefined> {
  const sid = browser.session.get('sid')
  const clock = { now: context.now(), idleTimeoutSeconds: context.config.bridge.session.idleTimeoutSeconds }
  return sid === undefined ? Promise.resolve(undefined) : findActiveSession(context.db, sid, clock)
}

/** Ends this browser's session (and its refresh tokens) and forgets the cookie. */
export async function signOut(context: SignInContext, browser: BrowserRequest): Promise<EndedSession[]> {
  const sid = browser.session.get('sid')
  const ended = sid === undefined ? [] : await endSessions(context.db, { sessionId: sid }, 'logout', context.now())
  browser.session.delete()
  return ended
}
