/*
 * The provider's browser endpoints: GET|POST /authorize (login/authorization.ts decides), and
 * RP-initiated logout GET|POST /logout with its return GET /logout/done (login/logout.ts).
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { RouteContext } from '../context.js'
import { beginAuthorization } from '../login/authorization.js'
import { finishLogout, logout, logoutDonePath } from '../login/logout.js'
import { browserRequest, pageRoute } from './plugins.js'

const parametersOf = (request: FastifyRequest) => ((request.method === 'POST' ? request.body : request.query) ?? {}) as Record<string, unknown>

export const authorizeRoutes: FastifyPluginAsync<RouteContext> = async (app, context) => {
  app.route({
    method: ['GET', 'POST'],
    url: '/authorize',
    ...pageRoute,
    handler: async (request, reply) => reply.redirect(await beginAuthorization(context, browserRequest(request, context), parametersOf(request)), 303),
  })

  app.route({
    method: ['GET', 'POST'],
    url: '/logout',
    ...pageRoute,
    handler: async (request, reply) => reply.redirect(await logout(context, browserRequest(request, context), parametersOf(request)), 303),
  })

  app.get(logoutDonePath, pageRoute, async (request, reply) => reply.redirect(finishLogout(browserRequest(request, context)), 303))
}
