/*
 * buildApp: the whole HTTP service, apart from the listener (server.ts) so that tests can
 * `inject` into it. Plugins first, then routes; dependencies arrive as options, never as globals.
 */
import type { IncomingMessage } from 'node:http'
import { randomUUID } from 'node:crypto'
import formbody from '@fastify/formbody'
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify'
import type { Kysely } from 'kysely'
import type { Config } from './config/load.js'
import type { Database } from './db/schema.js'
import { toErrorResponse } from './errors.js'
import { healthRoutes } from './ops/health.routes.js'
import { httpTimeouts } from './ops/http-timeouts.js'
import { createMetrics, type Metrics } from './ops/metrics.js'
import { createRequestRates, rateLimitPolicy, type RequestRates } from './ops/request-rate.js'
import { busyError, createPasswordHasher, type PasswordHasher } from './accounts/password-hash.js'
import type { RouteContext } from './context.js'
import type { ClientAuthenticator } from './oauth/client-auth.js'
import type { Senders } from './notify/senders.js'
import { startBackchannelWorker } from './oauth/backchannel-logout.js'
import { discoveryRoutes } from './oauth/discovery.routes.js'
import { revocationRoutes } from './oauth/revocations.routes.js'
import { tokenRoutes } from './oauth/token.routes.js'
import { verifyMachineTokenUnlessRevoked } from './oauth/machine-token.js'
import { answerScimError, scimRoutes } from './scim/scim.routes.js'
import { userinfoRoutes } from './oauth/userinfo.routes.js'
import { createLiveConfig, type LiveConfig } from './live-config.js'
import { createKeyStore } from './tokens/key-store.js'
import { keyPolicy } from './tokens/signing-keys.js'
import { accountRoutes, contactRoutes } from './web/account.routes.js'
import { authorizeRoutes } from './web/authorize.routes.js'
import { factorRoutes } from './web/factor.routes.js'
import { helpRoutes } from './web/help.routes.js'
import { securityRoutes } from './web/security.routes.js'
import { consoleRoutes } from './web/console.routes.js'
import { loginRoutes } from './web/login.routes.js'
import { passwordChangeRoutes } from './web/password-change.routes.js'
import { recoveryRoutes } from './web/recovery.routes.js'
import { messages } from './web/messages/index.js'
import { parseForm } from './web/forms.js'
import { errorPage } from './web/pages/error.js'
import { loginPagePath, pageContext, registerWebPlugins, sendPage } from './web/plugins.js'
import { securityHeaders } from './web/security-headers.js'
import { stateServicesRoutes } from './web/state-services.routes.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Serves new regions and clients from now on (see live-config.ts). */
    reloadConfig: LiveConfig['replace']
  }
}

export interface AppDeps {
  db: Kysely<Database>
  logger: FastifyBaseLogger
  /** The clock of every decision (sessions, schedules, login transactions). */
  now?: () => Date
  /** Used for every call to state-services providers. */
  fetch?: typeof fetch
  /** The argon2id worker pool; when absent the app makes its own and closes it with itself. */
  hasher?: PasswordHasher
  /** The service's metrics, when it reports into them too (the maintenance job); otherwise the app makes its own. */
  metrics?: Metrics
  /** The request limits of the machine endpoints; when absent the app makes its own and closes it with itself. */
  requestRates?: RequestRates
  /** E-mail and SMS (password recovery, confirming a contact); a missing one is not offered. */
  senders?: Senders
  /** Runs this instance's share of the background deliveries (back-channel logout) while the app is open. */
  backgroundJobs?: boolean
}

export interface BuildAppOptions {
  config: Config
  deps: AppDeps
}

const passwordForms = new Set(['/login/password', '/link', '/password/change', '/password/reset', '/account/password'])

/** Polled by load balancers and Prometheus: their requests are logged at debug level only. */
const quietRoutes = new Set(['/healthz', '/readyz', '/metrics'])

