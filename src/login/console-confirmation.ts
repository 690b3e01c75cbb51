/*
 * The school console asks for a strong sign-in of the last minutes (console/console-access.ts); this is
 * how a signed-in person gives it without signing in again:
 * - an account with a second factor gives it (a step-up of the session, login/second-factor.ts): the
 *   session becomes strong and its sign-in time is now; the step comes back to /console
 * - an account without one, signed in in the last minutes, sets one up first (as at a step-up a diary
 *   module asks for); setting one up in an older session would need only someone's open browser, so
 *   such a person signs in again (a verified State Services sign-in is strong by itself)
 */
import type { RouteContext } from '../context.js'
import type { ActiveSession } from '../sessions/login-session.js'
import { confirmationMaxAgeSeconds } from './account.js'
import type { BrowserRequest } from './browser.js'
import { factorStepAfter, hasFactor } from './second-factor.js'

export type ConsoleConfirmation = { kind: 'go'; location: string } | { kind: 'sign_in_again' }

export async function confirmForConsole(
  context: RouteContext,
  browser: BrowserRequest,
  session: ActiveSession,
): Promise<ConsoleConfirmation> {
  const recent = context.now().getTime() - session.authenticatedAt.getTime() <= confirmationMaxAgeSeconds * 1000
  if (!recent && !(await hasFactor(context.db, session.accountId))) return { kind: 'sign_in_again' }
  // Asked as after a password: the factor is what proves the person now, whatever the session began with.
  const step = await factorStepAfter(
    context,
    browser,
    { accountId: session.accountId, method: 'password' },
    { stepUp: session.id, then: '/console', wantsStrong: true },
  )
  return step.kind === 'go' ? step : { kind: 'sign_in_again' }
}
