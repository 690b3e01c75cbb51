/*
 * The owner's second step (login/own-factors.ts decides, web/pages/factor.ts shows):
 *   GET  /account/security                 factors, recovery codes left, add and remove
 *   POST /account/security/confirm         the password again (changes need a recent sign-in)
 *   POST /account/security/passkey         a new passkey
 *   GET  /account/security/totp            a new one-time code app: QR code and key
 *   POST /account/security/totp            its first code
 *   POST /account/security/remove          remove one factor
 *   POST /account/security/recovery-codes  ten new recovery codes, shown once
 *   POST /account/security/done            after the recovery codes, back to the page
 * Without a session every one of them leads to the login page.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { defaultTimeZone } from '../config/schema.js'
import type { RouteContext } from '../context.js'
import { accountOf, confirmWithPassword } from '../login/account.js'
import type { FactorLabels } from '../login/factor-steps.js'
import {
  addOwnPasskey,
  confirmOwnTotp,
  type OwnChange,
  ownFactorsOverview,
  removeOwnFactor,
  renewOwnRecoveryCodes,
  startOwnTotp,
} from '../login/own-factors.js'
import { currentSession } from '../login/sign-in.js'
import type { ActiveSession } from '../sessions/login-session.js'
import { ConfirmPasswordForm, EmptyForm, FactorForm, OwnTotpForm, PasskeyForm, SecurityQuery } from './forms.js'
import { recoveryCodesPage, securityPage, totpEnrolPage } from './pages/factor.js'
import { browserRequest, formRoute, pageContext, pageRoute, sendPage } from './plugins.js'

const securityPath = '/account/security'

export const securityRoutes: FastifyPluginAsync<RouteContext> = async (app, context) => {
  const form = formRoute(app, context.config, securityPath)
  const labels = (request: FastifyRequest): FactorLabels => ({
    passkeyName: request.t.factor.passkeyName,
    totpName: request.t.factor.totpName,
    issuer: request.t.serviceName,
    locale: request.locale,
  })
  const signedIn = async (request: FastifyRequest) => {
    const browser = browserRequest(request, context)
    return { browser, session: await currentSession(context, browser) }
  }
  const render = async (
    request: FastifyRequest,
    reply: FastifyReply,
    session: ActiveSession,
    shown: { notice?: string; error?: string; status?: number } = {},
  ) => {
    const overview = await ownFactorsOverview(context, browserRequest(request, context), session, labels(request))
    const notices = request.t.security.notices
    return sendPage(
      reply,
      securityPage(pageContext(request, securityPath), {
        csrfToken: reply.generateCsrf(),
        factors: overview.factors,
        recoveryCodesLeft: overview.recoveryCodesLeft,
        confirmed: overview.confirmed,
        passkeyOptions: overview.passkeyOptions,
        timeZone: context.regions.get(overview.account.region)?.config.timeZone ?? defaultTimeZone,
        notice:
          shown.notice !== undefined && Object.hasOwn(notices, shown.notice)
            ? notices[shown.notice as keyof typeof notices]
            : undefined,
        error: shown.error,
      }),
      shown.status ?? 200,
    )
  }
  const codesOrBack = (request: FastifyRequest, reply: FastifyReply, codes: readonly string[], notice: string) =>
    codes.length === 0
      ? reply.redirect(`${securityPath}?notice=${notice}`, 303)
      : sendPage(
          reply,
          recoveryCodesPage(pageContext(request, securityPath), {
            csrfToken: reply.generateCsrf(),
            codes,
            action: `${securityPath}/done`,
          }),
        )
  const afterChange = (request: FastifyRequest, reply: FastifyReply, session: ActiveSession, change: OwnChange) =>
    change.kind === 'done'
      ? codesOrBack(request, reply, change.codes, 'added')
      : render(request, reply, session, { error: request.t.factor.passkeyFailed, status: 400 })

  app.get<{ Querystring: SecurityQuery }>(
    securityPath,
    { ...pageRoute, schema: { querystring: SecurityQuery } },
    async (request, reply) => {
      const { session } = await signedIn(request)
      if (session === undefined) return reply.redirect('/login', 303)
      return render(request, reply, session, { notice: request.query.notice })
    },
  )

  app.post<{ Body: ConfirmPasswordForm }>(
    `${securityPath}/confirm`,
    { ...form, schema: { body: ConfirmPasswordForm } },
    async (request, reply) => {
      const { browser, session } = await signedIn(request)
      if (session === undefined) return reply.redirect('/login', 303)
      const account = await accountOf(context, session)
      if (await confirmWithPassword(context, browser, session, account, request.body.password))
        return reply.redirect(securityPath, 303)
      return render(request, reply, session, { error: request.t.security.wrongPassword, status: 401 })
    },
  )

  app.post<{ Body: PasskeyForm }>(
    `${securityPath}/passkey`,
    { ...form, schema: { body: PasskeyForm } },
    async (request, reply) => {
      const { browser, session } = await signedIn(request)
      if (session === undefined) return reply.redirect('/login', 303)
      const change = await addOwnPasskey(context, browser, session, request.body.response, labels(request))
      return afterChange(request, reply, session, change)
    },
  )

  app.get(`${securityPath}/totp`, pageRoute, async (request, reply) => {
    const { session } = await signedIn(request)
    if (session === undefined) return reply.redirect('/login', 303)
    const setup = await startOwnTotp(context, session, labels(request))
    return sendPage(
      reply,
      totpEnrolPage(pageContext(request, securityPath), {
        csrfToken: reply.generateCsrf(),
        action: `${securityPath}/totp`,
        ...setup,
      }),
    )
  })

  app.post<{ Body: OwnTotpForm }>(
    `${securityPath}/totp`,
    { ...form, schema: { body: OwnTotpForm } },
    async (request, reply) => {
      const { browser, session } = await signedIn(request)
      if (session === undefined) return reply.redirect('/login', 303)
      const answer = await confirmOwnTotp(
        context,
        browser,
        session,
        { factorId: request.body.factor, code: request.body.code },
        labels(request),
      )
      if (answer.kind !== 'wrong') return afterChange(request, reply, session, answer)
      return sendPage(
        reply,
        totpEnrolPage(pageContext(request, securityPath), {
          csrfToken: reply.generateCsrf(),
          action: `${securityPath}/totp`,
          factorId: answer.factorId,
          qrSvg: answer.qrSvg,
          secret: answer.secret,
          error: request.t.factor.wrongCode,
        }),
        401,
      )
    },
  )

  app.post<{ Body: FactorForm }>(
    `${securityPath}/remove`,
    { ...form, schema: { body: FactorForm } },
    async (request, reply) => {
      const { browser, session } = await signedIn(request)
      if (session === undefined) return reply.redirect('/login', 303)
      await removeOwnFactor(context, browser, session, request.body.factor, request.locale)
      return reply.redirect(`${securityPath}?notice=removed`, 303)
    },
  )

  app.post(`${securityPath}/recovery-codes`, { ...form, schema: { body: EmptyForm } }, async (request, reply) => {
    const { browser, session } = await signedIn(request)
    if (session === undefined) return reply.redirect('/login', 303)
    return codesOrBack(request, reply, await renewOwnRecoveryCodes(context, browser, session, request.locale), 'added')
  })

  app.post(`${securityPath}/done`, { ...form, schema: { body: EmptyForm } }, async (_request, reply) =>
    reply.redirect(`${securityPath}?notice=added`, 303),
  )
}
