/*
 * The owner's account page and its forms (the rules are in login/account.ts):
 *   GET  /account                            who you are, links, sessions, password
 *   POST /account/unlink                     remove a State Services link (confirm first when the last
 *                                            sign-in is older than 5 minutes: password here, or…)
 *   POST /account/unlink/state-services      …a State Services login, which comes back and unlinks
 *   POST /account/link-another               "link another diary": State Services, then the binding page
 *   POST /account/link-state-services        "link State Services" after a password sign-in (login/link-own.ts)
 *   POST /account/sign-out-everywhere        every session and refresh token of the account ends
 *   POST /account/password                   change the password (the current one first)
 *   POST /account/email, /account/phone      confirm a new (or the unconfirmed) e-mail or phone: a link
 *                                            or a code is sent (login/contacts.ts)
 *   POST /account/phone/confirm              the code sent to the phone
 * Without a session every one of them leads to the login page. The link of a confirmation e-mail works
 * without one, in any browser: GET /account/email/confirm?token=… shows a button, its POST confirms.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { defaultTimeZone } from '../config/schema.js'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import {
  accountOf,
  accountOverview,
  canConfirmWithStateServices,
  changeOwnPassword,
  confirmWithPassword,
  isRecentlyConfirmed,
  signOutEverywhere,
  unlinkByOwner,
} from '../login/account.js'
import type { BrowserRequest } from '../login/browser.js'
import {
  confirmEmail,
  confirmEmailPath,
  confirmPhone,
  isLiveEmailLink,
  requestContactConfirmation,
} from '../login/contacts.js'
import { currentSession } from '../login/sign-in.js'
import { startStateServices } from '../login/state-services.js'
import { linkAnotherPath } from '../login/link-another.js'
import { linkAccountPath, mayLinkStateServices } from '../login/link-own.js'
import { maskEmail, maskPhone } from '../person/contact.js'
import { maskFullName } from '../person/full-name.js'
import type { ActiveSession } from '../sessions/login-session.js'
import {
  AccountQuery,
  CodeForm,
  ContactForm,
  EmptyForm,
  OwnPasswordForm,
  TokenForm,
  TokenQuery,
  UnlinkForm,
} from './forms.js'
import { accountPage, confirmEmailPage, confirmationPage, signedOutPage } from './pages/account.js'
import { helpPath } from './pages/help.js'
import type { PasswordFormProblem } from './pages/login.js'
import { fillIn } from './html.js'
import { browserRequest, formRoute, pageContext, pageRoute, sendPage } from './plugins.js'
import { deliverAfterAnswer } from './deliver.js'

/** The account page, with a notice or a refused form's problem. */
async function renderAccountPage(
  context: RouteContext,
  request: FastifyRequest,
  reply: FastifyReply,
  session: ActiveSession,
  options: {
    notice?: string
    clientId?: string
    passwordProblem?: PasswordFormProblem
    contactProblem?: string
    status?: number
  } = {},
) {
  const { t, locale } = request
  const overview = await accountOverview(context, session, options.clientId)
  const { account, region } = overview
  const providerName = (regionName: { ru: string; en: string } | undefined) =>
    regionName === undefined ? t.stateServicesName : `${t.stateServicesName} · ${regionName[locale]}`
  // Signed in: the help link may name the account's own school (pages/help.ts).
  const pageView = { ...pageContext(request), help: helpPath(account.region, account.schoolId) }
  const page = accountPage(pageView, {
    csrfToken: reply.generateCsrf(),
    fullName: [account.familyName, account.givenName, account.patronymic].filter(Boolean).join(' '),
    login: account.login,
    role: account.role,
    regionName: region?.config.name[locale] ?? account.region,
    school: account.school,
    className: account.className,
    method: session.method,
    timeZone: region?.config.timeZone ?? defaultTimeZone,
    notice:
      options.notice !== undefined && Object.hasOwn(t.notices, options.notice) ? t.notices[options.notice] : undefined,
    returnTo: overview.returnTo && { name: overview.returnTo.name[locale], url: overview.returnTo.url },
    stateServices: overview.stateServices,
    links: overview.links.map((link) => ({
      id: link.id,
      providerName: providerName(link.regionName),
      createdAt: link.createdAt,
      method: link.method,
      verified: link.verified,
    })),
    endedLinks: overview.endedLinks.map((link) => ({
      providerName: providerName(link.regionName),
      linkedAt: link.linkedAt,
      endedAt: link.endedAt,
    })),
    sessions: overview.sessions.map((other) => ({ ...other, current: other.id === session.id })),
    passwordProblem: options.passwordProblem,
    contacts: {
      email: overview.contacts.email === null ? null : maskEmail(overview.contacts.email),
      emailVerified: overview.contacts.emailVerified,
      phone: overview.contacts.phone === null ? null : maskPhone(overview.contacts.phone),
      phoneVerified: overview.contacts.phoneVerified,
    },
    senders: { email: context.senders.mail !== undefined, sms: context.senders.sms !== undefined },
    phoneCodeWaiting: overview.phoneCodeWaiting,
    contactProblem: options.contactProblem,
    identityAccounts: overview.identityAccounts.map((other) => ({
      school: other.school,
      role: other.role,
      regionName: context.regions.get(other.region)?.config.name[locale] ?? other.region,
      maskedName: maskFullName(other),
      current: other.id === account.id,
    })),
    canLinkAnother: overview.canLinkAnother,
    canLinkStateServices: overview.canLinkStateServices,
  })
  return sendPage(reply, page, options.status ?? 200)
}

