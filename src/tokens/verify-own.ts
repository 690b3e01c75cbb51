/*
 * Verifying tokens the bridge signed itself (userinfo, introspection, revocation, logout hints),
 * against the key store: published keys only, the algorithms the bridge signs with, its own issuer.
 */
import { decodeJwt, jwtVerify, type JWTPayload } from 'jose'
import type { KeyStore } from './key-store.js'

const algorithms = ['ES256', 'EdDSA', 'RS256']

export interface OwnAccessToken extends JWTPayload {
  sub: string
  jti: string
  exp: number
  client_id: string
  scope: string
  region: string
  role: string
}

/** A valid, unexpired access token of this bridge (typ at+jwt), or undefined. */
export async function verifyOwnAccessToken(keys: KeyStore, token: string, issuer: string, now: Date): Promise<OwnAccessToken | undefined> {
  try {
    const { payload } = await jwtVerify(token, (header) => keys.verificationKey(header), {
      issuer,
      typ: 'at+jwt',
      algorithms,
      currentDate: now,
      requiredClaims: ['sub', 'jti', 'exp', 'client_id', 'scope'],
    })
    return payload as OwnAccessToken
  } catch {
    return undefined
  }
}

/**
 * An ID token this bridge signed, expired or not (a logout hint is usually an old ID token), or
 * undefined when its signature or issuer is not ours.
 */
export async function verifyOwnIdTokenHint(keys: KeyStore, token: string, issuer: string): Promise<JWTPayload | undefined> {
  try {
    const payload = decodeJwt(token)
    const exp = typeof payload.exp === 'number' ? payload.exp : 0
    // Verify at a moment inside the token's lifetime, so that only the signature and issuer decide.
    const { payload: verified } = await jwtVerify(token, (header) => keys.verificationKey(header), {
      issuer,
      algorithms,
      currentDate: new Date((exp - 1) * 1000),
    })
    return verified
  } catch {
    return undefined
  }
}
