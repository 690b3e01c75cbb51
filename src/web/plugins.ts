/*
 * What every browser route relies on, registered once on the root instance:
 * - cookies; two encrypted cookies (@fastify/secure-session, keys from SESSION_KEYS, newest first):
 *   `__Host-bridge-session` (the server-side session id; the server decides idle and absolute expiry,
 *   the cookie only lasts no longer than the absolute lifetime) and `__Host-bridge-login` (the login
 *   transaction, login/transaction.ts); both Secure, HttpOnly, SameSite=Lax, Path=/
 * - CSRF tokens for every form (secret in its own `__Host-` cookie, checked in preHandler)
 * - a form sent from another site (its `Origin`, or without one its `Sec-Fetch-Site`) is refused like an
 *   out-of-date form, before its body is read; a request without either header (old browsers) passes
 * - security headers (web/security-headers.ts): a strict Content-Security-Policy, no framing, no referrer
 * - the page language on every request (`request.locale`, `request.t`); `?lang=` is remembered in a cookie;
 *   the language switch leads back to the page when it is a GET page, to the GET page behind a form, and
 *   to the login page from an error
 * - route schemas (web/forms.ts) are checked with TypeBox, which the configuration loads anyway: Fastify's
 *   default Ajv would cost every instance ~3.5 MiB for a handful of string fields; a route that declares
 *   none gets the default ones
 * - the 404 page is registered here, so that it has the same headers, cookies and language as any page
 */
import cookie from '@fastify/cookie'
import csrf from '@fastify/csrf-protection'
import secureSession, { type Session } from '@fastify/secure-session'
import type { ConsoleCookie } from '../console/console-access.js'
import { consoleLimits } from '../console/console-access.js'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import type { Config } from '../config/load.js'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import type { BrowserRequest } from '../login/browser.js'
import { deliverAfterAnswer } from './deliver.js'
import { type LoginTransactionData, openLoginTransaction } from '../login/transaction.js'
import { type Locale, type Messages, messages, pickLocale } from './messages/index.js'
import { defaultSchemas } from './forms.js'
import { type PageContext, stylesheet } from './html.js'
import { passkeyScriptPath } from './pages/factor.js'
import { helpPath } from './pages/help.js'
import { passkeyScript } from './passkey-script.js'
import { securityHeaders } from './security-headers.js'

declare module 'fastify' {
  interface FastifyRequest {
    locale: Locale
    t: Messages
    loginTx: Session<LoginTransactionData>
    /** The school console's own short session (console/console-access.ts). */
    consoleSession: Session<{ console?: ConsoleCookie }>
  }
  interface FastifyContextConfig {
    /** The route answers browsers: its errors are shown as pages, not JSON. */
    page?: boolean
    /** Where the language switch of this route's pages leads, when not to the page itself (a form's GET page). */
    languageReturn?: string | ((request: FastifyRequest) => string)
  }
}

declare module '@fastify/secure-session' {
  interface SessionData {
    sid: string
  }
}

export const cookieNames = {
  session: '__Host-bridge-session',
  loginTransaction: '__Host-bridge-login',
  console: '__Host-bridge-console',
  csrf: '__Host-bridge-csrf',
  lang: 'bridge-lang',
  region: 'bridge-region',
} as const

const cookieBase = { path: '/', secure: true, httpOnly: true, sameSite: 'lax' } as const

/** A Fastify validator for a TypeBox schema (compiled once per route): the value as is, or a 400 naming the first problem. */
function validatorFor(schema: TSchema, part: string) {
  const validator = Compile(schema)
  return (data: unknown) => {
    if (validator.Check(data)) return { value: data }
    const [first] = validator.Errors(data)
    return { error: new Error(`${part}${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}`) }
  }
}

export async function registerWebPlugins(app: FastifyInstance, config: Config): Promise<void> {
  app.setValidatorCompiler(({ schema, httpPart }) => validatorFor(schema as TSchema, httpPart ?? 'input'))
  app.addHook('onRoute', (route) => {
    route.schema = { ...defaultSchemas(route.method), ...route.schema }
  })
  const headers = securityHeaders(config)
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(headers)
  })
  const key = config.secrets.sessionKeys.reveal()
  await app.register(cookie)
  await app.register(secureSession, [
    {
      sessionName: 'session',
      cookieName: cookieNames.session,
      key,
      expiry: config.bridge.session.absoluteLifetimeSeconds,
      cookie: cookieBase,
    },
    {
      sessionName: 'loginTx',
      cookieName: cookieNames.loginTransaction,
      key,
      expiry: config.bridge.loginTransactionTtlSeconds,
      cookie: cookieBase,
    },
    {
      sessionName: 'consoleSession',
      cookieName: cookieNames.console,
      key,
      expiry: consoleLimits.absoluteSeconds,
      // Only the console's pages read it: sent with nothing else.
      cookie: { ...cookieBase, sameSite: 'strict' },
    },
  ])
  // A wrong or missing token is the request's doing: the error handler logs it once, at info (its code
  // says which); the plugin's own line would be a warning.
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: cookieNames.csrf,
    cookieOpts: cookieBase,
    logLevel: 'debug',
  })

  app.decorateRequest('locale', 'ru')
  app.decorateRequest('t', undefined as unknown as Messages)
  app.addHook('onRequest', async (request, reply) => {
    const query = (request.query as { lang?: unknown } | undefined)?.lang
    const fromQuery = typeof query === 'string' ? query : undefined
    request.locale = pickLocale(
      fromQuery,
      request.cookies[cookieNames.lang],
      request.headers['accept-language'],
      config.bridge.defaultLocale,
    )
    request.t = messages[request.locale]
    if (fromQuery === request.locale) {
      reply.setCookie(cookieNames.lang, request.locale, { path: '/', sameSite: 'lax', maxAge: 365 * 24 * 3600 })
    }
  })

  // Anything that carries state (a cookie, or a redirect that may hold a code) is never cached.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (
      reply.getHeader('cache-control') === undefined &&
      (reply.getHeader('set-cookie') !== undefined || (reply.statusCode >= 300 && reply.statusCode < 400))
    ) {
      reply.header('cache-control', 'no-store')
    }
    return payload
  })

  app.get('/assets/bridge.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(stylesheet),
  )
  app.get(passkeyScriptPath, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(passkeyScript),
  )

  app.setNotFoundHandler(async () => {
    throw new BridgeError('ERR_NOT_FOUND', 'No such page.')
  })
}

