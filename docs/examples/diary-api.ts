/*
 * A diary service's API on plain node:http that accepts the bridge's access tokens, checked offline by
 * the bridge's verifier (docs/provider.md, "4. Verify access tokens"):
 *
 *   BRIDGE_URL=http://localhost:3000 AUDIENCE=https://example-module.diary.example/api \
 *     npx tsx --tsconfig docs/examples/tsconfig.json docs/examples/diary-api.ts
 *
 * `GET /me` with `Authorization: Bearer <access token>` answers whom the token is for. PORT: 4001.
 */
import { createServer, type ServerResponse } from 'node:http'
import { createVerifier, TokenVerificationError } from 'diary-identity-bridge/verify'

const { BRIDGE_URL: issuer, AUDIENCE: audience, PORT: port = '4001' } = process.env
if (!issuer || !audience) throw new Error('set the environment variables BRIDGE_URL and AUDIENCE')
// One verifier for the whole process: it caches the bridge's JWKS.
const verifier = createVerifier({ issuer, audience })

function answer(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body))
}

createServer((request, response) => {
  if (request.method !== 'GET' || new URL(request.url ?? '/', 'http://api').pathname !== '/me') return answer(response, 404, { error: 'not_found' })
  const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1]
  verifier.verify(token).then(
    (claims) => answer(response, 200, { sub: claims.sub, region: claims.region, role: claims.role, scope: claims.scope }),
    (error: unknown) => {
      const code = error instanceof TokenVerificationError ? error.code : 'jwks_unavailable'
      if (code === 'jwks_unavailable') return answer(response, 503, { error: 'temporarily_unavailable' })
      // RFC 6750 §3: no error code when no token was sent at all.
      const challenge = code === 'token_missing' ? 'Bearer' : `Bearer error="invalid_token", error_description="${code}"`
      answer(response, 401, { error: 'invalid_token', error_description: code }, { 'www-authenticate': challenge })
    },
  )
}).listen(Number(port), process.env.HOST ?? '127.0.0.1', () => {
  // eslint-disable-next-line no-console -- the one line a person starting the example needs
  console.log(`diary API: http://localhost:${port}/me`)
})
