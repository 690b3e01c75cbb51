/*
 * Signing a browser in and out.
 * - every sign-in gives the browser a new cookie; the server-side session is new too, unless the
 *   browser already holds an active session of the same account: then that one goes on, confirmed
 *   now (so diary modules that got tokens through it keep them); a session of another account ends
 * - a sign-in may run inside the caller's transaction (a State Services login starts its session in
 *   the transaction that read the link, see linking/link-account.ts)
 */
import type { Transaction } from 'kysely'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import type { AcrLevel, Database, SessionMethod } from '../db/schema.js'
import { endSessions } from '../sessions/end-sessions.js'
import {
  type ActiveSession,
  findActiveSession,
  renewSession,
  type SessionClock,
  startSession,
} from '../sessions/login-session.js'
import { describeBrowser } from '../sessions/browser-family.js'
import type { BrowserRequest } from './browser.js'

export type SignInContext = Pick<RouteContext, 'config' | 'db' | 'now'>

export interface NewSession {
  accountId: string
  method: SessionMethod
  upstreamIssuer?: string
  upstreamSubject?: string
  /** What the sign-in vouches for (login/second-factor.ts); absent: what `method` alone says. */
  assurance?: { amr: readonly string[]; acr: AcrLevel }
}

/** The clock by which sessions are active or idle. */
export function sessionClock(context: SignInContext): SessionClock {
  return { now: context.now(), idleTimeoutSeconds: context.config.bridge.session.idleTimeoutSeconds }
}

async function startOrRenew(
  context: SignInContext,
  browser: BrowserRequest,
  session: NewSession,
  trx: Transaction<Database>,
): Promise<ActiveSession> {
  const now = context.now()
  const previousId = browser.session.get('sid')
  const previous =
    previousId === undefined ? undefined : await findActiveSession(trx, previousId, sessionClock(context))
  if (previous?.accountId === session.accountId) return renewSession(trx, previous.id, { ...session, now })
  if (previousId !== undefined) await endSessions(trx, { sessionId: previousId }, 'replaced', now)
  return startSession(trx, {
    ...session,
    browser: describeBrowser(browser.userAgent) ?? null,
    lifetimeSeconds: context.config.bridge.session.absoluteLifetimeSeconds,
    now,
  })
}

export async function signIn(
  context: SignInContext,
  browser: BrowserRequest,
  session: NewSession,
  trx?: Transaction<Database>,
): Promise<ActiveSession> {
  const active =
    trx === undefined
      ? await context.db.transaction().execute((own) => startOrRenew(context, browser, session, own))
      : await startOrRenew(context, browser, session, trx)
  signedIn(browser, active.id)
  return active
}

/** The browser's side of a sign-in: a new session cookie holding the session id; the login transaction is over. */
export function signedIn(browser: BrowserRequest, sessionId: string): void {
  browser.session.regenerate()
  browser.session.set('sid', sessionId)
  browser.transaction.done()
}

export function currentSession(context: SignInContext, browser: BrowserRequest): Promise<ActiveSession | undefined> {
  const sid = browser.session.get('sid')
  return sid === undefined ? Promise.resolve(undefined) : findActiveSession(context.db, sid, sessionClock(context))
}

/**
 * The session that started a step (unlinking, linking another diary), if this browser still holds it and
 * it is active; otherwise ERR_LOGIN_EXPIRED.
 */
export async function askingSession(
  context: SignInContext,
  browser: BrowserRequest,
  sessionId: string,
): Promise<ActiveSession> {
  const session =
    browser.session.get('sid') === sessionId
      ? await findActiveSession(context.db, sessionId, sessionClock(context))
      : undefined
  if (session === undefined) throw new BridgeError('ERR_LOGIN_EXPIRED', 'the session that asked for this step is over')
  return session
}
