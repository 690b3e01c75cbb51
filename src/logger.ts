/*
 * The one logger (pino, JSON lines).
 * - redacted wherever they may appear: Authorization and Cookie headers, Set-Cookie, passwords, SNILS,
 *   client secrets, code verifiers and tokens in logged objects (`code` is left alone: errors carry codes)
 * - request URLs are logged with the values of query parameters blanked except an allow-list of
 *   harmless ones (an authorization response carries `code`, a logout `id_token_hint`…)
 * - Fastify adds the request id (`reqId`) to every line logged for a request
 */
import pino, { type DestinationStream, type Logger } from 'pino'
import type { LogLevel } from './config/load.js'

const sensitiveKeys = [
  'password',
  'newPassword',
  'currentPassword',
  'password_hash',
  'passwordHash',
  'snils',
  'client_secret',
  'clientSecret',
  'code_verifier',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'id_token_hint',
  'assertion',
  'client_assertion',
]

const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  ...sensitiveKeys.flatMap((key) => [key, `*.${key}`]),
]

const harmlessQueryParameters = new Set([
  'client_id',
  'response_type',
  'response_mode',
  'scope',
  'redirect_uri',
  'post_logout_redirect_uri',
  'code_challenge_method',
  'prompt',
  'ui_locales',
  'lang',
  'region',
  'error',
  'iss',
])

/** The URL with the value of every query parameter outside the allow-list replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?')
  if (queryStart === -1) return url
  const params = new URLSearchParams(url.slice(queryStart + 1))
  const kept = [...params].map(([name, value]) =>
    harmlessQueryParameters.has(name) ? `${encodeURIComponent(name)}=${encodeURIComponent(value)}` : `${encodeURIComponent(name)}=[redacted]`,
  )
  return `${url.slice(0, queryStart)}?${kept.join('&')}`
}

interface LoggedRequest {
  method: string
  url: string
  ip?: string
  headers?: Record<string, unknown>
}

export function createLogger(options: { level: LogLevel; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      redact: { paths: redactPaths, censor: '[redacted]' },
      serializers: {
        req: (request: LoggedRequest) => ({
          method: request.method,
          url: redactUrl(request.url),
          remoteAddress: request.ip,
          userAgent: request.headers?.['user-agent'],
        }),
        err: pino.stdSerializers.err,
      },
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  )
}
