/*
 * The authorization endpoint's decisions (OIDC Core §3.1.2), for GET|POST /authorize and for every
 * sign-in that a diary module started:
 * - the request is validated (oauth/authorize-request.ts); an invalid one goes back to the client's
 *   redirect URI once the client and redirect URI are verified, and is a page otherwise
 * - a usable session (no prompt=login, younger than max_age, strong enough for acr_values, its account
 *   in a region the client serves) gets a code at once; otherwise the request waits in the login
 *   transaction while the person signs in, and prompt=none answers login_required
 * - a session too weak for acr_values (password held, mfa asked) is stepped up (`startStepUp`): the
 *   person gives only the missing factor (or enrols one first, login/second-factor.ts), and the session
 *   is raised; prompt=none answers interaction_required
 * - the code carries the session's auth_time, amr and acr (tokens/acr.ts amrOf, acrOf): what the person
 *   did, whatever was asked (acr is a voluntary claim: the module checks what it got)
 * - every answer carries `iss` (RFC 9207) and the client's `state`
 * Each function answers the location to send the browser to.
 */
import type { RouteContext } from '../context.js'
import type { Executor } from '../db/schema.js'
import { type AuthorizationRequest, redirectWith, validateAuthorizationRequest } from '../oauth/authorize-request.js'
import { issueAuthorizationCode } from '../oauth/authorization-code.repository.js'
import type { ActiveSession } from '../sessions/login-session.js'
import { acrOf, amrOf, type SessionVerdict, sessionSatisfies } from '../tokens/acr.js'
import type { BrowserRequest } from './browser.js'
import { confirmationMaxAgeSeconds } from './account.js'
import { factorStepAfter, hasFactor } from './second-factor.js'
import { currentSession } from './sign-in.js'

function errorLocation(
  context: RouteContext,
  target: { redirectUri: string; state?: string },
  error: string,
  description: string,
): string {
  return redirectWith(target.redirectUri, {
    error,
    error_description: description,
    state: target.state,
    iss: context.config.publicUrl,
  })
}

/**
 * Whether a signed-in session answers this request as it is (ok), only after the person signs in again
 * (prompt=login, max_age exceeded) or only after a second factor (step_up: acr_values asks for mfa).
 */
export function authorizationVerdict(
  authorization: AuthorizationRequest,
  session: ActiveSession,
  now: Date,
): SessionVerdict {
  if (authorization.prompt === 'login') return { kind: 'reauthenticate' }
  return sessionSatisfies({ acr: acrOf(session), authTime: session.authenticatedAt }, authorization, now)
}

/** The request waits in the login transaction while the person signs in: where to send the browser. */
function askToSignIn(browser: BrowserRequest, authorization: AuthorizationRequest): string {
  browser.transaction.awaitAuthorization(authorization)
  return authorization.region === undefined ? '/login' : `/login?region=${encodeURIComponent(authorization.region)}`
}

/**
 * A signed-in person must add a second factor for this request (acr_values asks for more than the
 * session holds): the request waits, and the person gives only the missing factor (or enrols one); the
 * factor step raises this session and answers the request (login/factor-steps.ts).
 */
export async function startStepUp(
  context: RouteContext,
  browser: BrowserRequest,
  authorization: AuthorizationRequest,
  session: ActiveSession,
): Promise<string> {
  // Setting up a factor in someone's signed-in browser must not be possible without their password: a
  // session that has no factor to give and was not confirmed in the last minutes signs in again first
  // (then the factor is set up right after the password).
  const recent = context.now().getTime() - session.authenticatedAt.getTime() <= confirmationMaxAgeSeconds * 1000
  if (!recent && !(await hasFactor(context.db, session.accountId))) return askToSignIn(browser, authorization)
  browser.transaction.awaitAuthorization(authorization)
  const step = await factorStepAfter(
    context,
    browser,
    {
      accountId: session.accountId,
      method: session.method,
      ...(session.upstreamIssuer !== null && { upstreamIssuer: session.upstreamIssuer }),
      ...(session.upstreamSubject !== null && { upstreamSubject: session.upstreamSubject }),
    },
    { stepUp: session.id, wantsStrong: true },
  )
  if (step.kind === 'go') return step.location
  browser.transaction.authorizationAnswered()
  return answerAuthorization(context, browser, authorization, session)
}

/**
 * Issues the code for a signed-in session: the client's redirect URI with `code`, `state` and `iss`.
 * `db` is the transaction that started the session, when there is one (the code refers to it).
 */
export async function answerAuthorization(
  context: RouteContext,
  browser: BrowserRequest,
  authorization: AuthorizationRequest,
  session: ActiveSession,
  db: Executor = context.db,
): Promise<string> {
  const client = context.config.clients.get(authorization.clientId)
  const now = context.now()
  const code =
    client === undefined
      ? undefined
      : await issueAuthorizationCode(db, {
          clientId: client.clientId,
          regions: client.regions,
          accountId: session.accountId,
          sessionId: session.id,
          redirectUri: authorization.redirectUri,
          scope: authorization.scope,
          nonce: authorization.nonce ?? null,
          codeChallenge: authorization.codeChallenge,
          authTime: session.authenticatedAt,
          amr: amrOf(session),
          acr: acrOf(session),
          ttlSeconds: context.config.bridge.tokens.authorizationCodeTtlSeconds,
          now,
          requestId: browser.requestId,
        })
  return codeLocation(context, authorization, code)
}

/** Where the browser takes the code; without one, the client does not serve the account's region. */
export function codeLocation(
  context: RouteContext,
  authorization: AuthorizationRequest,
  code: string | undefined,
): string {
  if (code === undefined)
    return errorLocation(
      context,
      authorization,
      'access_denied',
      'this diary module does not serve the region of the account',
    )
  return redirectWith(authorization.redirectUri, { code, state: authorization.state, iss: context.config.publicUrl })
}

/** GET|POST /authorize: answer at once, or keep the request and send the person to sign in. */
export async function beginAuthorization(
  context: RouteContext,
  browser: BrowserRequest,
  parameters: Record<string, unknown>,
): Promise<string> {
  const validation = validateAuthorizationRequest(parameters, context.config.clients, new Set(context.regions.keys()))
  if (!validation.ok) return errorLocation(context, validation, validation.error, validation.description)
  const authorization = validation.request
  const session = await currentSession(context, browser)
  if (session !== undefined) {
    const verdict = authorizationVerdict(authorization, session, context.now())
    switch (verdict.kind) {
      case 'ok':
        browser.transaction.authorizationAnswered()
        return answerAuthorization(context, browser, authorization, session)
      case 'step_up':
        if (authorization.prompt === 'none')
          return errorLocation(context, authorization, 'interaction_required', 'a second factor is required')
        return startStepUp(context, browser, authorization, session)
      case 'reauthenticate':
        break
    }
  }
  if (authorization.prompt === 'none')
    return errorLocation(context, authorization, 'login_required', 'the person is not signed in')
  return askToSignIn(browser, authorization)
}
