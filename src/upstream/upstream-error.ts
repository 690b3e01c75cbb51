/*
 * Turns whatever an upstream call threw into a BridgeError with a stable code, for every connector:
 * - network failure, timeout or an HTTP 5xx → ERR_UPSTREAM_UNAVAILABLE
 * - anything else (a failed validation of state, signature, claims…) → ERR_UPSTREAM_INVALID_RESPONSE,
 *   unless the connector knows better and passes its own code
 * The cause keeps only name, code and message: library errors carry the token claims (names, SNILS)
 * in their properties, and causes are logged.
 */
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

export function isNetworkFailure(error: unknown): boolean {
  const e = error as { name?: string; code?: string; message?: string; cause?: unknown } | null
  if (e === null || typeof e !== 'object') return false
  if (['TimeoutError', 'AbortError'].includes(e.name ?? '') || e.code === 'ERR_JWKS_TIMEOUT') return true
  if (e.name === 'TypeError' && e.message === 'fetch failed') return true
  if (['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT'].includes(e.code ?? ''))
    return true
  return e.cause !== undefined && e.cause !== error && isNetworkFailure(e.cause)
}

function httpStatus(error: unknown): number | undefined {
  const status = error as { status?: unknown; cause?: { status?: unknown } } | null
  const value = status?.status ?? status?.cause?.status
  return typeof value === 'number' ? value : undefined
}

/** `code` when the connector classified the failure itself; otherwise network/5xx or invalid. */
export function toUpstreamError(error: unknown, during: string, code?: BridgeErrorCode): BridgeError {
  if (error instanceof BridgeError) return error
  const classified =
    code ??
    (isNetworkFailure(error) || (httpStatus(error) ?? 0) >= 500
      ? 'ERR_UPSTREAM_UNAVAILABLE'
      : 'ERR_UPSTREAM_INVALID_RESPONSE')
  return new BridgeError(classified, `state-services provider: ${during} failed`, { cause: summary(error) })
}
