/*
 * Client authentication at the token, introspection and revocation endpoints (RFC 6749 §2.3, OIDC Core §9):
 * - each client uses exactly the method configured for it; anything else is invalid_client
 * - client_secret_basic: both parts form-urldecoded (RFC 6749 §2.3.1); secrets compared in constant time
 * - client_secret_post: client_id and client_secret in the body
 * - private_key_jwt: a JWT signed by a key of the client's jwks_uri, iss = sub = client_id, aud = the
 *   token endpoint or the issuer, unexpired, at most 5 minutes old
 * - none: public clients name themselves with client_id (they are held to PKCE instead)
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { createRemoteJWKSet, customFetch, jwtVerify, type JWTVerifyGetKey } from 'jose'
import type { ClientConfig } from '../config/load.js'
import { BridgeError } from '../errors.js'

export interface ClientAuthInput {
  authorization: string | undefined
  body: Record<string, unknown>
}

const invalidClient = (why: string) => new BridgeError('ERR_OAUTH_INVALID_CLIENT', why)

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

const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

export function createClientAuthenticator(
  clients: ReadonlyMap<string, ClientConfig>,
  options: { issuer: string; tokenEndpoint: string; fetch?: typeof fetch },
) {
  const jwksByClient = new Map<string, JWTVerifyGetKey>()

  async function checkAssertion(client: ClientConfig, assertion: string): Promise<void> {
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
      await jwtVerify(assertion, jwks, {
        issuer: client.clientId,
        subject: client.clientId,
        audience: [options.tokenEndpoint, options.issuer],
        algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
        requiredClaims: ['exp', 'jti'],
        maxTokenAge: 300,
      })
    } catch {
      throw invalidClient('the client assertion is not valid')
    }
  }

  /** The authenticated client, or ERR_OAUTH_INVALID_CLIENT. */
  return async function authenticateClient(input: ClientAuthInput): Promise<ClientConfig> {
    const body = input.body
    const text = (name: string) => (typeof body[name] === 'string' ? (body[name]) : undefined)
    const basic = input.authorization === undefined ? undefined : parseBasic(input.authorization)
    if (input.authorization !== undefined && basic === undefined) throw invalidClient('malformed Authorization header')
    const assertion = text('client_assertion')
    const method = basic
      ? 'client_secret_basic'
      : assertion !== undefined
        ? 'private_key_jwt'
        : text('client_secret') !== undefined
          ? 'client_secret_post'
          : 'none'
    const clientId = basic?.id ?? text('client_id')
    const client = clientId === undefined ? undefined : clients.get(clientId)
    if (client === undefined) throw invalidClient('unknown client')
    if (text('client_id') !== undefined && text('client_id') !== client.clientId) throw invalidClient('client_id does not match')
    if (client.tokenEndpointAuthMethod !== method) throw invalidClient(`this client authenticates with ${client.tokenEndpointAuthMethod}`)
    switch (method) {
      case 'client_secret_basic':
      case 'client_secret_post': {
        const expected = client.clientSecret?.reveal()
        const given = basic?.secret ?? text('client_secret') ?? ''
        if (expected === undefined || !secretsEqual(given, expected)) throw invalidClient('wrong client secret')
        return client
      }
      case 'private_key_jwt':
        if (text('client_assertion_type') !== assertionType) throw invalidClient('unsupported client_assertion_type')
        await checkAssertion(client, assertion as string)
        return client
      case 'none':
        return client
    }
  }
}

export type ClientAuthenticator = ReturnType<typeof createClientAuthenticator>
