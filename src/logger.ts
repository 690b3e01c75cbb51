/*
 * The one logger (pino, JSON lines).
 * - redacted wherever they may appear: Authorization and Cookie headers, Set-Cookie, passwords, SNILS,
 *   client secrets, code verifiers and tokens in logged objects (`code` is left alone: errors carry codes)
 * - request URLs are logged with the values of query parameters blanked except an allow-list of
 *   harmless ones (an authorization response carries `code`, a logout `id_token_hint`…)
 * - Fastify adds the request id (`reqId`) to every line logged for a request
 * - `pretty` (development only, LOG_FORMAT=pretty; `npm run demo` sets it): one readable line per entry
 *   instead of JSON, after the same redaction
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
    harmlessQueryParameters.has(name)
      ? `${encodeURIComponent(name)}=${encodeURIComponent(value)}`
      : `${encodeURIComponent(name)}=[redacted]`,
  )
  return `${url.slice(0, queryStart)}?${kept.join('&')}`
}

interface LoggedRequest {
  method: string
  url: string
  ip?: string
  headers?: Record<string, unknown>
}

const levelNames: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
}
const shownElsewhere = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'req', 'res', 'ms', 'err'])

/** One pino entry as a readable line: "12:03:04 INFO  GET /login?region=29 → 200 (4.2 ms)", other keys as JSON after the message. */
export function prettyLine(entry: Record<string, unknown>): string {
  const time = new Date(typeof entry.time === 'number' ? entry.time : Date.now()).toTimeString().slice(0, 8)
  const level = levelNames[entry.level as number] ?? String(entry.level)
  const req = entry.req as { method?: string; url?: string } | undefined
  const res = entry.res as { statusCode?: number } | undefined
  const text =
    entry.msg === 'request' && req !== undefined
      ? `${req.method ?? ''} ${req.url ?? ''} → ${res?.statusCode ?? ''} (${String(entry.ms)} ms)`
      : typeof entry.msg === 'string'
        ? entry.msg
        : ''
  const rest = Object.fromEntries(Object.entries(entry).filter(([key]) => !shownElsewhere.has(key)))
  const err = entry.err as { stack?: string; message?: string } | undefined
  return `${time} ${level} ${text}${Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : ''}${err ? `\n${err.stack ?? err.message ?? ''}` : ''}\n`
}

function prettyDestination(): DestinationStream {
  return { write: (line: string) => void process.stdout.write(prettyLine(JSON.parse(line) as Record<string, unknown>)) }
}

export function createLogger(options: { level: LogLevel; destination?: DestinationStream; pretty?: boolean }): Logger {
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
    options.destination ?? (options.pretty ? prettyDestination() : pino.destination({ fd: 1, sync: false })),
  )
}
