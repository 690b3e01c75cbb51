/*
 * The provider's browser endpoints: GET|POST /authorize (login/authorization.ts decides), and
 * RP-initiated logout GET|POST /logout, its confirmation POST /logout/confirm and its return
 * GET /logout/done (login/logout.ts).
 */
import type { FastifyPluginAsync, FastifyRequest, RouteHandlerMethod } from 'fastify'
import type { RouteContext } from '../context.js'
import { beginAuthorization } from '../login/authorization.js'
import { confirmLogout, finishLogout, logout, logoutConfirmPath, logoutDonePath } from '../login/logout.js'
import { OAuthParameters } from './forms.js'
import { logoutConfirmationPage } from './pages/logout.js'
import { browserRequest, formRoute, pageContext, pageRoute, sendPage } from './plugins.js'

const parametersOf = (request: FastifyRequest) =>
  ((request.method === 'POST' ? request.body : request.query) ?? {}) as Record<string, unknown>

export const authorizeRoutes: FastifyPluginAsync<RouteContext> = async (app, context) => {
  // GET and POST alike (OIDC Core §3.1.2.1): the query of one, the form of the other, each checked by its schema.
  const oauthRoute = (url: string, handler: RouteHandlerMethod) => {
    app.get(url, { ...pageRoute, schema: { querystring: OAuthParameters } }, handler)
    app.post(url, { ...pageRoute, schema: { querystring: OAuthParameters, body: OAuthParameters } }, handler)
  }

  oauthRoute('/authorize', async (request, reply) =>
    reply.redirect(await beginAuthorization(context, browserRequest(request, context), parametersOf(request)), 303),
  )

  oauthRoute('/logout', async (request, reply) => {
    const outcome = await logout(context, browserRequest(request, context), parametersOf(request))
    if (outcome.kind === 'redirect') return reply.redirect(outcome.location, 303)
    return sendPage(
      reply,
      logoutConfirmationPage(pageContext(request), {
        csrfToken: reply.generateCsrf(),
        clientName: outcome.clientName?.[request.locale],
        parameters: outcome.parameters,
      }),
    )
  })

  app.post(
    logoutConfirmPath,
    { ...formRoute(app, context.config, '/login'), schema: { body: OAuthParameters } },
    async (request, reply) =>
      reply.redirect(
        await confirmLogout(context, browserRequest(request, context), request.body as Record<string, unknown>),
        303,
      ),
  )

  app.get(logoutDonePath, pageRoute, async (request, reply) =>
    reply.redirect(finishLogout(browserRequest(request, context)), 303),
  )
}
