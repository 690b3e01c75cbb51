/* What the verifier's parts share: the claims of a verified access token, and the verifier. */
export interface AccessTokenClaims {
  iss: string
  /** The stable, opaque diary account id. */
  sub: string
  aud: string | string[]
  client_id: string
  scope: string[]
  region: string
  role: 'pupil' | 'parent' | 'teacher' | 'staff'
  iat: number
  exp: number
  jti: string
  /** The bridge session the token comes from (tokens from a browser sign-in). */
  sid?: string
  /** When the person signed in (seconds), for tokens from a browser sign-in. */
  auth_time?: number
  /** How strong that sign-in was: `urn:diary-bridge:acr:password` or `urn:diary-bridge:acr:mfa`. */
  acr?: string
  /** How the person signed in, RFC 8176 values (`pwd`, `fed`, `otp`, `hwk`, `swk`, `mfa`). */
  amr?: string[]
}

export interface Verifier {
  verify(token: string | undefined): Promise<AccessTokenClaims>
  /** Stops the background refresh of the revocation list. */
  close(): void
}