/** The signed-in session, or undefined: the caller answers with a redirect to the login page. */
async function signedIn(
  context: RouteContext,
  request: FastifyRequest,
): Promise<{ browser: BrowserRequest; session: ActiveSession | undefined }> {
  const browser = browserRequest(request, context)
  return { browser, session: await currentSession(context, browser) }
}

export const accountRoutes: FastifyPluginAsync<RouteContext> = async (app, context) => {
  const form = formRoute(app, context.config, '/account')

  app.get<{ Querystring: AccountQuery }>(
    '/account',
    { ...pageRoute, schema: { querystring: AccountQuery } },
    async (request, reply) => {
      const { session } = await signedIn(context, request)
      if (session === undefined) return reply.redirect('/login', 303)
      return renderAccountPage(context, request, reply, session, {
        notice: request.query.notice,
        clientId: request.query.client_id,
      })
    },
  )

  app.post<{ Body: UnlinkForm }>(
    '/account/unlink',
    { ...form, schema: { body: UnlinkForm } },
    async (request, reply) => {
      const { browser, session } = await signedIn(context, request)
      if (session === undefined) return reply.redirect('/login', 303)
      const { link, password } = request.body
      const account = await accountOf(context, session)
      let confirmed = isRecentlyConfirmed(session, context.now())
      if (!confirmed && password !== undefined)
        confirmed = await confirmWithPassword(context, browser, session, account, password)
      if (!confirmed) {
        const stateServices = canConfirmWithStateServices(context, account)
        const page = confirmationPage(pageContext(request), {
          csrfToken: reply.generateCsrf(),
          linkId: link,
          stateServices,
          wrongPassword: password !== undefined,
        })
        return sendPage(reply, page, password === undefined ? 200 : 401)
      }
      if (!(await unlinkByOwner(context, browser, session, account, link)))
        throw new BridgeError('ERR_NOT_FOUND', 'no such link of this account')
      return reply.redirect('/account?notice=unlinked', 303)
    },
  )

  app.post<{ Body: UnlinkForm }>(
    '/account/unlink/state-services',
    { ...form, schema: { body: UnlinkForm } },
    async (request, reply) => {
      const { browser, session } = await signedIn(context, request)
      if (session === undefined) return reply.redirect('/login', 303)
      const account = await accountOf(context, session)
      const purpose = { kind: 'confirm' as const, sessionId: session.id, unlinkId: request.body.link }
      return reply.redirect(
        await startStateServices(context, browser, { regionCode: account.region, purpose, locale: request.locale }),
        303,
      )
    },
  )

  app.post(linkAnotherPath, { ...form, schema: { body: EmptyForm } }, async (request, reply) => {
    const { browser, session } = await signedIn(context, request)
    if (session === undefined) return reply.redirect('/login', 303)
    const account = await accountOf(context, session)
    const purpose = { kind: 'link_another' as const, sessionId: session.id }
    return reply.redirect(
      await startStateServices(context, browser, { regionCode: account.region, purpose, locale: request.locale }),
      303,
    )
  })

  app.post(linkAccountPath, { ...form, schema: { body: EmptyForm } }, async (request, reply) => {
    const { browser, session } = await signedIn(context, request)
    if (session === undefined) return reply.redirect('/login', 303)
    // The page offers the button only then; a stale page or a hand-made form gets the page as it is now.
    if (!(await mayLinkStateServices(context, session))) return reply.redirect('/account', 303)
    const account = await accountOf(context, session)
    const purpose = { kind: 'link_account' as const, sessionId: session.id }
    return reply.redirect(
      await startStateServices(context, browser, { regionCode: account.region, purpose, locale: request.locale }),
      303,
    )
  })

  app.post('/account/sign-out-everywhere', { ...form, schema: { body: EmptyForm } }, async (request, reply) => {
    const { browser, session } = await signedIn(context, request)
    if (session === undefined) return reply.redirect('/login', 303)
    await signOutEverywhere(context, browser, session)
    return sendPage(reply, signedOutPage(pageContext(request), request.t.notices.signed_out_everywhere ?? ''))
  })

  app.post<{ Body: OwnPasswordForm }>(
    '/account/password',
    { ...form, schema: { body: OwnPasswordForm } },
    async (request, reply) => {
      const { browser, session } = await signedIn(context, request)
      if (session === undefined) return reply.redirect('/login', 303)
      const account = await accountOf(context, session)
      const result = await changeOwnPassword(context, browser, session, account, request.body)
      if (result.ok) return reply.redirect('/account?notice=password_changed#change-password', 303)
      return renderAccountPage(context, request, reply, session, {
        passwordProblem: result.problem,
        status: result.problem === 'wrong_current' ? 401 : 400,
      })
    },
  )
}

