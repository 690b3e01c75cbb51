/*
 * The one error the verifier throws, with a closed set of stable codes, the mapping from jose's
 * errors to those codes (one place), and the WWW-Authenticate challenge of an access-token refusal
 * (RFC 6750 §3; insufficient_user_authentication with acr_values and max_age, RFC 9470 §3).
 */
import { errors } from 'jose'

export type VerifyErrorCode =
  | 'token_missing'
  | 'token_malformed'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_revoked'
  | 'signature_invalid'
  | 'algorithm_not_allowed'
  | 'wrong_type'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'claims_invalid'
  | 'key_unknown'
  | 'jwks_unavailable'
  | 'logout_token_invalid'
  | 'logout_token_replayed'
  | 'insufficient_user_authentication'

/** What would satisfy a resource that refused a token as insufficient_user_authentication (RFC 9470 §3). */
export interface AuthenticationChallenge {
  /** acr URNs, in order of preference. */
  acrValues?: readonly string[]
  /** Seconds since the sign-in, at most. */
  maxAge?: number
}

export class TokenVerificationError extends Error {
  readonly code: VerifyErrorCode
  /** Set for insufficient_user_authentication: what the client should ask the bridge for. */
  readonly challenge?: AuthenticationChallenge

  constructor(code: VerifyErrorCode, message: string, challenge?: AuthenticationChallenge) {
    super(message)
    this.name = 'TokenVerificationError'
    this.code = code
    if (challenge !== undefined) this.challenge = challenge
  }
}

/**
 * The HTTP answer to a refused access token: 401 and its `WWW-Authenticate` (RFC 6750 §3: a bare
 * `Bearer` when no token was given, else error="invalid_token"; RFC 9470 §3: error=
 * "insufficient_user_authentication" with acr_values and/or max_age). `error_description` is the stable code.
 */
export function bearerChallenge(error: unknown): { status: 401; wwwAuthenticate: string; error: string } {
  const code = error instanceof TokenVerificationError ? error.code : 'jwks_unavailable'
  if (code === 'token_missing') return { status: 401, wwwAuthenticate: 'Bearer', error: 'invalid_token' }
  if (code !== 'insufficient_user_authentication')
    return {
      status: 401,
      wwwAuthenticate: `Bearer error="invalid_token", error_description="${code}"`,
      error: 'invalid_token',
    }
  const challenge = (error as TokenVerificationError).challenge ?? {}
  const parts = [`Bearer error="${code}"`, `error_description="${(error as Error).message}"`]
  if (challenge.acrValues !== undefined) parts.push(`acr_values="${challenge.acrValues.join(' ')}"`)
  if (challenge.maxAge !== undefined) parts.push(`max_age="${challenge.maxAge}"`)
  return { status: 401, wwwAuthenticate: parts.join(', '), error: code }
}

export function classify(error: unknown): TokenVerificationError {
  if (error instanceof TokenVerificationError) return error
  if (error instanceof errors.JWTExpired) return new TokenVerificationError('token_expired', 'the token has expired')
  if (error instanceof errors.JWTClaimValidationFailed) {
    const byClaim: Record<string, VerifyErrorCode> = {
      iss: 'wrong_issuer',
      aud: 'wrong_audience',
      typ: 'wrong_type',
      nbf: 'token_not_yet_valid',
      iat: 'token_not_yet_valid',
    }
    // A required claim that is missing is not a wrong value of it (a token without iat is not "not yet valid").
    return new TokenVerificationError(
      error.reason === 'missing' ? 'claims_invalid' : (byClaim[error.claim] ?? 'claims_invalid'),
      error.message,
    )
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return new TokenVerificationError('algorithm_not_allowed', 'the token algorithm is not allowed')
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new TokenVerificationError('signature_invalid', 'the signature does not verify')
  if (error instanceof errors.JWKSNoMatchingKey)
    return new TokenVerificationError('key_unknown', 'no published key matches the token')
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return new TokenVerificationError('jwks_unavailable', 'the bridge keys could not be fetched')
  }
  if (
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSENotSupported
  ) {
    return new TokenVerificationError('token_malformed', 'the token is not a valid JWT')
  }
  return new TokenVerificationError('jwks_unavailable', error instanceof Error ? error.message : 'verification failed')
}
