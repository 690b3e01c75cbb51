/*
 * Client authentication at the token, introspection and revocation endpoints (RFC 6749 §2.3, OIDC Core §9):
 * - each client uses exactly the method configured for it; anything else is invalid_client
 * - client_secret_basic: both parts form-urldecoded (RFC 6749 §2.3.1); secrets compared in constant time
 * - client_secret_post: client_id and client_secret in the body
 * - private_key_jwt: a JWT signed by a key of the client's jwks_uri, iss = sub = client_id, aud = the
 *   token endpoint or the issuer, unexpired, at most 5 minutes old
 *   and single use: its jti is kept per client until it expires (client-assertion.repository.ts)
 * - none: public clients name themselves with client_id (they are held to PKCE instead)
 * A failure is a value with its reason: the caller answers the same invalid_client whatever it is.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { createRemoteJWKSet, customFetch, jwtVerify, type JWTVerifyGetKey } from 'jose'
import type { ClientConfig } from '../config/load.js'
import type { Executor } from '../db/schema.js'
import { spendClientAssertion } from './client-assertion.repository.js'

export interface ClientAuthInput {
  authorization: string | undefined
  body: Record<string, unknown>
  /** Where used client assertions are kept, and the time to keep them by. */
  db: Executor
  now: Date
}

export type ClientAuthFailure =
  | 'malformed_credentials'
  | 'unknown_client'
  | 'client_id_mismatch'
  | 'wrong_method'
  | 'wrong_secret'
  | 'invalid_assertion'
  | 'assertion_replayed'

/** `clientId` on a failure: the registered client that was named, if any (never an unknown id). */
export type ClientAuthResult =
  { ok: true; client: ClientConfig } | { ok: false; reason: ClientAuthFailure; clientId?: string }

/** How long an assertion is accepted after its iat (jose's maxTokenAge). */
const assertionMaxAgeSeconds = 300

function secretsEqual(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest()
  return timingSafeEqual(digest(a), digest(b))
}

function formDecode(value: string): string {
  return decodeURIComponent(value.replaceAll('+', ' '))
}

function parseBasic(header: string): { id: string; secret: string } | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header.trim())
  if (!match?.[1]) return undefined
  const decoded = Buffer.from(match[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon === -1) return undefined
  try {
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) }
  } catch {
    return undefined
  }
}

/**
 * The client id a request names, before anything is checked: the Basic user, or else the `client_id`
 * form field — the id authenticateClient looks up (a private_key_jwt client names itself in client_id too).
 */
export function claimedClientId(authorization: string | undefined, body: Record<string, unknown>): string | undefined {
  if (authorization !== undefined) return parseBasic(authorization)?.id
  return typeof body.client_id === 'string' ? body.client_id : undefined
}

const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

export function createClientAuthenticator(
  clients: ReadonlyMap<string, ClientConfig>,
  options: { issuer: string; tokenEndpoint: string; fetch?: typeof fetch },
) {
  const jwksByClient = new Map<string, JWTVerifyGetKey>()

  /** The assertion's jti and the moment it stops being acceptable, or undefined when it is not valid. */
  async function checkAssertion(
    client: ClientConfig,
    assertion: string,
  ): Promise<{ jti: string; expiresAt: Date } | undefined> {
    let jwks = jwksByClient.get(client.clientId)
    if (jwks === undefined) {
      jwks = createRemoteJWKSet(new URL(client.jwksUri as string), {
        timeoutDuration: 5000,
        cooldownDuration: 30_000,
        ...(options.fetch ? { [customFetch]: options.fetch } : {}),
      })
      jwksByClient.set(client.clientId, jwks)
    }
    try {
      const { payload } = await jwtVerify(assertion, jwks, {
        issuer: client.clientId,
        subject: client.clientId,
        audience: [options.tokenEndpoint, options.issuer],
        algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
        requiredClaims: ['exp', 'iat', 'jti'],
        maxTokenAge: assertionMaxAgeSeconds,
      })
      const { jti, exp, iat } = payload as { jti: unknown; exp: number; iat: number }
      if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) return undefined
      return { jti, expiresAt: new Date(Math.min(exp, iat + assertionMaxAgeSeconds) * 1000) }
    } catch {
      return undefined
    }
  }

  /** The authenticated client, or the reason it is not. */
  return async function authenticateClient(input: ClientAuthInput): Promise<ClientAuthResult> {
    const body = input.body
    const text = (name: string) => (typeof body[name] === 'string' ? body[name] : undefined)
    const basic = input.authorization === undefined ? undefined : parseBasic(input.authorization)
    if (input.authorization !== undefined && basic === undefined) return { ok: false, reason: 'malformed_credentials' }
    const assertion = text('client_assertion')
    const method = basic
      ? 'client_secret_basic'
      : assertion !== undefined
        ? 'private_key_jwt'
        : text('client_secret') !== undefined
          ? 'client_secret_post'
          : 'none'
    const clientId = claimedClientId(input.authorization, body)
    const client = clientId === undefined ? undefined : clients.get(clientId)
    if (client === undefined) return { ok: false, reason: 'unknown_client' }
    const refused = (reason: ClientAuthFailure): ClientAuthResult => ({ ok: false, reason, clientId: client.clientId })
    if (text('client_id') !== undefined && text('client_id') !== client.clientId) return refused('client_id_mismatch')
    if (client.tokenEndpointAuthMethod !== method) return refused('wrong_method')
    switch (method) {
      case 'client_secret_basic':
      case 'client_secret_post': {
        const expected = client.clientSecret?.reveal()
        const given = basic?.secret ?? text('client_secret') ?? ''
        if (expected === undefined || !secretsEqual(given, expected)) return refused('wrong_secret')
        return { ok: true, client }
      }
      case 'private_key_jwt': {
        if (text('client_assertion_type') !== assertionType) return refused('invalid_assertion')
        const checked = await checkAssertion(client, assertion as string)
        if (checked === undefined) return refused('invalid_assertion')
        const first = await spendClientAssertion(input.db, { clientId: client.clientId, ...checked, now: input.now })
        return first ? { ok: true, client } : refused('assertion_replayed')
      }
      case 'none':
        return { ok: true, client }
    }
  }
}

export type ClientAuthenticator = ReturnType<typeof createClientAuthenticator>
