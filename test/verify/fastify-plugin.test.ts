import Fastify from 'fastify'
import t from 'tap'
import { bridgeAuth, createVerifier } from '../../src/verify/index.js'
import { publicUrl } from '../helpers/demo-world.js'
import { secrets, startOAuthWorld } from '../helpers/oauth-world.js'
import * as client from 'openid-client'

const world = await startOAuthWorld(t)
const config = await world.discover('web-diary', client.ClientSecretBasic(secrets['web-diary']))
const verifier = client.randomPKCECodeVerifier()
const url = await world.authorizationUrl(config, verifier, { scope: 'openid profile' })
const { location } = await world.signIn(url)
const tokens = await client.authorizationCodeGrant(config, location!, { pkceCodeVerifier: verifier })

// A diary service, as docs/provider.md shows it.
const service = Fastify()
await service.register(async (api) => {
  await api.register(bridgeAuth, { issuer: publicUrl, audience: 'https://diary.example/api', fetch: world.fetch })
  api.get('/api/me', async (request) => ({ sub: request.bridgeToken?.sub, role: request.bridgeToken?.role }))
})
await service.register(async (api) => {
  await api.register(bridgeAuth, {
    verifier: createVerifier({ issuer: publicUrl, audience: 'https://diary.example/api', fetch: world.fetch }),
    requiredScopes: ['marks.write'],
  })
  api.get('/api/marks', async () => ({ ok: true }))
})
service.get('/public', async () => ({ open: true }))
t.teardown(() => service.close())

t.test('a valid token passes and its claims reach the handler', async (t) => {
  const response = await service.inject({ url: '/api/me', headers: { authorization: `Bearer ${tokens.access_token}` } })
  t.equal(response.statusCode, 200)
  t.match(response.json(), { sub: tokens.claims()?.sub, role: 'pupil' })
})

t.test('no token, or a bad one, is 401 with WWW-Authenticate', async (t) => {
  const none = await service.inject({ url: '/api/me' })
  t.equal(none.statusCode, 401)
  t.equal(none.headers['www-authenticate'], 'Bearer')
  const bad = await service.inject({
    url: '/api/me',
    headers: { authorization: `Bearer ${tokens.access_token.slice(0, -3)}abc` },
  })
  t.equal(bad.statusCode, 401)
  t.equal(bad.headers['www-authenticate'], 'Bearer error="invalid_token", error_description="signature_invalid"')
  t.equal((await service.inject({ url: '/public' })).statusCode, 200, 'routes outside the scope are not affected')
})

t.test('a missing scope is 403 insufficient_scope', async (t) => {
  const response = await service.inject({
    url: '/api/marks',
    headers: { authorization: `Bearer ${tokens.access_token}` },
  })
  t.equal(response.statusCode, 403)
  t.equal(response.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="marks.write"')
})

t.test('the ID token is not an access token', async (t) => {
  const response = await service.inject({ url: '/api/me', headers: { authorization: `Bearer ${tokens.id_token}` } })
  t.equal(response.statusCode, 401)
  t.match(response.headers['www-authenticate'], /error="invalid_token"/)
})

t.test('an unknown kid refetches the JWKS at most once per cooldown', async (t) => {
  let fetches = 0
  const counting: typeof fetch = (input, init) => {
    if (String(input instanceof Request ? input.url : input).endsWith('/.well-known/jwks.json')) fetches++
    return world.fetch(input, init)
  }
  const verify = createVerifier({ issuer: publicUrl, audience: 'https://diary.example/api', fetch: counting })
  t.teardown(() => verify.close())
  await verify.verify(tokens.access_token)
  const [, payload, signature] = tokens.access_token.split('.')
  const forged = (kid: number) =>
    `${Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: `forged-${kid}` })).toString('base64url')}.${payload}.${signature}`
  for (let i = 0; i < 20; i++) await t.rejects(verify.verify(forged(i)), { code: 'key_unknown' })
  t.equal(fetches, 1, 'twenty unknown kids, no refetch within the cooldown')
})
