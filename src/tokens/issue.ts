/*
 * The JWTs the bridge signs (jws.ts, with the key store's current key and its kid):
 * - access tokens per RFC 9068: header typ "at+jwt"; iss, aud (the client's audience), sub (the stable
 *   opaque diary account id), client_id, scope, iat, exp, jti, region, role, auth_time, acr and amr
 *   (RFC 9068 §2.2.1, what a resource needs for RFC 9470 step-up), and sid when the token comes from a
 *   browser session. No SNILS, names or birth date.
 * - machine access tokens (client_credentials) the same way, but sub = client_id, aud = the resource
 *   the client calls, and no account claims (no region, role or sid)
 * - ID tokens per OIDC Core §2: iss, sub, aud (client_id), iat, exp, auth_time, acr, amr, sid, nonce when
 *   given, region and role; the names only when the `profile` scope was granted
 * - acr is the URN of the level the grant carries, amr its stored RFC 8176 list as an array (tokens/acr.ts)
 * - logout tokens per Back-Channel Logout 1.0 §2.4 (oauth/backchannel-logout.ts)
 */
import { randomUUID } from 'node:crypto'
import type { TokenAccount } from '../accounts/account.repository.js'
import { type AcrLevel, acrUri, parseAmr } from './acr.js'
import { signJws } from './jws.js'
import type { KeyStore } from './key-store.js'

export type { TokenAccount }

export function hasScope(scope: string, wanted: string): boolean {
  return scope.split(' ').includes(wanted)
}

/** The profile claims of an account, when `scope` grants them. */
export function profileClaims(account: TokenAccount, scope: string): Record<string, string> {
  if (!hasScope(scope, 'profile')) return {}
  return {
    family_name: account.familyName,
    given_name: account.givenName,
    ...(account.patronymic ? { middle_name: account.patronymic } : {}),
  }
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000)

/** How the person signed in, as a grant carries it: when, the level, the stored amr list. */
export interface Authentication {
  authTime: Date
  acr: AcrLevel
  /** RFC 8176 values, space separated, as stored. */
  amr: string
}

function authenticationClaims(authentication: Authentication) {
  return {
    auth_time: seconds(authentication.authTime),
    acr: acrUri(authentication.acr),
    amr: parseAmr(authentication.amr),
  }
}

export async function signAccessToken(
  keys: KeyStore,
  token: {
    issuer: string
    audience: string
    clientId: string
    scope: string
    account: TokenAccount
    ttlSeconds: number
    now: Date
    jti?: string
    /** The browser session the token comes from: its `sid`, which the revocation list names once the session ends. */
    sessionId?: string | null
    authentication: Authentication
  },
): Promise<{ token: string; jti: string; expiresAt: Date }> {
  const { kid, alg, key } = await keys.signingKey()
  const jti = token.jti ?? randomUUID()
  const iat = seconds(token.now)
  const expiresAt = new Date((iat + token.ttlSeconds) * 1000)
  const jwt = signJws(
    { alg, kid, typ: 'at+jwt' },
    {
      iss: token.issuer,
      aud: token.audience,
      sub: token.account.id,
      iat,
      exp: seconds(expiresAt),
      jti,
      client_id: token.clientId,
      scope: token.scope,
      region: token.account.region,
      role: token.account.role,
      ...authenticationClaims(token.authentication),
      ...(token.sessionId ? { sid: token.sessionId } : {}),
    },
    key,
  )
  return { token: jwt, jti, expiresAt }
}

/** An access token of a machine client (RFC 6749 §4.4, RFC 9068 §2.2: sub is the client when no person is involved). */
export async function signMachineAccessToken(
  keys: KeyStore,
  token: { issuer: string; audience: string; clientId: string; scope: string; ttlSeconds: number; now: Date },
): Promise<{ token: string; jti: string; expiresAt: Date }> {
  const { kid, alg, key } = await keys.signingKey()
  const jti = randomUUID()
  const iat = seconds(token.now)
  const expiresAt = new Date((iat + token.ttlSeconds) * 1000)
  const jwt = signJws(
    { alg, kid, typ: 'at+jwt' },
    {
      iss: token.issuer,
      aud: token.audience,
      sub: token.clientId,
      iat,
      exp: seconds(expiresAt),
      jti,
      client_id: token.clientId,
      scope: token.scope,
    },
    key,
  )
  return { token: jwt, jti, expiresAt }
}

const backchannelLogoutEvent = 'http://schemas.openid.net/event/backchannel-logout'

/**
 * A logout token (OpenID Connect Back-Channel Logout 1.0 §2.4): typ logout+jwt, aud = the client,
 * sub and (when the tokens came from a browser session) the sid of that session's ID tokens, the
 * back-channel logout event, a jti, two minutes to live; never a nonce.
 */
export async function signLogoutToken(
  keys: KeyStore,
  token: { issuer: string; clientId: string; accountId: string; sessionId: string | null; now: Date },
): Promise<string> {
  const { kid, alg, key } = await keys.signingKey()
  const iat = seconds(token.now)
  return signJws(
    { alg, kid, typ: 'logout+jwt' },
    {
      iss: token.issuer,
      aud: token.clientId,
      sub: token.accountId,
      iat,
      exp: iat + 120,
      jti: randomUUID(),
      ...(token.sessionId ? { sid: token.sessionId } : {}),
      events: { [backchannelLogoutEvent]: {} },
    },
    key,
  )
}

export async function signIdToken(
  keys: KeyStore,
  token: {
    issuer: string
    clientId: string
    scope: string
    account: TokenAccount
    nonce?: string | null
    authentication: Authentication
    sessionId?: string | null
    ttlSeconds: number
    now: Date
  },
): Promise<string> {
  const { kid, alg, key } = await keys.signingKey()
  const iat = seconds(token.now)
  return signJws(
    { alg, kid, typ: 'JWT' },
    {
      iss: token.issuer,
      aud: token.clientId,
      sub: token.account.id,
      iat,
      exp: iat + token.ttlSeconds,
      ...authenticationClaims(token.authentication),
      region: token.account.region,
      role: token.account.role,
      ...(token.nonce ? { nonce: token.nonce } : {}),
      ...(token.sessionId ? { sid: token.sessionId } : {}),
      ...profileClaims(token.account, token.scope),
    },
    key,
  )
}
