/*
 * One error class with a closed set of stable codes.
 * - thrown codes are ERR_SCREAMING_SNAKE; what a user or client sees is the lower_snake `publicCode`
 * - `cause` is kept for logs, never shown
 * - `toErrorResponse` is the one place that turns an error into a status and a body
 * - a bearer-token refusal carries its WWW-Authenticate challenge in the table (RFC 6750 §3): none of
 *   error="…" when no token was presented (§3.1)
 */

const codes = {
  ERR_CONFIG_INVALID: { status: 500, publicCode: 'server_error' },
  ERR_DATABASE_UNAVAILABLE: { status: 503, publicCode: 'temporarily_unavailable' },
  ERR_MIGRATION_FAILED: { status: 500, publicCode: 'server_error' },
  ERR_DATA_DIR_LOCKED: { status: 500, publicCode: 'server_error' },
  ERR_IMPORT_FILE_INVALID: { status: 400, publicCode: 'invalid_request' },
  ERR_INVALID_REQUEST: { status: 400, publicCode: 'invalid_request' },
  ERR_CSRF: { status: 403, publicCode: 'form_expired' },
  ERR_BUSY: { status: 503, publicCode: 'busy' },
  ERR_THROTTLED: { status: 429, publicCode: 'too_many_attempts' },
  // Request limits at /token, /revoke and /introspect (ops/request-rate.ts). RFC 6749 §5.2 has no code for
  // "too many requests": `temporarily_unavailable` is the registered OAuth code for a server that cannot
  // take the request for now (§4.1.2.1); the status (429, RFC 6585) and Retry-After say the rest.
  // Not `slow_down` (RFC 8628 §3.5: device-code polling only).
  ERR_RATE_LIMITED: { status: 429, publicCode: 'temporarily_unavailable' },
  ERR_LOGIN_EXPIRED: { status: 400, publicCode: 'login_expired' },
  ERR_REGION_UNKNOWN: { status: 404, publicCode: 'region_unknown' },
  ERR_METHOD_DISABLED: { status: 404, publicCode: 'not_found' },
  ERR_UPSTREAM_CANCELLED: { status: 400, publicCode: 'cancelled' },
  ERR_UPSTREAM_UNAVAILABLE: { status: 503, publicCode: 'provider_unavailable' },
  ERR_UPSTREAM_INVALID_RESPONSE: { status: 502, publicCode: 'provider_error' },
  ERR_UPSTREAM_REJECTED: { status: 502, publicCode: 'provider_rejected' },
  ERR_UPSTREAM_ACCOUNT_UNCONFIRMED: { status: 403, publicCode: 'provider_account_unconfirmed' },
  ERR_ACCOUNT_CLOSED: { status: 403, publicCode: 'account_closed' },
  // A second factor must be set up before this sign-in goes on (the region's policy, or the module asked).
  ERR_FACTOR_REQUIRED: { status: 403, publicCode: 'factor_required' },
  ERR_LINK_CONFLICT: { status: 409, publicCode: 'account_conflict' },
  ERR_BINDING_OTHER_PERSON: { status: 409, publicCode: 'binding_other_person' },
  ERR_BINDING_SNILS_DIFFERS: { status: 409, publicCode: 'binding_snils_differs' },
  ERR_BINDING_BIRTH_DATE_DIFFERS: { status: 409, publicCode: 'binding_birth_date_differs' },
  ERR_BINDING_NAME_UNKNOWN: { status: 409, publicCode: 'binding_name_unknown' },
  ERR_CONFIRMATION_MISMATCH: { status: 403, publicCode: 'confirmation_mismatch' },
  // A recovery or confirmation link or code that was used, replaced by a newer one, expired or tried too often.
  ERR_SECRET_EXPIRED: { status: 400, publicCode: 'link_or_code_expired' },
  // "Forgot password" through State Services: that person has no diary of this region (and none can be linked now).
  ERR_RECOVERY_NOT_LINKED: { status: 403, publicCode: 'recovery_not_linked' },
  ERR_CLIENT_UNKNOWN: { status: 400, publicCode: 'unknown_client' },
  ERR_REDIRECT_URI_MISMATCH: { status: 400, publicCode: 'redirect_uri_mismatch' },
  ERR_REGION_NOT_SERVED: { status: 403, publicCode: 'region_not_served' },
  ERR_OAUTH_INVALID_REQUEST: { status: 400, publicCode: 'invalid_request' },
  ERR_OAUTH_INVALID_CLIENT: { status: 401, publicCode: 'invalid_client' },
  ERR_OAUTH_INVALID_GRANT: { status: 400, publicCode: 'invalid_grant' },
  ERR_OAUTH_INVALID_SCOPE: { status: 400, publicCode: 'invalid_scope' },
  ERR_OAUTH_UNSUPPORTED_GRANT_TYPE: { status: 400, publicCode: 'unsupported_grant_type' },
  ERR_OAUTH_UNAUTHORIZED_CLIENT: { status: 400, publicCode: 'unauthorized_client' },
  ERR_OAUTH_INVALID_TOKEN: {
    status: 401,
    publicCode: 'invalid_token',
    wwwAuthenticate: 'Bearer error="invalid_token"',
  },
  // The bearer token of a machine client at the SCIM API (oauth/machine-token.ts).
  ERR_MACHINE_TOKEN_MISSING: { status: 401, publicCode: 'invalid_token', wwwAuthenticate: 'Bearer' },
  ERR_MACHINE_TOKEN_INVALID: {
    status: 401,
    publicCode: 'invalid_token',
    wwwAuthenticate: 'Bearer error="invalid_token"',
  },
  ERR_MACHINE_TOKEN_SCOPE: {
    status: 403,
    publicCode: 'insufficient_scope',
    wwwAuthenticate: 'Bearer error="insufficient_scope"',
  },
  // The SCIM API (scim/): RFC 7644 §3.12 answers these with its own error body and `scimType`.
  ERR_SCIM_INVALID_FILTER: { status: 400, publicCode: 'invalid_request', scimType: 'invalidFilter' },
  ERR_SCIM_INVALID_VALUE: { status: 400, publicCode: 'invalid_request', scimType: 'invalidValue' },
  ERR_SCIM_INVALID_SYNTAX: { status: 400, publicCode: 'invalid_request', scimType: 'invalidSyntax' },
  ERR_SCIM_INVALID_PATH: { status: 400, publicCode: 'invalid_request', scimType: 'invalidPath' },
  ERR_SCIM_NO_TARGET: { status: 400, publicCode: 'invalid_request', scimType: 'noTarget' },
  ERR_SCIM_MUTABILITY: { status: 400, publicCode: 'invalid_request', scimType: 'mutability' },
  ERR_SCIM_TOO_MANY: { status: 400, publicCode: 'invalid_request', scimType: 'tooMany' },
  ERR_SCIM_UNIQUENESS: { status: 409, publicCode: 'account_conflict', scimType: 'uniqueness' },
  ERR_SCIM_VERSION_MISMATCH: { status: 412, publicCode: 'invalid_request' },
  // A Bulk request of more operations than maxOperations (RFC 7644 §3.7.4).
  ERR_SCIM_TOO_LARGE: { status: 413, publicCode: 'invalid_request' },
  // A region the client is not registered for (its `regions`), named in a new account.
  ERR_SCIM_REGION_FORBIDDEN: { status: 403, publicCode: 'region_not_served' },
  ERR_NOT_FOUND: { status: 404, publicCode: 'not_found' },
  ERR_INTERNAL: { status: 500, publicCode: 'server_error' },
} as const satisfies Record<string, { status: number; publicCode: string; wwwAuthenticate?: string; scimType?: string }>

