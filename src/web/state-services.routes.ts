/*
 * "Log in through State Services" (the flow is login/state-services.ts):
 *   GET /login/state-services            starts the upstream flow for the region of the current login
 *   GET /login/state-services/callback   ends it: signed in, the binding page, or a confirmation done
 *   GET|POST /link                       binding with the diary login and password
 *   GET|POST /login/choose-account       the chooser, when the person has several diaries in the region
 * A region whose state-services login is off answers 404 on both upstream routes.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { RouteContext } from '../context.js'
import { toErrorResponse, BridgeError } from '../errors.js'
import { accountOptions, chooseAccount, chooseAccountPath } from '../login/account-choice.js'
import { bindByPassword, bindingPath, finishStateServices, startStateServices } from '../login/state-services.js'
import { stateServicesCallbackPath } from '../regions/registry.js'
import { ChooseAccountForm, PasswordLoginForm } from './forms.js'
import { bindingPage, chooseAccountPage } from './pages/login.js'
import { browserRequest, formRoute, pageContext, pageRoute, sendPage } from './plugins.js'

export const stateServicesRoutes: FastifyPluginAsync<RouteContext> = async (app, context) => {
  app.get('/login/state-services', pageRoute, async (request, reply) => {
    const browser = browserRequest(request, context)
    const location = await startStateServices(context, browser, {
      regionCode: browser.transaction.region(),
      purpose: { kind: 'sign_in' },
      locale: request.locale,
    })
    return reply.redirect(location, 302)
  })

  app.get(stateServicesCallbackPath, pageRoute, async (request, reply) => {
    const query = new URL(request.url, 'http://bridge.invalid').search
    return reply.redirect(await finishStateServices(context, browserRequest(request, context), query), 303)
  })

  const renderBinding = (
    request: FastifyRequest,
    reply: FastifyReply,
    extra: { error?: string; login?: string; refusal?: { code: string; requestId: string } } = {},
  ) => {
    const binding = browserRequest(request, context).transaction.take('binding')
    return bindingPage(pageContext(request), {
      maskedName: binding.maskedName,
      reason: binding.reason,
      csrfToken: reply.generateCsrf(),
      ...extra,
    })
  }

  app.get(bindingPath, pageRoute, async (request, reply) => sendPage(reply, renderBinding(request, reply)))

  app.post<{ Body: PasswordLoginForm }>(
    bindingPath,
    { ...formRoute(app, context.config, bindingPath), schema: { body: PasswordLoginForm } },
    async (request, reply) => {
      const { login, password } = request.body
      const attempt = await bindByPassword(context, browserRequest(request, context), login, password)
      switch (attempt.kind) {
        case 'next':
          return reply.redirect(attempt.location, 303)
        case 'wrong_password':
          return sendPage(reply, renderBinding(request, reply, { error: request.t.wrongCredentials, login }), 401)
        case 'refused': {
          const refusal = toErrorResponse(new BridgeError(attempt.code, 'binding refused'), request.id)
          return sendPage(
            reply,
            renderBinding(request, reply, { refusal: { code: refusal.body.error, requestId: request.id } }),
            refusal.status,
          )
        }
      }
    },
  )

  app.get(chooseAccountPath, pageRoute, async (request, reply) => {
    const accounts = await accountOptions(context, browserRequest(request, context))
    const view = accounts.map((account) => ({
      ...account,
      regionName: context.regions.get(account.region)?.config.name[request.locale] ?? account.region,
    }))
    return sendPage(reply, chooseAccountPage(pageContext(request), { csrfToken: reply.generateCsrf(), accounts: view }))
  })

  app.post<{ Body: ChooseAccountForm }>(
    chooseAccountPath,
    { ...formRoute(app, context.config, chooseAccountPath), schema: { body: ChooseAccountForm } },
    async (request, reply) => {
      return reply.redirect(await chooseAccount(context, browserRequest(request, context), request.body.account), 303)
    },
  )
}
