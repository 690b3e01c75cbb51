/*
 * The bridge as a diary service's verifier sees it, made with jose: an ES256 key published at
 * /.well-known/jwks.json, a mutable /revocations list (which can fail, answer slowly or answer nonsense),
 * request counts per path, and tokens signed the way the bridge signs them with any header or claim
 * changed (`undefined` removes one).
 */
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'

export const logoutEvent = 'http://schemas.openid.net/event/backchannel-logout'

type Changes = Record<string, unknown>

/** How a token is signed: by the published key, by another key under the published kid, HS256 with the public JWK as the secret, or not at all. */
export type Signing = 'right' | 'unpublished-key' | 'hs256' | 'none'

export interface FakeBridge {
  issuer: string
  /** What GET /revocations lists. */
  revoked: { sessions: string[]; tokens: string[] }
  /** How /revocations misbehaves: a status, a body, or a delay. */
  revocationsAnswer: { status?: number; body?: unknown; delayMs?: number }
  requests(path: string): number
  accessToken(claims?: Changes, header?: Changes, signing?: Signing): Promise<string>
  logoutToken(claims?: Changes, header?: Changes, signing?: Signing): Promise<string>
  close(): Promise<void>
}

const apply = (base: Changes, changes: Changes): Changes =>
  Object.fromEntries(Object.entries({ ...base, ...changes }).filter(([, value]) => value !== undefined))

export async function startFakeBridge(
  options: { clientId?: string; audience?: string; now?: () => number } = {},
): Promise<FakeBridge> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const other = await generateKeyPair('ES256')
  const kid = 'bridge-key-1'
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }
  const counts = new Map<string, number>()
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname
    counts.set(path, (counts.get(path) ?? 0) + 1)
    const send = (status: number, body: unknown) =>
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    if (path === '/.well-known/jwks.json') return send(200, { keys: [jwk] })
    if (path !== '/revocations') return send(404, { error: 'not_found' })
    // The answer as it stood when the request arrived: a test that changes the list while a fetch is on
    // its way (a loaded machine delays it) must not see the new list in the old answer.
    const answer = bridge.revocationsAnswer
    const body = answer.body ?? {
      issuer: bridge.issuer,
      generated_at: Math.floor(Date.now() / 1000),
      ...structuredClone(bridge.revoked),
    }
    setTimeout(() => {
      if (!response.destroyed) send(answer.status ?? 200, body)
    }, answer.delayMs ?? 0)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const seconds = () => Math.floor((options.now?.() ?? Date.now()) / 1000)

  async function sign(claims: Changes, header: Changes, signing: Signing): Promise<string> {
    const protectedHeader = apply({ alg: 'ES256', kid }, header)
    switch (signing) {
      case 'right':
      case 'unpublished-key':
        return new SignJWT(claims)
          .setProtectedHeader(protectedHeader as { alg: string })
          .sign(signing === 'right' ? privateKey : other.privateKey)
      case 'hs256':
        return new SignJWT(claims)
          .setProtectedHeader({ ...protectedHeader, alg: 'HS256' })
          .sign(new TextEncoder().encode(JSON.stringify(jwk)))
      case 'none':
        return `${Buffer.from(JSON.stringify({ ...protectedHeader, alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`
    }
  }

  const bridge: FakeBridge = {
    issuer: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    revoked: { sessions: [], tokens: [] },
    revocationsAnswer: {},
    requests: (path) => counts.get(path) ?? 0,
    accessToken: (claims = {}, header = {}, signing = 'right') => {
      const iat = seconds()
      const base = {
        iss: bridge.issuer,
        aud: options.audience ?? 'https://diary.example/api',
        sub: 'account-1',
        client_id: 'web-diary',
        scope: 'openid profile',
        region: '29',
        role: 'pupil',
        sid: 'session-1',
        iat,
        exp: iat + 600,
        jti: randomUUID(),
      }
      return sign(apply(base, claims), { typ: 'at+jwt', ...header }, signing)
    },
    logoutToken: (claims = {}, header = {}, signing = 'right') => {
      const iat = seconds()
      const base = {
        iss: bridge.issuer,
        aud: options.clientId ?? 'web-diary',
        sub: 'account-1',
        sid: 'session-1',
        iat,
        exp: iat + 120,
        jti: randomUUID(),
        events: { [logoutEvent]: {} },
      }
      return sign(apply(base, claims), { typ: 'logout+jwt', ...header }, signing)
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
  return bridge
}
