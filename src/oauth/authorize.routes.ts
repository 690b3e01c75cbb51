/*
 * GET|POST /authorize (OIDC Core §3.1.2): validate, then answer at once from a usable session, or keep
 * the request in the login transaction and send the person to the login page of the client's region.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { RouteContext } from '../context.js'
import { pageRoute } from '../web/plugins.js'
import { currentSession } from '../web/session.js'
import { errorRedirect, respondToAuthorization, sessionSatisfies } from './authorization.js'
import { validateAuthorizationRequest } from './authorize-request.js'

export const authorizeRoutes: FastifyPluginAsync<RouteContext> = async (app, context) => {
  app.route({
    method: ['GET', 'POST'],
    url: '/authorize',
    ...pageRoute,
    handler: async (request, reply) => {
      const parameters = (request.method === 'POST' ? request.body : request.query) as Record<string, unknown>
      const validation = validateAuthorizationRequest(parameters ?? {}, context.config.clients, new Set(context.regions.keys()))
      if (!validation.ok) return errorRedirect(reply, context, validation, validation.error, validation.description)
      const authorization = validation.request
      const session = await currentSession(request, context)
      if (session !== undefined && sessionSatisfies(authorization, session, context.now())) {
        return respondToAuthorization(request, reply, context, authorization, session)
      }
      if (authorization.prompt === 'none') {
        return errorRedirect(reply, context, authorization, 'login_required', 'the person is not signed in')
      }
      request.loginTx.set('upstream', undefined)
      request.loginTx.set('binding', undefined)
      request.loginTx.set('authorize', { ...authorization, startedAt: context.now().getTime() })
      return reply.redirect(authorization.region === undefined ? '/login' : `/login?region=${encodeURIComponent(authorization.region)}`, 303)
    },
  })
}
