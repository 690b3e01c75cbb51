/*
 * "Log in through State Services":
 *   GET /login/state-services            starts the upstream flow for the region of the current login
 *   GET /login/state-services/callback   ends it: validate, normalise, link (or ask for the password)
 *   GET|POST /link                       binding with the diary login and password
 * A region whose state-services login is off answers 404 on both upstream routes.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { BridgeError, toErrorResponse } from '../errors.js'
import { maskFullName } from '../linking/full-name.js'
import { bindWithPassword, type BindOutcome, resolveLink } from '../linking/link-account.js'
import { hmacSnils } from '../linking/snils.js'
import { loginMethods } from '../regions/policy.js'
import { type Region, stateServicesCallbackPath } from '../regions/registry.js'
import { consumeLoginTransaction } from '../sessions/login-session.js'
import { type LinkOutcome } from '../linking/match.js'
import { newTransactionId, readLoginTransaction, requirePhase } from './login-transaction.js'
import { attemptPassword } from './password-attempt.js'
import { continueSignIn } from './password-change.routes.js'
import type { RouteContext } from '../context.js'
import { regionOf } from './login.routes.js'
import { bindingPage } from './pages.js'
import { formRoute, pageContext, pageRoute, sendPage } from './plugins.js'
import { completeSignIn } from './session.js'

export const stateServicesRoutes: FastifyPluginAsync<RouteContext> = async (app, options) => {
  const { db } = options
  // bridge.json is fixed for the life of the process; regions are read per request (they reload).
  const { config } = options
  const ttl = config.bridge.loginTransactionTtlSeconds
  const now = () => options.now().getTime()
  const linkContext = (region: Region, request: FastifyRequest) => ({
    region: region.config,
    snilsPepper: config.secrets.snilsPepper.reveal(),
    requestId: request.id,
  })

  /** The region, if state-services login is on for it now; otherwise the routes do not exist (404). */
  function stateServicesRegion(code: string | undefined): Region & { connector: NonNullable<Region['connector']> } {
    const region = regionOf(options.regions, code)
    if (region.connector === undefined || !loginMethods(region.config, options.now()).stateServices) {
      throw new BridgeError('ERR_METHOD_DISABLED', 'state-services login is off in this region')
    }
    return { ...region, connector: region.connector }
  }

  async function consume(id: string): Promise<void> {
    if (!(await consumeLoginTransaction(db, id, { keepSeconds: 2 * ttl, now: options.now() }))) {
      throw new BridgeError('ERR_LOGIN_EXPIRED', 'this login attempt was already used')
    }
  }

  /** Times an upstream call and counts its outcome (the public error code when it fails). */
  async function timed<T>(region: Region, operation: 'start' | 'callback', call: () => Promise<T>): Promise<T> {
    const started = performance.now()
    try {
      const result = await call()
      options.metrics.upstream(region.config.code, operation, 'ok', (performance.now() - started) / 1000)
      return result
    } catch (error) {
      const outcome = toErrorResponse(error, '').body.error
      options.metrics.upstream(region.config.code, operation, outcome, (performance.now() - started) / 1000)
      if (operation === 'callback') options.metrics.login(region.config.code, 'state_services', outcome)
      throw error
    }
  }

  function countDecision(region: string, outcome: LinkOutcome | BindOutcome, method: 'state_services' | 'binding') {
    const detail = outcome.kind === 'linked' ? (outcome.created ? 'linked' : 'linked_existing') : `${outcome.kind}:${outcome.reason}`
    options.metrics.linkDecision(region, detail)
    options.metrics.login(region, method, outcome.kind === 'linked' ? 'success' : outcome.kind)
  }

  async function finish(request: FastifyRequest, reply: FastifyReply, outcome: LinkOutcome | BindOutcome, issuer: string) {
    if (outcome.kind === 'linked') {
      return completeSignIn(request, reply, options, { accountId: outcome.accountId, method: 'state_services', upstreamIssuer: issuer })
    }
    request.loginTx.set('binding', undefined)
    if (outcome.kind === 'refused') throw new BridgeError('ERR_BINDING_REFUSED', 'the diary account has another SNILS')
    if (outcome.kind === 'conflict') throw new BridgeError('ERR_LINK_CONFLICT', outcome.reason)
    throw new BridgeError('ERR_INTERNAL', `unexpected link outcome ${outcome.kind}`)
  }

  app.get('/login/state-services', pageRoute, async (request, reply) => {
    const region = stateServicesRegion(readLoginTransaction(request).region)
    const { url, transaction } = await timed(region, 'start', () => region.connector.startLogin({ locale: request.locale }))
    request.loginTx.set('binding', undefined)
    request.loginTx.set('upstream', { ...transaction, id: newTransactionId(), region: region.config.code, startedAt: now() })
    return reply.redirect(url.href, 302)
  })

  app.get(stateServicesCallbackPath, pageRoute, async (request, reply) => {
    const started = readLoginTransaction(request)
    stateServicesRegion(started.upstream?.region ?? started.region)
    const upstream = requirePhase(request, 'upstream', ttl, now())
    const region = stateServicesRegion(upstream.region)
    request.loginTx.set('upstream', undefined)
    await consume(upstream.id)
    // The callback URL is rebuilt from the configured redirect URI, never from the Host header.
    const callbackUrl = new URL(`${config.publicUrl}${stateServicesCallbackPath}`)
    callbackUrl.search = new URL(request.url, 'http://bridge.invalid').search
    const identity = await timed(region, 'callback', () => region.connector.finishLogin(callbackUrl, upstream))
    const outcome = await db.transaction().execute((trx) => resolveLink(trx, linkContext(region, request), identity))
    countDecision(region.config.code, outcome, 'state_services')
    if (outcome.kind !== 'needs_password') return finish(request, reply, outcome, identity.issuer)
    request.loginTx.set('binding', {
      id: newTransactionId(),
      region: region.config.code,
      issuer: identity.issuer,
      subject: identity.subject,
      snilsHmac: identity.snils === undefined ? undefined : hmacSnils(config.secrets.snilsPepper.reveal(), identity.snils),
      maskedName: maskFullName(identity),
      reason: outcome.reason,
      startedAt: now(),
    })
    return reply.redirect('/link', 303)
  })

  const renderBinding = (request: FastifyRequest, reply: FastifyReply, extra: { error?: string; login?: string } = {}) => {
    const binding = requirePhase(request, 'binding', ttl, now())
    return bindingPage(pageContext(request), {
      maskedName: binding.maskedName,
      reason: binding.reason,
      csrfToken: reply.generateCsrf(),
      ...extra,
    })
  }

  app.get('/link', pageRoute, async (request, reply) => sendPage(reply, renderBinding(request, reply)))

  app.post<{ Body: { login?: string; password?: string } }>(
    '/link',
    formRoute(app),
    async (request, reply) => {
      const binding = requirePhase(request, 'binding', ttl, now())
      const region = regionOf(options.regions, binding.region)
      const login = String(request.body?.login ?? '')
      const account = await attemptPassword(request, options, region.config.code, login, String(request.body?.password ?? ''), 'binding')
      if (account === undefined) {
        return sendPage(reply, renderBinding(request, reply, { error: request.t.wrongCredentials, login }), 401)
      }
      const outcome = await db.transaction().execute(async (trx) => {
        if (!(await consumeLoginTransaction(trx, binding.id, { keepSeconds: 2 * ttl, now: options.now() }))) {
          throw new BridgeError('ERR_LOGIN_EXPIRED', 'this binding was already used')
        }
        return bindWithPassword(trx, linkContext(region, request), binding, { id: account.id, snilsHmac: account.snils_hmac })
      })
      countDecision(region.config.code, outcome, 'binding')
      if (outcome.kind === 'linked') {
        return continueSignIn(request, reply, options, account, { method: 'state_services', upstreamIssuer: binding.issuer })
      }
      return finish(request, reply, outcome, binding.issuer)
    },
  )
}
