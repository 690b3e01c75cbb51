/*
 * The one error the verifier throws, with a closed set of stable codes, and the mapping from jose's
 * errors to those codes (one place).
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

export class TokenVerificationError extends Error {
  readonly code: VerifyErrorCode

  constructor(code: VerifyErrorCode, message: string) {
    super(message)
    this.name = 'TokenVerificationError'
    this.code = code
  }
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