const acceptableRequestId = /^[A-Za-z0-9._-]{1,64}$/

/**
 * Behind a trusted proxy (`trustProxy` on: true or a list of proxies), keeps its X-Request-Id when it is
 * safe to log and echo (to correlate logs); otherwise, and always without a proxy, a new UUID.
 */
function requestIds(trustProxy: Config['bridge']['trustProxy']): (request: IncomingMessage) => string {
  const trusted = trustProxy === true || (Array.isArray(trustProxy) && trustProxy.length > 0)
  return (request) => {
    const incoming = request.headers['x-request-id']
    return trusted && typeof incoming === 'string' && acceptableRequestId.test(incoming) ? incoming : randomUUID()
  }
}

export async function buildApp({ config, deps }: BuildAppOptions): Promise<FastifyInstance> {
  const requestIdFor = requestIds(config.bridge.trustProxy)
  const pageHeaders = securityHeaders(config)
  const app = Fastify({
    loggerInstance: deps.logger,
    genReqId: requestIdFor,
    requestIdHeader: false,
    trustProxy: config.bridge.trustProxy,
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
    // Our own one line per request (onResponse below) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    ...httpTimeouts(config.bridge.http),
    // A path the router cannot decode (`/%`): Fastify's own 400, answered like every other bad input.
    frameworkErrors: (error, request, reply) => void answerError(error, request, reply),
  })

  /** Every refusal and failure becomes its response here: JSON, or a page in the person's language. */
  function answerError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
    // The SCIM API answers its own errors (scim/scim.routes.ts); these are the router's, before it (`/%E2`).
    if (request.url.startsWith('/scim/v2/')) return answerScimError(error, request, reply)
    const response = toErrorResponse(error, request.id)
    if (response.internal) request.log.error({ err: error }, 'request failed')
    else {
      // An upstream refusal keeps the provider's own code (ESIA-007004…) in its cause: a code, never personal data.
      const cause = (error as { cause?: { code?: unknown } }).cause?.code
      request.log.info(
        {
          code: (error as { code?: unknown }).code,
          publicCode: response.body.error,
          cause: typeof cause === 'string' ? cause : undefined,
        },
        'request refused',
      )
    }
    if (response.retryAfterSeconds !== undefined) reply.header('retry-after', String(response.retryAfterSeconds))
    if (response.wwwAuthenticate !== undefined) reply.header('www-authenticate', response.wwwAuthenticate)
    if (response.body.error === 'invalid_client' && request.headers.authorization !== undefined) {
      reply.header('www-authenticate', 'Basic realm="diary-bridge"')
    }
    const wantsPage = request.routeOptions.config.page ?? request.headers.accept?.includes('text/html') ?? false
    if (wantsPage) {
      // Refused before the browser hooks ran (load shedding, a URL the router refuses): their language and headers here.
      request.locale ??= config.bridge.defaultLocale
      request.t ??= messages[request.locale]
      if (!reply.hasHeader('content-security-policy')) reply.headers(pageHeaders)
      // The language switch of an error leads to the login page: the failed request may not be repeatable.
      const context = pageContext(request, loginPagePath(request))
      const page = errorPage(context, {
        code: response.body.error,
        requestId: request.id,
        retryAfterSeconds: response.retryAfterSeconds,
      })
      return sendPage(reply, page, response.status)
    }
    return reply.code(response.status).header('cache-control', 'no-store').send(response.body)
  }

  app.setErrorHandler(answerError)

  const now = deps.now ?? (() => new Date())
  const hasher = deps.hasher ?? createPasswordHasher(config.bridge.passwordHashing)
  if (deps.hasher === undefined) app.addHook('onClose', () => hasher.close())
  // Closing: answers still in flight end their connection, or a keep-alive client would hold the
  // shutdown until its idle timeout (Node closes only the connections that are idle when close begins).
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close')
  })
  const live = createLiveConfig(config, { fetch: deps.fetch })
  const metrics = deps.metrics ?? createMetrics({ hasher })
  const requestRates = deps.requestRates ?? createRequestRates(deps.db, rateLimitPolicy(config), deps.logger)
  if (deps.requestRates === undefined) app.addHook('onClose', () => requestRates.close())
  // One log line per request, when it is answered; probes and scrapes only at debug level.
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    metrics.http(request.method, route, reply.statusCode, reply.elapsedTime / 1000)
    const line = { req: request, res: { statusCode: reply.statusCode }, ms: Math.round(reply.elapsedTime * 10) / 10 }
    if (quietRoutes.has(route)) request.log.debug(line, 'request')
    else request.log.info(line, 'request')
  })
  const context: RouteContext & { authenticateClient: ClientAuthenticator } = {
    get config() {
      return live.config
    },
    get regions() {
      return live.regions
    },
    get authenticateClient() {
      return live.authenticateClient
    },
    db: deps.db,
    now,
    keys: createKeyStore(deps.db, {
      kek: config.secrets.keyEncryptionKey.reveal(),
      policy: keyPolicy(config),
      now,
    }),
    hasher,
    metrics,
    requestRates,
    senders: deps.senders ?? {},
  }
  app.decorate('reloadConfig', (next: Config) => live.replace(next))
  if (deps.backgroundJobs === true && config.bridge.backchannelLogout.enabled) {
    const worker = startBackchannelWorker(
      { db: deps.db, keys: context.keys, config: () => live.config, now, metrics },
      {
        ...config.bridge.backchannelLogout,
        leaseSeconds: Math.ceil((2 * config.bridge.backchannelLogout.timeoutMs) / 1000) + 5,
      },
      (error) => app.log.error({ err: error }, 'back-channel logout round failed'),
    )
    app.addHook('onClose', () => worker.stop())
  }
  // Before cookies are decrypted or bodies parsed: a password form that cannot be served now is refused
  // at the door, so that a flood of sign-ins cannot starve token, JWKS and introspection traffic.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
    const path = request.url.split('?', 1)[0] ?? ''
    if (request.method === 'POST' && passwordForms.has(path) && hasher.saturated()) {
      metrics.login('unknown', path === '/link' ? 'binding' : 'password', 'busy')
      throw busyError()
    }
  })
  // Form bodies: the token endpoint's as much as the login forms'.
  await app.register(formbody, { bodyLimit: 16 * 1024, parser: parseForm })
  // Machine endpoints: no cookies, sessions, CSRF or page headers to pay for on every token request.
  await app.register(healthRoutes, { db: deps.db, metrics })
  await app.register(discoveryRoutes, context)
  await app.register(tokenRoutes, context)
  await app.register(userinfoRoutes, context)
  await app.register(revocationRoutes, context)
  await app.register(scimRoutes, {
    prefix: '/scim/v2',
    context,
    // `scim` reads and writes; `scim.read` only reads (a reporting client), `scim.write` only writes.
    authenticate: async (authorization, scope) => {
      const caller = await verifyMachineTokenUnlessRevoked(context, authorization, ['scim', scope])
      return {
        clientId: caller.client.clientId,
        regions: caller.regions,
        revoked: caller.revoked,
        ensureNotRevoked: caller.ensureNotRevoked,
      }
    },
  })
  // Browser endpoints: pages, with their cookies, sessions, CSRF, language and security headers.
  await app.register(async (browser) => {
    await registerWebPlugins(browser, config)
    await browser.register(authorizeRoutes, context)
    await browser.register(loginRoutes, context)
    await browser.register(stateServicesRoutes, context)
    await browser.register(accountRoutes, context)
    await browser.register(passwordChangeRoutes, context)
    await browser.register(factorRoutes, context)
    await browser.register(securityRoutes, context)
    await browser.register(consoleRoutes, context)
    await browser.register(recoveryRoutes, context)
    await browser.register(contactRoutes, context)
    await browser.register(helpRoutes, context)
  })
  return app
}