export const contactRoutes: FastifyPluginAsync<RouteContext> = async (app, context) => {
  const form = formRoute(app, context.config, '/account')
  const contactForm = { ...form, schema: { body: ContactForm } }

  for (const kind of ['email', 'phone'] as const) {
    app.post<{ Body: ContactForm }>(`/account/${kind}`, contactForm, async (request, reply) => {
      const { browser, session } = await signedIn(context, request)
      if (session === undefined) return reply.redirect('/login', 303)
      const account = await accountOf(context, session)
      const recentlyConfirmed = isRecentlyConfirmed(session, context.now())
      const result = await requestContactConfirmation(context, browser, account, {
        kind,
        value: request.body[kind],
        locale: request.locale,
        recentlyConfirmed,
      })
      if (!result.ok)
        return renderAccountPage(context, request, reply, session, {
          contactProblem: request.t.contacts.problems[result.problem],
          status: 400,
        })
      deliverAfterAnswer(request, context, kind === 'email' ? 'confirm_email' : 'confirm_phone', result.delivery)
      return reply.redirect(`/account?notice=${kind === 'email' ? 'email_sent' : 'phone_code_sent'}#contacts`, 303)
    })
  }

  app.post<{ Body: CodeForm }>(
    '/account/phone/confirm',
    { ...form, schema: { body: CodeForm } },
    async (request, reply) => {
      const { browser, session } = await signedIn(context, request)
      if (session === undefined) return reply.redirect('/login', 303)
      const result = await confirmPhone(context, browser, session, request.body.code)
      if (result.kind === 'confirmed') return reply.redirect('/account?notice=phone_confirmed#contacts', 303)
      const { problems } = request.t.contacts
      const problem =
        result.kind === 'wrong'
          ? fillIn(problems.wrong_code, { attempts: result.attemptsLeft })
          : problems.malformed_code
      return renderAccountPage(context, request, reply, session, { contactProblem: problem, status: 400 })
    },
  )

  app.get<{ Querystring: TokenQuery }>(
    confirmEmailPath,
    { ...pageRoute, schema: { querystring: TokenQuery } },
    async (request, reply) => {
      const { token } = request.query
      if (token === undefined || !(await isLiveEmailLink(context, token)))
        throw new BridgeError('ERR_SECRET_EXPIRED', 'the confirmation link was replaced, used or expired')
      return sendPage(
        reply,
        confirmEmailPage(pageContext(request, '/account'), { csrfToken: reply.generateCsrf(), token }),
      )
    },
  )

  app.post<{ Body: TokenForm }>(
    confirmEmailPath,
    { ...formRoute(app, context.config, '/account'), schema: { body: TokenForm } },
    async (request, reply) => {
      await confirmEmail(context, browserRequest(request, context), request.body.token)
      return sendPage(reply, confirmEmailPage(pageContext(request, '/account'), { confirmed: true }))
    },
  )
}
