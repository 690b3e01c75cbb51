/*
 * Turns whatever an upstream call threw into a BridgeError with a stable code:
 * - the user cancelled at the provider (error=access_denied) → ERR_UPSTREAM_CANCELLED
 * - network failure, timeout, 5xx, or the provider's own temporarily_unavailable/server_error
 *   → ERR_UPSTREAM_UNAVAILABLE
 * - anything that fails validation (state, iss, nonce, signature, claims…) → ERR_UPSTREAM_INVALID_RESPONSE
 * The cause keeps only name, code and message: library errors carry the token claims (names, SNILS)
 * in their properties, and causes are logged.
 */
import { AuthorizationResponseError, ResponseBodyError } from 'openid-client'
import { BridgeError, type BridgeErrorCode } from '../errors.js'

export interface UpstreamFailure {
  name: string
  code?: string
  message: string
  error?: string
}

function summary(error: unknown): UpstreamFailure {
  const e = error as { name?: unknown; code?: unknown; message?: unknown; error?: unknown } | null
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    code: typeof e?.code === 'string' ? e.code : undefined,
    message: typeof e?.message === 'string' ? e.message : String(error),
    error: typeof e?.error === 'string' ? e.error : undefined,
  }
}

function isNetworkFailure(error: unknown): boolean {
  const e = error as { name?: string; code?: string; message?: string; cause?: unknown } | null
  if (e === null || typeof e !== 'object') return false
  if (['TimeoutError', 'AbortError'].includes(e.name ?? '') || e.code === 'ERR_JWKS_TIMEOUT') return true
  if (e.name === 'TypeError' && e.message === 'fetch failed') return true
  if (['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT'].includes(e.code ?? '')) return true
  return e.cause !== undefined && e.cause !== error && isNetworkFailure(e.cause)
}

function httpStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown; cause?: { status?: unknown } } | null)
  const value = status?.status ?? status?.cause?.status
  return typeof value === 'number' ? value : undefined
}

export function toUpstreamError(error: unknown, during: string): BridgeError {
  if (error instanceof BridgeError) return error
  let code: BridgeErrorCode = 'ERR_UPSTREAM_INVALID_RESPONSE'
  if (error instanceof AuthorizationResponseError) {
    if (error.error === 'access_denied') code = 'ERR_UPSTREAM_CANCELLED'
    else if (['temporarily_unavailable', 'server_error'].includes(error.error)) code = 'ERR_UPSTREAM_UNAVAILABLE'
  } else if (isNetworkFailure(error) || (httpStatus(error) ?? 0) >= 500) {
    code = 'ERR_UPSTREAM_UNAVAILABLE'
  } else if (error instanceof ResponseBodyError && error.status >= 500) {
    code = 'ERR_UPSTREAM_UNAVAILABLE'
  }
  return new BridgeError(code, `state-services provider: ${during} failed`, { cause: summary(error) })
}