export type BridgeErrorCode = keyof typeof codes

export class BridgeError extends Error {
  readonly code: BridgeErrorCode
  /** For 429 and 503: when the caller may try again (the Retry-After header). */
  readonly retryAfterSeconds: number | undefined

  constructor(code: BridgeErrorCode, message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, options)
    this.name = 'BridgeError'
    this.code = code
    this.retryAfterSeconds = options?.retryAfterSeconds
  }
}

export interface ErrorResponse {
  status: number
  body: { error: string; error_description: string; request_id: string }
  /** true when the failure is ours, not the caller's: log it with its cause */
  internal: boolean
  retryAfterSeconds?: number
  /** The WWW-Authenticate challenge of a refused bearer token. */
  wwwAuthenticate?: string
  /** RFC 7644 §3.12 `scimType`, for the SCIM API's error body. */
  scimType?: string
}

/** PostgreSQL client and server errors that mean "the database is not reachable right now". */
export function isDatabaseUnavailable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  if (typeof code === 'string') {
    return (
      ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P03'].includes(code) ||
      code.startsWith('08')
    )
  }
  // node-postgres reports a dropped connection and a pool timeout by message only.
  return (
    typeof message === 'string' &&
    /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/.test(
      message,
    )
  )
}

/** Maps any thrown value to a response that carries a stable code and leaks nothing internal. */
export function toErrorResponse(error: unknown, requestId: string): ErrorResponse {
  if (error instanceof BridgeError) {
    const entry: { status: number; publicCode: string; wwwAuthenticate?: string; scimType?: string } = codes[error.code]
    const { status, publicCode } = entry
    const internal = status >= 500 && error.code !== 'ERR_BUSY'
    return {
      status,
      internal,
      retryAfterSeconds: error.retryAfterSeconds,
      ...(entry.wwwAuthenticate === undefined ? {} : { wwwAuthenticate: entry.wwwAuthenticate }),
      ...(entry.scimType === undefined ? {} : { scimType: entry.scimType }),
      body: {
        error: publicCode,
        error_description: internal ? 'The service could not complete the request.' : error.message,
        request_id: requestId,
      },
    }
  }
  if (
    typeof (error as { code?: unknown } | null)?.code === 'string' &&
    (error as { code: string }).code.startsWith('FST_CSRF_')
  ) {
    return toErrorResponse(new BridgeError('ERR_CSRF', 'the form is out of date'), requestId)
  }
  // Fastify's own client errors (schema validation, 413 body too large, 415 media type…) keep their status.
  const fastifyError = error as { statusCode?: unknown; message?: unknown } | null
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const response = toErrorResponse(new BridgeError('ERR_INVALID_REQUEST', String(fastifyError.message)), requestId)
    return { ...response, status: fastifyError.statusCode }
  }
  if (isDatabaseUnavailable(error)) {
    return toErrorResponse(
      new BridgeError('ERR_DATABASE_UNAVAILABLE', 'database unavailable', { cause: error }),
      requestId,
    )
  }
  return toErrorResponse(new BridgeError('ERR_INTERNAL', 'internal error', { cause: error }), requestId)
}

/** Every code a person or client may see (each has a message in web/messages). */
export const publicCodes: ReadonlySet<string> = new Set(Object.values(codes).map((entry) => entry.publicCode))
