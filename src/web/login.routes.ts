/*
 * GET /login: "Select your region", or with ?region=CODE that region's login page with exactly the
 * methods it offers now. POST /login/password: diary login and password for the region of the login.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { BridgeError } from '../errors.js'
import { loginMethods, upcomingChange } from '../regions/policy.js'
import type { Region } from '../regions/registry.js'
import { readLoginTransaction } from './login-transaction.js'
import { cookieNames, formRoute, pageContext, pageRoute, sendPage } from './plugins.js'
import { regionLoginPage, regionSelectionPage } from './pages.js'
import type { RouteContext } from '../context.js'
import { attemptPassword } from './password-attempt.js'
import { continueSignIn } from './password-change.routes.js'
import { pendingAuthorization } from '../oauth/authorization.js'

/** The region of a login: an unknown code is ERR_REGION_UNKNOWN, no code at all ERR_LOGIN_EXPIRED. */
export function regionOf(regions: ReadonlyMap<string, Region>, code: string | undefined): Region {
  const region = code === undefined ? undefined : regions.get(code)
  if (region !== undefined) return region
  throw code === undefined
    ? new BridgeError('ERR_LOGIN_EXPIRED', 'no region chosen for this login')
    : new BridgeError('ERR_REGION_UNKNOWN', 'unknown region')
}

export const loginRoutes: FastifyPluginAsync<RouteContext> = async (app, options) => {

  const renderRegionPage = (
    request: FastifyRequest,
    reply: FastifyReply,
    region: Region,
    extra: { error?: string; login?: string } = {},
  ) =>
    regionLoginPage(pageContext(request), {
      region: { code: region.config.code, name: region.config.name[request.locale] },
      methods: loginMethods(region.config, options.now()),
      upcoming: upcomingChange(region.config, options.now()),
      csrfToken: reply.generateCsrf(),
      ...extra,
    })

  app.get<{ Querystring: { region?: string; q?: string; choose?: string } }>('/login', pageRoute, async (request, reply) => {
    const pending = pendingAuthorization(request, options)
    const served = pending === undefined ? undefined : options.config.clients.get(pending.clientId)?.regions
    const remembered = request.cookies[cookieNames.region]
    const usable = (code: string | undefined) => code !== undefined && options.regions.has(code) && (served === undefined || served.includes(code))
    if (request.query.region === undefined && request.query.choose === undefined && usable(remembered)) {
      return reply.redirect(`/login?region=${encodeURIComponent(remembered as string)}`, 303)
    }
    const code = request.query.region
    if (code === undefined) {
      const query = typeof request.query.q === 'string' ? request.query.q.trim() : ''
      const needle = query.toLocaleLowerCase(request.locale)
      const choices = [...options.regions.values()]
        .filter((region) => served === undefined || served.includes(region.config.code))
        .filter((region) => needle === '' || region.config.code === needle || [region.config.name.ru, region.config.name.en].some((name) => name.toLocaleLowerCase(request.locale).includes(needle)))
        .map((region) => ({ code: region.config.code, name: region.config.name[request.locale] }))
      choices.sort((a, b) => a.name.localeCompare(b.name, request.locale))
      return sendPage(reply, regionSelectionPage(pageContext(request), choices, query))
    }
    const region = regionOf(options.regions, code)
    if (served !== undefined && !served.includes(region.config.code)) {
      throw new BridgeError('ERR_REGION_NOT_SERVED', 'the diary module that sent you here does not serve this region')
    }
    request.loginTx.set('region', region.config.code)
    reply.setCookie(cookieNames.region, region.config.code, { path: '/', sameSite: 'lax', httpOnly: true, maxAge: 365 * 24 * 3600 })
    return sendPage(reply, renderRegionPage(request, reply, region))
  })

  app.post<{ Body: { login?: string; password?: string } }>(
    '/login/password',
    formRoute(app),
    async (request, reply) => {
      const region = regionOf(options.regions, readLoginTransaction(request).region)
      if (!loginMethods(region.config, options.now()).password) throw new BridgeError('ERR_METHOD_DISABLED', 'password login is off')
      const login = String(request.body?.login ?? '')
      const account = await attemptPassword(request, options, region.config.code, login, String(request.body?.password ?? ''), 'sign_in')
      if (account === undefined) {
        return sendPage(reply, renderRegionPage(request, reply, region, { error: request.t.wrongCredentials, login }), 401)
      }
      return continueSignIn(request, reply, options, account, { method: 'password' })
    },
  )
}
