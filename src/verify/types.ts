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
}

export interface Verifier {
  verify(token: string | undefined): Promise<AccessTokenClaims>
  /** Stops the background refresh of the revocation list. */
  close(): void
}
