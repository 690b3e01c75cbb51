/*
 * The authorization endpoint's decisions, shared by GET|POST /authorize and by every sign-in that a
 * diary module started:
 * - a valid request with a usable session (its account in a region the client serves, no prompt=login,
 *   younger than max_age) gets a code at once; otherwise the request waits in the login transaction
 *   while the person signs in, and prompt=none answers login_required
 * - the response always carries `iss` (RFC 9207) and the client's `state`
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { RouteContext } from '../context.js'
import type { ActiveSession } from '../sessions/login-session.js'
import { readLoginTransaction } from '../web/login-transaction.js'
import { type AuthorizationRequest, redirectWith } from './authorize-request.js'
import { issueAuthorizationCode } from './grants.js'

export type PendingAuthorization = AuthorizationRequest & { startedAt: number }

/** The authorization request waiting in the login transaction, if it is not too old. */
export function pendingAuthorization(request: FastifyRequest, context: RouteContext): PendingAuthorization | undefined {
  const pending = readLoginTransaction(request).authorize
  const ttl = context.config.bridge.loginTransactionTtlSeconds * 1000
  return pending !== undefined && context.now().getTime() - pending.startedAt <= ttl ? pending : undefined
}

export function errorRedirect(
  reply: FastifyReply,
  context: RouteContext,
  target: { redirectUri: string; state?: string },
  error: string,
  description: string,
) {
  return reply.redirect(
    redirectWith(target.redirectUri, { error, error_description: description, state: target.state, iss: context.config.publicUrl }),
    303,
  )
}

/** Whether an existing session can answer this request without asking the person to sign in. */
export function sessionSatisfies(authorization: AuthorizationRequest, session: ActiveSession, now: Date): boolean {
  if (authorization.prompt === 'login') return false
  if (authorization.maxAge !== undefined && now.getTime() - session.createdAt.getTime() > authorization.maxAge * 1000) return false
  return true
}

/** Issues the code for a signed-in session and sends the browser back to the diary module. */
export async function respondToAuthorization(
  request: FastifyRequest,
  reply: FastifyReply,
  context: RouteContext,
  authorization: AuthorizationRequest,
  session: ActiveSession,
) {
  const client = context.config.clients.get(authorization.clientId)
  const account = await context.db.selectFrom('diary_account').select(['id', 'region']).where('id', '=', session.accountId).executeTakeFirst()
  request.loginTx.set('authorize', undefined)
  if (client === undefined || account === undefined || !client.regions.includes(account.region)) {
    return errorRedirect(reply, context, authorization, 'access_denied', 'this diary module does not serve the region of the account')
  }
  const now = context.now()
  const code = await issueAuthorizationCode(context.db, {
    clientId: client.clientId,
    accountId: account.id,
    sessionId: session.id,
    redirectUri: authorization.redirectUri,
    scope: authorization.scope,
    nonce: authorization.nonce ?? null,
    codeChallenge: authorization.codeChallenge,
    authTime: session.createdAt,
    amr: session.method === 'password' ? 'pwd' : 'fed',
    ttlSeconds: context.config.bridge.tokens.authorizationCodeTtlSeconds,
    now,
  })
  await recordAuditEvent(context.db, {
    type: 'authorization_code',
    outcome: 'issued',
    accountId: account.id,
    region: account.region,
    clientId: client.clientId,
    requestId: request.id,
  })
  return reply.redirect(redirectWith(authorization.redirectUri, { code, state: authorization.state, iss: context.config.publicUrl }), 303)
}
