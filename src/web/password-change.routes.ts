/*
 * Temporary passwords: an account imported with an initial password must choose its own at the first
 * sign-in with it, before any session or token exists.
 *   GET /password/change    the form (only inside a login whose password was just verified)
 *   POST /password/change   rules (password-policy.ts), hash, save; every other session of the
 *                           account ends and its refresh tokens are revoked; then the sign-in completes
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { checkNewPassword } from '../accounts/password-policy.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { RouteContext } from '../context.js'
import type { DiaryAccountRow, SessionMethod } from '../db/schema.js'
import { revokeFamilies } from '../oauth/grants.js'
import { endAccountSessions } from '../sessions/login-session.js'
import { requirePhase } from './login-transaction.js'
import { passwordChangePage } from './pages.js'
import { formRoute, pageContext, pageRoute, sendPage } from './plugins.js'
import { completeSignIn } from './session.js'

/** After a verified password: the password change first when it is temporary, else the sign-in. */
export async function continueSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  context: RouteContext,
  account: DiaryAccountRow,
  session: { method: SessionMethod; upstreamIssuer?: string },
) {
  if (!account.must_change_password) return completeSignIn(request, reply, context, { accountId: account.id, ...session })
  request.loginTx.set('binding', undefined)
  request.loginTx.set('passwordChange', { accountId: account.id, ...session, startedAt: context.now().getTime() })
  return reply.redirect('/password/change', 303)
}

export const passwordChangeRoutes: FastifyPluginAsync<RouteContext> = async (app, context) => {
  const ttl = context.config.bridge.loginTransactionTtlSeconds

  const pending = (request: FastifyRequest) => requirePhase(request, 'passwordChange', ttl, context.now().getTime())

  app.get('/password/change', pageRoute, async (request, reply) => {
    pending(request)
    return sendPage(reply, passwordChangePage(pageContext(request), { csrfToken: reply.generateCsrf() }))
  })

  app.post<{ Body: { password?: string; repeat?: string } }>('/password/change', formRoute(app), async (request, reply) => {
    const change = pending(request)
    const account = await context.db.selectFrom('diary_account').selectAll().where('id', '=', change.accountId).executeTakeFirstOrThrow()
    const password = String(request.body?.password ?? '')
    const problem = checkNewPassword(password, String(request.body?.repeat ?? ''), { login: account.login, birthDate: account.birth_date })
    if (problem !== undefined) {
      return sendPage(reply, passwordChangePage(pageContext(request), { csrfToken: reply.generateCsrf(), problem }), 400)
    }
    const hash = await context.hasher.hash(password)
    const now = context.now()
    await context.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('diary_account')
        .set({ password_hash: hash, must_change_password: false, password_changed_at: now, updated_at: now })
        .where('id', '=', account.id)
        .execute()
      await endAccountSessions(trx, account.id, now)
      await revokeFamilies(trx, { accountId: account.id }, 'password_change', now)
      await recordAuditEvent(trx, { type: 'password_change', outcome: 'success', accountId: account.id, region: account.region, requestId: request.id })
    })
    return completeSignIn(request, reply, context, { accountId: account.id, method: change.method, upstreamIssuer: change.upstreamIssuer })
  })
}
