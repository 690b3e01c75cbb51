/*
 * GET /login: "Select your region", or with ?region=CODE that region's login page with exactly the
 * methods it offers now. POST /login/password: diary login and password for the region of the login.
 * A refused password is remembered in the login cookie (its login, never the password) and the refusal
 * page's language switch leads to `/login?region=CODE&refused=1`, which shows the refusal again.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import { continueSignIn } from '../login/complete-sign-in.js'
import { attemptPassword } from '../login/password-attempt.js'
import { passkeySignInOptions, signInWithPasskey } from '../login/passkey-sign-in.js'
import { loginMethods, upcomingChange } from '../regions/policy.js'
import { type Region, regionOf } from '../regions/registry.js'
import { LoginQuery, PasskeyForm, PasswordLoginForm } from './forms.js'
import { regionLoginPage, regionSelectionPage } from './pages/login.js'
import { browserRequest, cookieNames, formRoute, loginPagePath, pageContext, pageRoute, sendPage } from './plugins.js'

export const loginRoutes: FastifyPluginAsync<RouteContext> = async (app, context) => {
  const refusedPath = (region: Region) => `/login?region=${encodeURIComponent(region.config.code)}&refused=1`
  const renderRegionPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    region: Region,
    extra: { error?: string; login?: string; notice?: string } = {},
    languagePath?: string,
  ) => {
    const methods = loginMethods(region.config, context.now())
    const browser = browserRequest(request, context)
    return regionLoginPage(pageContext(request, languagePath), {
      region: { code: region.config.code, name: region.config.name[request.locale] },
      methods,
      upcoming: upcomingChange(region.config, context.now()),
      csrfToken: reply.generateCsrf(),
      ...(methods.password && { passkeyOptions: await passkeySignInOptions(context, browser, region.config.code) }),
      ...extra,
    })
  }

  app.get<{ Querystring: LoginQuery }>(
    '/login',
    { ...pageRoute, schema: { querystring: LoginQuery } },
    async (request, reply) => {
      const browser = browserRequest(request, context)
      const pending = browser.transaction.pendingAuthorization()
      const served = pending === undefined ? undefined : context.config.clients.get(pending.clientId)?.regions
      const remembered = request.cookies[cookieNames.region]
      const usable = (code: string | undefined) =>
        code !== undefined && context.regions.has(code) && (served === undefined || served.includes(code))
      if (request.query.region === undefined && request.query.choose === undefined && usable(remembered)) {
        return reply.redirect(`/login?region=${encodeURIComponent(remembered as string)}`, 303)
      }
      const code = request.query.region
      if (code === undefined) {
        const query = request.query.q?.trim() ?? ''
        const needle = query.toLocaleLowerCase(request.locale)
        const choices = [...context.regions.values()]
          .filter((region) => served === undefined || served.includes(region.config.code))
          .filter(
            (region) =>
              needle === '' ||
              region.config.code === needle ||
              [region.config.name.ru, region.config.name.en].some((name) =>
                name.toLocaleLowerCase(request.locale).includes(needle),
              ),
          )
          .map((region) => ({ code: region.config.code, name: region.config.name[request.locale] }))
        choices.sort((a, b) => a.name.localeCompare(b.name, request.locale))
        return sendPage(reply, regionSelectionPage(pageContext(request), choices, query))
      }
      const region = regionOf(context.regions, code)
      if (served !== undefined && !served.includes(region.config.code)) {
        throw new BridgeError('ERR_REGION_NOT_SERVED', 'the diary module that sent you here does not serve this region')
      }
      browser.transaction.chooseRegion(region.config.code)
      if (request.query.school !== undefined) browser.transaction.cameFromSchool(request.query.school)
      reply.setCookie(cookieNames.region, region.config.code, {
        path: '/',
        sameSite: 'lax',
        httpOnly: true,
        maxAge: 365 * 24 * 3600,
      })
      const { notice } = request.query
      const refusal =
        request.query.refused === undefined ? undefined : browser.transaction.lastRefusal(region.config.code)
      const shown = refusal === undefined ? {} : { error: request.t.wrongCredentials, login: refusal.login }
      const page = await renderRegionPage(request, reply, region, {
        notice:
          notice !== undefined && Object.hasOwn(request.t.notices, notice) ? request.t.notices[notice] : undefined,
        ...shown,
      })
      return sendPage(reply, page)
    },
  )

  app.post<{ Body: PasswordLoginForm }>(
    '/login/password',
    { ...formRoute(app, context.config, loginPagePath), schema: { body: PasswordLoginForm } },
    async (request, reply) => {
      const browser = browserRequest(request, context)
      const region = regionOf(context.regions, browser.transaction.region())
      if (!loginMethods(region.config, context.now()).password)
        throw new BridgeError('ERR_METHOD_DISABLED', 'password login is off')
      const { login, password } = request.body
      const account = await attemptPassword(context, browser, {
        region: region.config.code,
        login,
        password,
        purpose: 'sign_in',
      })
      if (account === undefined) {
        browser.transaction.passwordRefused(region.config.code, login)
        return sendPage(
          reply,
          await renderRegionPage(
            request,
            reply,
            region,
            { error: request.t.wrongCredentials, login },
            refusedPath(region),
          ),
          401,
        )
      }
      return reply.redirect(await continueSignIn(context, browser, account, { method: 'password' }), 303)
    },
  )

  app.post<{ Body: PasskeyForm }>(
    '/login/passkey',
    { ...formRoute(app, context.config, loginPagePath), schema: { body: PasskeyForm } },
    async (request, reply) => {
      const browser = browserRequest(request, context)
      const region = regionOf(context.regions, browser.transaction.region())
      if (!loginMethods(region.config, context.now()).password)
        throw new BridgeError('ERR_METHOD_DISABLED', 'password login is off')
      const answer = await signInWithPasskey(context, browser, region.config.code, request.body.response)
      if (answer.kind === 'next') return reply.redirect(answer.location, 303)
      return sendPage(
        reply,
        await renderRegionPage(request, reply, region, { error: request.t.factor.passkeyFailed }),
        401,
      )
    },
  )
}
