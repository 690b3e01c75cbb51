/*
 * Verifying tokens the bridge signed itself (userinfo, introspection, revocation, logout hints),
 * against the key store: published keys only, the algorithms the bridge signs with, its own issuer.
 * - an access token that verified is remembered (per key store, i.e. per app) until it expires: a
 *   diary module presents the same token to /userinfo and /introspect many times in its 10 minutes,
 *   and the signature cannot change. Only what verified is kept (nothing is learnt from a bad token);
 *   at most `rememberedTokens`, the oldest forgotten first. Revocation is not cached: the routes ask
 *   the database every time.
 */
import { decodeJwt, jwtVerify, type JWTPayload } from 'jose'
import type { KeyStore } from './key-store.js'

const algorithms = ['ES256', 'EdDSA', 'RS256']

export interface OwnAccessToken extends JWTPayload {
  sub: string
  jti: string
  /** The browser session the token comes from, when there is one. */
  sid?: string
  exp: number
  client_id: string
  scope: string
  region: string
  role: string
  /** How the person signed in (a person's token; machine tokens have none). */
  auth_time?: number
  acr?: string
  amr?: string[]
}

export const rememberedTokens = 10_000

const verified = new WeakMap<KeyStore, Map<string, OwnAccessToken>>()

function remembered(keys: KeyStore): Map<string, OwnAccessToken> {
  let tokens = verified.get(keys)
  if (tokens === undefined) verified.set(keys, (tokens = new Map<string, OwnAccessToken>()))
  return tokens
}

/** A valid, unexpired access token of this bridge (typ at+jwt), or undefined. */
export async function verifyOwnAccessToken(
  keys: KeyStore,
  token: string,
  issuer: string,
  now: Date,
): Promise<OwnAccessToken | undefined> {
  const tokens = remembered(keys)
  const known = tokens.get(token)
  if (known !== undefined && known.iss === issuer && known.exp * 1000 > now.getTime()) return known
  if (known !== undefined) tokens.delete(token)
  const payload = await verifyAccessTokenSignature(keys, token, issuer, now)
  if (payload !== undefined) {
    if (tokens.size >= rememberedTokens) tokens.delete(tokens.keys().next().value as string)
    tokens.set(token, payload)
  }
  return payload
}

async function verifyAccessTokenSignature(
  keys: KeyStore,
  token: string,
  issuer: string,
  now: Date,
): Promise<OwnAccessToken | undefined> {
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
export async function verifyOwnIdTokenHint(
  keys: KeyStore,
  token: string,
  issuer: string,
): Promise<JWTPayload | undefined> {
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
