/*
 * GET /account: the bridge's own page for a login started directly at /login: who you are, how you
 * signed in, whether your diary is linked to State Services.
 */
import type { FastifyPluginAsync } from 'fastify'
import { accountPage } from './pages.js'
import { pageContext, pageRoute, sendPage } from './plugins.js'
import type { RouteContext } from '../context.js'
import { currentSession } from './session.js'

export const accountRoutes: FastifyPluginAsync<RouteContext> = async (app, options) => {
  app.get('/account', pageRoute, async (request, reply) => {
    const session = await currentSession(request, options)
    if (session === undefined) return reply.redirect('/login', 303)
    const account = await options.db
      .selectFrom('diary_account')
      .selectAll()
      .where('id', '=', session.accountId)
      .executeTakeFirstOrThrow()
    const link = await options.db
      .selectFrom('identity_link')
      .select('method')
      .where('account_id', '=', account.id)
      .orderBy('created_at', 'desc')
      .executeTakeFirst()
    return sendPage(
      reply,
      accountPage(pageContext(request), {
        login: account.login,
        fullName: [account.family_name, account.given_name, account.patronymic].filter(Boolean).join(' '),
        role: account.role,
        regionName: options.regions.get(account.region)?.config.name[request.locale] ?? account.region,
        school: account.school,
        className: account.class_name,
        method: session.method,
        linked: link?.method,
      }),
    )
  })
}
