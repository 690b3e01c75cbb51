/*
 * "Forgot your password?" (the rules are in login/password-recovery.ts):
 *   GET  /password/forgot                  the ways this region offers, and the school
 *   POST /password/forgot                  a link by e-mail (the same "check your mail" page, always)
 *                                          or a code by SMS (then the code page, always)
 *   GET  /password/forgot/state-services   State Services says who you are (back through its callback)
 *   GET|POST /password/forgot/code         the SMS code
 *   GET  /password/reset?token=…           the e-mail link: opens the new-password step and drops the
 *                                          token from the address bar
 *   GET|POST /password/reset               the new password; then the login page
 * A message is sent after the page (web/deliver.ts).
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import {
  checkRecoveryCode,
  finishPasswordReset,
  openRecoveryLink,
  recoveryRules,
  recoveryWays,
  requestRecovery,
  resetPasswordPath,
} from '../login/password-recovery.js'
import { startStateServices } from '../login/state-services.js'
import { loginMethods } from '../regions/policy.js'
import { type Region, regionOf } from '../regions/registry.js'
import { CodeForm, ForgotForm, NewPasswordForm, TokenQuery } from './forms.js'
import {
  emailSentPage,
  forgotPasswordPage,
  forgotPasswordPath,
  newPasswordPage,
  recoveryCodePage,
  recoveryCodePath,
} from './pages/recovery.js'
import { deliverAfterAnswer } from './deliver.js'
import { browserRequest, formRoute, pageContext, pageRoute, sendPage } from './plugins.js'

export const recoveryRoutes: FastifyPluginAsync<RouteContext> = async (app, context) => {
  /** The region of this login, whose password form this recovery is for. */
  const recoveryRegion = (request: FastifyRequest): Region => {
    const region = regionOf(context.regions, browserRequest(request, context).transaction.region())
    if (!loginMethods(region.config, context.now()).password)
      throw new BridgeError('ERR_METHOD_DISABLED', 'password login is off in this region')
    return region
  }

  app.get(forgotPasswordPath, pageRoute, async (request, reply) => {
    if (browserRequest(request, context).transaction.region() === undefined) return reply.redirect('/login', 303)
    const region = recoveryRegion(request)
    const page = forgotPasswordPage(pageContext(request), {
      csrfToken: reply.generateCsrf(),
      regionName: region.config.name[request.locale],
      ways: recoveryWays(context, region),
    })
    return sendPage(reply, page)
  })

  app.post<{ Body: ForgotForm }>(
    forgotPasswordPath,
    { ...formRoute(app, context.config, forgotPasswordPath), schema: { body: ForgotForm } },
    async (request, reply) => {
      const { login, via } = request.body
      const delivery = await requestRecovery(context, browserRequest(request, context), {
        region: recoveryRegion(request),
        login,
        via,
        locale: request.locale,
      })
      deliverAfterAnswer(request, context, via === 'email' ? 'recovery_email' : 'recovery_sms', delivery)
      if (via === 'sms') return reply.redirect(recoveryCodePath, 303)
      return sendPage(
        reply,
        emailSentPage(pageContext(request, forgotPasswordPath), { minutes: recoveryRules.linkMinutes }),
      )
    },
  )

  app.get(`${forgotPasswordPath}/state-services`, pageRoute, async (request, reply) => {
    const browser = browserRequest(request, context)
    const region = recoveryRegion(request)
    if (!recoveryWays(context, region).stateServices)
      throw new BridgeError('ERR_METHOD_DISABLED', 'recovery through State Services is off in this region')
    return reply.redirect(
      await startStateServices(context, browser, {
        regionCode: region.config.code,
        purpose: { kind: 'recover' },
        locale: request.locale,
      }),
      303,
    )
  })

  const codePage = (
    request: FastifyRequest,
    csrfToken: string,
    problem?: Parameters<typeof recoveryCodePage>[1]['problem'],
  ) =>
    recoveryCodePage(pageContext(request, recoveryCodePath), {
      csrfToken,
      minutes: recoveryRules.codeMinutes,
      attempts: recoveryRules.codeAttempts,
      problem,
    })

  app.get(recoveryCodePath, pageRoute, async (request, reply) => {
    browserRequest(request, context).transaction.take('recovery_code')
    return sendPage(reply, codePage(request, reply.generateCsrf()))
  })

  app.post<{ Body: CodeForm }>(
    recoveryCodePath,
    { ...formRoute(app, context.config, recoveryCodePath), schema: { body: CodeForm } },
    async (request, reply) => {
      const result = await checkRecoveryCode(context, browserRequest(request, context), request.body.code)
      if (result.kind === 'right') return reply.redirect(resetPasswordPath, 303)
      return sendPage(reply, codePage(request, reply.generateCsrf(), result), 400)
    },
  )

  app.get<{ Querystring: TokenQuery }>(
    resetPasswordPath,
    { ...pageRoute, schema: { querystring: TokenQuery } },
    async (request, reply) => {
      const browser = browserRequest(request, context)
      if (request.query.token !== undefined) {
        await openRecoveryLink(context, browser, request.query.token)
        return reply.redirect(resetPasswordPath, 303)
      }
      browser.transaction.take('password_reset')
      return sendPage(
        reply,
        newPasswordPage(pageContext(request, resetPasswordPath), {
          action: resetPasswordPath,
          csrfToken: reply.generateCsrf(),
        }),
      )
    },
  )

  app.post<{ Body: NewPasswordForm }>(
    resetPasswordPath,
    { ...formRoute(app, context.config, resetPasswordPath), schema: { body: NewPasswordForm } },
    async (request, reply) => {
      const result = await finishPasswordReset(context, browserRequest(request, context), request.body)
      if (result.kind === 'done') return reply.redirect(result.location, 303)
      const page = newPasswordPage(pageContext(request, resetPasswordPath), {
        action: resetPasswordPath,
        csrfToken: reply.generateCsrf(),
        problem: result.problem,
      })
      return sendPage(reply, page, 400)
    },
  )
}
