/*
 * What every browser route relies on, registered once on the root instance:
 * - cookies; two encrypted cookies (@fastify/secure-session, keys from SESSION_KEYS, newest first):
 *   `__Host-bridge-session` (the server-side session id; the server decides idle and absolute expiry,
 *   the cookie only lasts no longer than the absolute lifetime) and `__Host-bridge-login` (the login
 *   transaction, login/transaction.ts); both Secure, HttpOnly, SameSite=Lax, Path=/
 * - CSRF tokens for every form (secret in its own `__Host-` cookie, checked in preHandler)
 * - security headers (@fastify/helmet): a strict Content-Security-Policy, no framing, no referrer
 * - the page language on every request (`request.locale`, `request.t`); `?lang=` is remembered in a cookie
 * - route schemas (web/forms.ts) are checked with TypeBox, which the configuration loads anyway: Fastify's
 *   default Ajv would cost every instance ~3.5 MiB for a handful of string fields
 */
import cookie from '@fastify/cookie'
import csrf from '@fastify/csrf-protection'
import helmet from '@fastify/helmet'
import secureSession, { type Session } from '@fastify/secure-session'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TSchema } from 'typebox'
import Value from 'typebox/value'
import type { Config } from '../config/load.js'
import type { RouteContext } from '../context.js'
import type { BrowserRequest } from '../login/browser.js'
import { type LoginTransactionData, openLoginTransaction } from '../login/transaction.js'
import { type Locale, type Messages, messages, pickLocale } from './messages/index.js'
import { stylesheet } from './html.js'

declare module 'fastify' {
  interface FastifyRequest {
    locale: Locale
    t: Messages
    loginTx: Session<LoginTransactionData>
  }
  interface FastifyContextConfig {
    /** The route answers browsers: its errors are shown as pages, not JSON. */
    page?: boolean
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
  csrf: '__Host-bridge-csrf',
  lang: 'bridge-lang',
  region: 'bridge-region',
} as const

const cookieBase = { path: '/', secure: true, httpOnly: true, sameSite: 'lax' } as const

/** A Fastify validator for a TypeBox schema: the value as is, or a 400 naming the first problem. */
function validatorFor(schema: TSchema, part: string) {
  return (data: unknown) => {
    if (Value.Check(schema, data)) return { value: data }
    const [first] = Value.Errors(schema, data)
    return { error: new Error(`${part}${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}`) }
  }
}

export async function registerWebPlugins(app: FastifyInstance, config: Config): Promise<void> {
  app.setValidatorCompiler(({ schema, httpPart }) => validatorFor(schema as TSchema, httpPart ?? 'input'))
  const key = config.secrets.sessionKeys.reveal()
  // A strict policy: nothing but our own stylesheet loads; no scripts; no framing. No form-action: a
  // sign-in form's answer is a redirect to a diary module, which form-action would block.
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
    hsts: config.publicUrl.startsWith('https:') ? { maxAge: 31_536_000 } : false,
    referrerPolicy: { policy: 'no-referrer' },
  })
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
  ])
  await app.register(csrf, { sessionPlugin: '@fastify/cookie', cookieKey: cookieNames.csrf, cookieOpts: cookieBase })

  app.decorateRequest('locale', 'ru')
  app.decorateRequest('t', undefined as unknown as Messages)
  app.addHook('onRequest', async (request, reply) => {
    const query = (request.query as { lang?: unknown } | undefined)?.lang
    const fromQuery = typeof query === 'string' ? query : undefined
    request.locale = pickLocale(fromQuery, request.cookies[cookieNames.lang], request.headers['accept-language'], config.bridge.defaultLocale)
    request.t = messages[request.locale]
    if (fromQuery === request.locale) {
      reply.setCookie(cookieNames.lang, request.locale, { path: '/', sameSite: 'lax', maxAge: 365 * 24 * 3600 })
    }
  })

  // Anything that carries state (a cookie, or a redirect that may hold a code) is never cached.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.getHeader('cache-control') === undefined && (reply.getHeader('set-cookie') !== undefined || (reply.statusCode >= 300 && reply.statusCode < 400))) {
      reply.header('cache-control', 'no-store')
    }
    return payload
  })

  app.get('/assets/bridge.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(stylesheet),
  )
}

/** The current path and query without `lang`, for the language switch. */
export function pathWithoutLang(request: FastifyRequest): string {
  const url = new URL(request.url, 'http://bridge.invalid')
  url.searchParams.delete('lang')
  return `${url.pathname}${url.search}`
}

/** The login flow's view of this request (login/browser.ts). */
export function browserRequest(request: FastifyRequest, context: Pick<RouteContext, 'config' | 'now'>): BrowserRequest {
  return {
    requestId: request.id,
    ip: request.ip,
    userAgent: request.headers['user-agent'],
    session: request.session,
    transaction: openLoginTransaction(request.loginTx, { ttlSeconds: context.config.bridge.loginTransactionTtlSeconds, now: context.now }),
  }
}

export function pageContext(request: FastifyRequest) {
  return { locale: request.locale, t: request.t, path: pathWithoutLang(request) }
}

/** Route options of a page: its errors are shown as pages. */
export const pageRoute = { config: { page: true } }

/** Route options of a form target: a page whose CSRF token is checked before the handler runs. */
export function formRoute(app: FastifyInstance) {
  return {
    config: { page: true },
    preHandler: (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) =>
      app.csrfProtection(request, reply, done),
  }
}

export function sendPage(reply: FastifyReply, page: string, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page)
}
