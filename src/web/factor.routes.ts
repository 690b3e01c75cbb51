/*
 * The second step of signing in (login/factor-steps.ts decides, web/pages/factor.ts shows):
 *   GET  /login/factor                 give a factor: one-time code, passkey, recovery code
 *   POST /login/factor/code            a one-time code or a recovery code
 *   POST /login/factor/passkey         a passkey's answer
 *   GET  /login/factor/enrol           set up a factor (why, and the two ways)
 *   POST /login/factor/enrol/passkey   the new passkey
 *   GET  /login/factor/enrol/totp      the one-time code app's QR code
 *   POST /login/factor/enrol/totp      its first code
 *   POST /login/factor/enrol/done      after the recovery codes, go on
 *   POST /login/factor/enrol/skip      put off (only while the region's policy allows it)
 * A wrong code or passkey shows the page again with the refusal (401), never whether the first step
 * was right: only a right one leads here.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { RouteContext } from '../context.js'
import {
  confirmTotpEnrolment,
  type EnrolAnswer,
  enrolPasskey,
  type FactorLabels,
  finishEnrolment,
  giveCode,
  givePasskey,
  showEnrolChoice,
  showFactorStep,
  skipEnrolment,
  startTotpEnrolment,
} from '../login/factor-steps.js'
import { enrolPath, factorPath } from '../login/second-factor.js'
import { EmptyForm, FactorCodeForm, PasskeyForm } from './forms.js'
import { enrolChoicePage, recoveryCodesPage, secondFactorPage, totpEnrolPage } from './pages/factor.js'
import { browserRequest, formRoute, pageContext, pageRoute, sendPage } from './plugins.js'

const totpPath = `${enrolPath}/totp`

export const factorRoutes: FastifyPluginAsync<RouteContext> = async (app, context) => {
  const labels = (request: FastifyRequest): FactorLabels => ({
    passkeyName: request.t.factor.passkeyName,
    totpName: request.t.factor.totpName,
    issuer: request.t.serviceName,
    locale: request.locale,
  })

  const factorPage = async (request: FastifyRequest, reply: FastifyReply, error?: string) => {
    const shown = await showFactorStep(context, browserRequest(request, context))
    return sendPage(
      reply,
      secondFactorPage(pageContext(request, factorPath), { csrfToken: reply.generateCsrf(), ...shown, error }),
      error === undefined ? 200 : 401,
    )
  }
  const enrolPage = async (request: FastifyRequest, reply: FastifyReply, error?: string) => {
    const shown = await showEnrolChoice(context, browserRequest(request, context), labels(request))
    return sendPage(
      reply,
      enrolChoicePage(pageContext(request, enrolPath), { csrfToken: reply.generateCsrf(), ...shown, error }),
      error === undefined ? 200 : 401,
    )
  }
  const afterEnrolment = (request: FastifyRequest, reply: FastifyReply, answer: EnrolAnswer) => {
    switch (answer.kind) {
      case 'next':
        return reply.redirect(answer.location, 303)
      case 'codes':
        return sendPage(
          reply,
          recoveryCodesPage(pageContext(request, enrolPath), {
            csrfToken: reply.generateCsrf(),
            codes: answer.codes,
            action: `${enrolPath}/done`,
          }),
        )
      case 'wrong':
        return sendPage(
          reply,
          totpEnrolPage(pageContext(request, totpPath), {
            csrfToken: reply.generateCsrf(),
            action: totpPath,
            qrSvg: answer.qrSvg,
            secret: answer.secret,
            error: request.t.factor.wrongCode,
          }),
          401,
        )
      case 'failed':
        return enrolPage(request, reply, request.t.factor.passkeyFailed)
    }
  }

  app.get(factorPath, pageRoute, (request, reply) => factorPage(request, reply))
  app.post<{ Body: FactorCodeForm }>(
    `${factorPath}/code`,
    { ...formRoute(app, context.config, factorPath), schema: { body: FactorCodeForm } },
    async (request, reply) => {
      const answer = await giveCode(context, browserRequest(request, context), request.body.code)
      if (answer.kind === 'next') return reply.redirect(answer.location, 303)
      return factorPage(request, reply, request.t.factor.wrongCode)
    },
  )
  app.post<{ Body: PasskeyForm }>(
    `${factorPath}/passkey`,
    { ...formRoute(app, context.config, factorPath), schema: { body: PasskeyForm } },
    async (request, reply) => {
      const answer = await givePasskey(context, browserRequest(request, context), request.body.response)
      if (answer.kind === 'next') return reply.redirect(answer.location, 303)
      return factorPage(request, reply, request.t.factor.passkeyFailed)
    },
  )

  app.get(enrolPath, pageRoute, (request, reply) => enrolPage(request, reply))
  app.post<{ Body: PasskeyForm }>(
    `${enrolPath}/passkey`,
    { ...formRoute(app, context.config, enrolPath), schema: { body: PasskeyForm } },
    async (request, reply) =>
      afterEnrolment(
        request,
        reply,
        await enrolPasskey(context, browserRequest(request, context), request.body.response, labels(request)),
      ),
  )
  app.get(totpPath, pageRoute, async (request, reply) => {
    const setup = await startTotpEnrolment(context, browserRequest(request, context), labels(request))
    return sendPage(
      reply,
      totpEnrolPage(pageContext(request), { csrfToken: reply.generateCsrf(), action: totpPath, ...setup }),
    )
  })
  app.post<{ Body: FactorCodeForm }>(
    totpPath,
    { ...formRoute(app, context.config, totpPath), schema: { body: FactorCodeForm } },
    async (request, reply) =>
      afterEnrolment(
        request,
        reply,
        await confirmTotpEnrolment(context, browserRequest(request, context), request.body.code, labels(request)),
      ),
  )
  app.post(
    `${enrolPath}/done`,
    { ...formRoute(app, context.config, enrolPath), schema: { body: EmptyForm } },
    async (request, reply) => reply.redirect(await finishEnrolment(context, browserRequest(request, context)), 303),
  )
  app.post(
    `${enrolPath}/skip`,
    { ...formRoute(app, context.config, enrolPath), schema: { body: EmptyForm } },
    async (request, reply) => reply.redirect(await skipEnrolment(context, browserRequest(request, context)), 303),
  )
}
