/*
 * Temporary passwords: an account imported (or reset by the support desk) with a temporary password
 * chooses its own at the first sign-in with it, before any session or token exists.
 *   GET /password/change    the form (only inside a login whose password was just verified)
 *   POST /password/change   login/complete-sign-in.ts: rules, save, every session ends, then the sign-in
 */
import type { FastifyPluginAsync } from 'fastify'
import type { RouteContext } from '../context.js'
import { passwordChangePath, replaceTemporaryPassword } from '../login/complete-sign-in.js'
import { accountSchool } from '../login/help.js'
import { NewPasswordForm } from './forms.js'
import { helpPath } from './pages/help.js'
import { passwordChangePage } from './pages/login.js'
import { browserRequest, formRoute, pageContext, pageRoute, sendPage } from './plugins.js'

export const passwordChangeRoutes: FastifyPluginAsync<RouteContext> = async (app, context) => {
  app.get(passwordChangePath, pageRoute, async (request, reply) => {
    const phase = browserRequest(request, context).transaction.take('password_change')
    // Its temporary password was just verified: the help link may name the account's school (pages/help.ts).
    const account = await accountSchool(context, phase.accountId)
    const help = account && helpPath(account.region, account.schoolId)
    return sendPage(
      reply,
      passwordChangePage({ ...pageContext(request), ...(help && { help }) }, { csrfToken: reply.generateCsrf() }),
    )
  })

  app.post<{ Body: NewPasswordForm }>(
    passwordChangePath,
    { ...formRoute(app, context.config, passwordChangePath), schema: { body: NewPasswordForm } },
    async (request, reply) => {
      const result = await replaceTemporaryPassword(context, browserRequest(request, context), request.body)
      if (result.kind === 'next') return reply.redirect(result.location, 303)
      return sendPage(
        reply,
        passwordChangePage(pageContext(request), { csrfToken: reply.generateCsrf(), problem: result.problem }),
        400,
      )
    },
  )
}