/** The login page of the region of the current login, else the region selection: a page that always exists. */
export function loginPagePath(request: FastifyRequest): string {
  const region = (request.loginTx as Session<LoginTransactionData> | undefined)?.get('region')
  return typeof region === 'string' ? `/login?region=${encodeURIComponent(region)}` : '/login'
}

/**
 * Where the language switch of this request's page leads: the route's own `languageReturn`; for a GET
 * page its route and query without `lang` (the route, not the raw path: `//evil.example` stays here);
 * for anything else the login page.
 */
export function languageReturn(request: FastifyRequest): string {
  const back = request.routeOptions.config.languageReturn
  if (back !== undefined) return typeof back === 'string' ? back : back(request)
  const route = request.routeOptions.url
  if (request.method !== 'GET' || route === undefined || !route.startsWith('/') || route.startsWith('//'))
    return loginPagePath(request)
  const questionMark = request.url.indexOf('?')
  const query = new URLSearchParams(questionMark === -1 ? '' : request.url.slice(questionMark + 1))
  query.delete('lang')
  const search = query.toString()
  return search === '' ? route : `${route}?${search}`
}

/** The login flow's view of this request (login/browser.ts). */
export function browserRequest(
  request: FastifyRequest,
  context: Pick<RouteContext, 'config' | 'now' | 'metrics'>,
): BrowserRequest {
  return {
    requestId: request.id,
    ip: request.ip,
    userAgent: request.headers['user-agent'],
    locale: request.locale,
    session: request.session,
    transaction: openLoginTransaction(request.loginTx, {
      ttlSeconds: context.config.bridge.loginTransactionTtlSeconds,
      now: context.now,
    }),
    afterAnswer: (kind, delivery) => deliverAfterAnswer(request, context, kind, delivery),
  }
}

/**
 * The help page of the region of the current login, else its region list; with the school whose link
 * opened the login page, if one did (never the school of an account: pages/help.ts).
 */
export function helpPagePath(request: FastifyRequest): string {
  const cookie = request.loginTx as Session<LoginTransactionData> | undefined
  const region = cookie?.get('region')
  const school = cookie?.get('school')
  return helpPath(typeof region === 'string' ? region : undefined, typeof school === 'string' ? school : undefined)
}

export function pageContext(request: FastifyRequest, languagePath = languageReturn(request)): PageContext {
  return { locale: request.locale, t: request.t, path: languagePath, help: helpPagePath(request) }
}

/** Route options of a page: its errors are shown as pages. */
export const pageRoute = { config: { page: true } }

/**
 * Whether a browser says this request comes from a page of another site (absent headers: old browsers,
 * allowed). `Origin: null` says nothing: browsers send it for every POST of a page served with
 * `Referrer-Policy: no-referrer` (ours), so Sec-Fetch-Site decides then.
 */
export function isCrossSite(request: FastifyRequest, ownOrigin: string): boolean {
  const origin = request.headers.origin
  if (origin !== undefined && origin !== 'null') return origin !== ownOrigin
  const site = request.headers['sec-fetch-site']
  return site !== undefined && site !== 'same-origin' && site !== 'none'
}

/**
 * Route options of a form target: a page refused when another site sent it (before the body is read),
 * then checked for its CSRF token before the handler runs. `languageReturn`: the GET page behind the form.
 */
export function formRoute(
  app: FastifyInstance,
  config: Pick<Config, 'publicUrl'>,
  languageReturn: string | ((request: FastifyRequest) => string),
) {
  const ownOrigin = new URL(config.publicUrl).origin
  return {
    config: { page: true, languageReturn },
    onRequest: async (request: FastifyRequest) => {
      if (isCrossSite(request, ownOrigin)) throw new BridgeError('ERR_CSRF', 'the form was sent from another site')
    },
    preHandler: (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) =>
      app.csrfProtection(request, reply, done),
  }
}

export function sendPage(reply: FastifyReply, page: string, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page)
}
