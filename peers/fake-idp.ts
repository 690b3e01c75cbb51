/*
 * A scriptable OpenID provider that misbehaves on demand, for negative tests of the upstream flow.
 * By default it behaves: discovery, authorize (answers at once for a fixed person), token endpoint
 * with PKCE and client_secret_basic checks, RS256 ID tokens, userinfo, JWKS. A script changes one
 * thing: the signing key or algorithm, any ID token claim, the userinfo `sub`, the `iss` of the
 * authorization response, or a delay. With `persons`, the authorize request's `x-fake-person` header (sent
 * by a benchmark's browser) picks the person: it becomes the `sub`, and `persons(sub)` the userinfo claims.
 * Standing in for the bridge, it also publishes its keys at the bridge's path and signs any JWT (a logout token).
 */
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose'

export interface FakeIdpScript {
  /** How the ID token is signed. */
  signing?: 'right' | 'unpublished-key' | 'none' | 'hs256-with-public-key' | 'unknown-kid'
  /** Changes the ID token claims before signing (delete a key to omit it). */
  idTokenClaims?: (claims: Record<string, unknown>) => Record<string, unknown>
  /** The `sub` userinfo answers with. */
  userinfoSub?: string
  /** The `iss` of the authorization response: a value, or null to omit it. */
  responseIss?: string | null
  /** Delay before the token endpoint answers. */
  tokenDelayMs?: number
  /** Extra userinfo claims (the person). */
  person?: Record<string, unknown>
}

export interface FakeIdp {
  issuer: string
  clientId: string
  clientSecret: string
  /** How many times the JWKS was fetched. */
  jwksRequests(): number
  script(script: FakeIdpScript): void
  /** Signs with the current key, as it signs ID tokens. */
  sign(claims: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>
  /** Publishes a new key and signs with it from now on; the old key is no longer published. */
  rotateKeys(): Promise<void>
  close(): Promise<void>
}

interface SigningKey {
  kid: string
  privateKey: CryptoKey
  publicJwk: JWK
  publicPem: string
}

async function newKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  return {
    kid,
    privateKey,
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
    publicPem: await exportSPKI(publicKey),
  }
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url')

export const fakePerson = {
  family_name: 'Иванова',
  given_name: 'Мария',
  middle_name: 'Петровна',
  birthdate: '2012-03-14',
  snils: '112-233-445 95',
  trusted: true,
}

export async function startFakeIdp(options: {
  clientId: string
  clientSecret: string
  persons?: (sub: string) => Record<string, unknown>
}): Promise<FakeIdp> {
  let key = await newKey('key-1')
  const unpublished = await newKey('key-1')
  let script: FakeIdpScript = {}
  let jwksRequests = 0
  const codes = new Map<string, { nonce: string; challenge: string; sub: string }>()
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  async function idToken(claims: Record<string, unknown>): Promise<string> {
    const signing = script.signing ?? 'right'
    if (signing === 'none')
      return `${base64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}.`
    if (signing === 'hs256-with-public-key') {
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid: key.kid })
        .sign(new TextEncoder().encode(key.publicPem))
    }
    const signer = signing === 'unpublished-key' ? unpublished : key
    const kid = signing === 'unknown-kid' ? `unknown-${randomBytes(6).toString('hex')}` : signer.kid
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(signer.privateKey)
  }

  const json = (response: ServerResponse, status: number, body: unknown): void => {
    response
      .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(JSON.stringify(body))
  }

  async function body(request: IncomingMessage): Promise<URLSearchParams> {
    let text = ''
    for await (const chunk of request) text += String(chunk)
    return new URLSearchParams(text)
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', issuer)
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        return json(response, 200, {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          userinfo_endpoint: `${issuer}/userinfo`,
          jwks_uri: `${issuer}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['client_secret_basic'],
          authorization_response_iss_parameter_supported: true,
        })
      case '/jwks':
      case '/.well-known/jwks.json':
        jwksRequests++
        return json(response, 200, { keys: [key.publicJwk] })
      case '/authorize': {
        const code = randomBytes(16).toString('hex')
        codes.set(code, {
          nonce: url.searchParams.get('nonce') ?? '',
          challenge: url.searchParams.get('code_challenge') ?? '',
          sub: (options.persons && [request.headers['x-fake-person']].flat()[0]) || 'fake-person-1',
        })
        const back = new URL(url.searchParams.get('redirect_uri') ?? '')
        back.searchParams.set('code', code)
        back.searchParams.set('state', url.searchParams.get('state') ?? '')
        const iss = script.responseIss === undefined ? issuer : script.responseIss
        if (iss !== null) back.searchParams.set('iss', iss)
        response.writeHead(302, { location: back.href }).end()
        return
      }
      case '/token': {
        if (script.tokenDelayMs) await new Promise((resolve) => setTimeout(resolve, script.tokenDelayMs))
        const form = await body(request)
        // RFC 6749 §2.3.1: both parts are form-urlencoded before base64 (oauth4webapi encodes even "-").
        const basic = Buffer.from((request.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString()
        const [id = '', secret = ''] = basic.split(':').map((part) => decodeURIComponent(part.replaceAll('+', ' ')))
        if (id !== options.clientId || secret !== options.clientSecret)
          return json(response, 401, { error: 'invalid_client' })
        const grant = codes.get(form.get('code') ?? '')
        codes.delete(form.get('code') ?? '')
        const verifier = form.get('code_verifier') ?? ''
        if (grant === undefined || createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) {
          return json(response, 400, { error: 'invalid_grant' })
        }
        const now = Math.floor(Date.now() / 1000)
        const claims = {
          iss: issuer,
          aud: options.clientId,
          sub: grant.sub,
          nonce: grant.nonce,
          iat: now,
          exp: now + 300,
        }
        return json(response, 200, {
          access_token: `at-${grant.sub}-${randomBytes(8).toString('hex')}`,
          token_type: 'Bearer',
          expires_in: 300,
          id_token: await idToken(script.idTokenClaims ? script.idTokenClaims({ ...claims }) : claims),
        })
      }
      case '/userinfo': {
        const sub = /^Bearer at-(.+)-[0-9a-f]{16}$/.exec(request.headers.authorization ?? '')?.[1]
        if (sub === undefined) return json(response, 401, { error: 'invalid_token' })
        const person = script.person ?? options.persons?.(sub) ?? fakePerson
        return json(response, 200, { ...person, sub: script.userinfoSub ?? sub })
      }
      default:
        return json(response, 404, { error: 'not_found' })
    }
  }

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    handle(request, response).catch((error: unknown) => json(response, 500, { error: String(error) }))
  })

  return {
    issuer,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    jwksRequests: () => jwksRequests,
    script: (next) => (script = next),
    sign: (claims, header = {}) =>
      new SignJWT(claims).setProtectedHeader({ ...header, alg: 'RS256', kid: key.kid }).sign(key.privateKey),
    rotateKeys: async () => {
      key = await newKey(`key-${randomBytes(4).toString('hex')}`)
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
