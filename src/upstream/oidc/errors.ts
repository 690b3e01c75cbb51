/*
 * openid-client's errors as upstream errors: the person cancelled at the provider (error=access_denied)
 * → ERR_UPSTREAM_CANCELLED; the provider's own temporarily_unavailable/server_error, or an error body
 * with a 5xx status → ERR_UPSTREAM_UNAVAILABLE; the token endpoint refusing the code (invalid_grant:
 * made up, used or expired, RFC 6749 §5.2) → ERR_LOGIN_EXPIRED, the callback's doing and not the
 * provider's (as ESIA-007011); the rest as upstream-error.ts classifies it.
 */
import { AuthorizationResponseError, ResponseBodyError } from 'openid-client'
import type { BridgeError, BridgeErrorCode } from '../../errors.js'
import { toUpstreamError as classify } from '../upstream-error.js'

export function toUpstreamError(error: unknown, during: string): BridgeError {
  let code: BridgeErrorCode | undefined
  if (error instanceof AuthorizationResponseError) {
    if (error.error === 'access_denied') code = 'ERR_UPSTREAM_CANCELLED'
    else if (['temporarily_unavailable', 'server_error'].includes(error.error)) code = 'ERR_UPSTREAM_UNAVAILABLE'
    else code = 'ERR_UPSTREAM_INVALID_RESPONSE'
  } else if (error instanceof ResponseBodyError && error.status >= 500) {
    code = 'ERR_UPSTREAM_UNAVAILABLE'
  } else if (error instanceof ResponseBodyError && error.error === 'invalid_grant') {
    code = 'ERR_LOGIN_EXPIRED'
  }
  return classify(error, during, code)
}
