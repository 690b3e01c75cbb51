/*
 * requireAcr and maxAge (RFC 9470): a diary service refuses a token whose sign-in is too weak or too old
 * with the insufficient_user_authentication challenge, through the verifier and the Fastify plugin.
 * Tokens are the bridge's own: a password sign-in, and the same session raised by a second factor.
 */
import Fastify from 'fastify'
import * as client from 'openid-client'
import t from 'tap'
import { raiseSessionAssurance } from '../../src/sessions/login-session.js'
import { acrUris, bearerChallenge, bridgeAuth, createVerifier, TokenVerificationError } from '../../src/verify/index.js'
import { publicUrl } from '../helpers/demo-world.js'
import { secrets, startOAuthWorld } from '../helpers/oauth-world.js'

const world = await startOAuthWorld(t)
const config = await world.discover('web-diary', client.ClientSecretBasic(secrets['web-diary']))
const audience = 'https://diary.example/api'

async function signInTokens(browser?: Parameters<typeof world.signIn>[3]) {
  const pkce = client.randomPKCECodeVerifier()
  const signedIn = await world.signIn(await world.authorizationUrl(config, pkce), 'ivanova.m', 'diary-demo', browser)
  const tokens = await client.authorizationCodeGrant(config, signedIn.location!, { pkceCodeVerifier: pkce })
  return { tokens, browser: signedIn.browser }
}

const weak = await signInTokens()
const sid = weak.tokens.claims()?.sid as string
await raiseSessionAssurance(world.db, sid, { amr: 'pwd hwk mfa', acr: 'mfa', authenticatedAt: world.now() })
const strong = (await signInTokens(weak.browser)).tokens
const passwordToken = weak.tokens.access_token
const mfaToken = strong.access_token

const service = Fastify()
await service.register(async (api) => {
  await api.register(bridgeAuth, { issuer: publicUrl, audience, fetch: world.fetch, requireAcr: acrUris.mfa })
  api.get('/api/marks', async (request) => ({ acr: request.bridgeToken?.acr }))
})
const shared = createVerifier({ issuer: publicUrl, audience, fetch: world.fetch })
await service.register(async (api) => {
  await api.register(bridgeAuth, { verifier: shared, maxAge: 300, now: world.now })
  api.get('/api/password', async () => ({ ok: true }))
})
await service.register(async (api) => {
  await api.register(bridgeAuth, { verifier: shared })
  api.get('/api/me', async () => ({ ok: true }))
})
t.teardown(async () => {
  shared.close()
  await service.close()
})
const call = (url: string, token: string) => service.inject({ url, headers: { authorization: `Bearer ${token}` } })

t.test('the tokens are what the test says they are', async (t) => {
  t.match(weak.tokens.claims(), { acr: acrUris.password, amr: ['pwd'] })
  t.match(strong.claims(), { acr: acrUris.mfa, amr: ['pwd', 'hwk', 'mfa'] })
})

t.test('requireAcr mfa: a password token gets the RFC 9470 challenge, an mfa token passes', async (t) => {
  const refused = await call('/api/marks', passwordToken)
  t.equal(refused.statusCode, 401)
  t.equal(
    refused.headers['www-authenticate'],
    'Bearer error="insufficient_user_authentication", error_description="a stronger sign-in is required", acr_values="urn:diary-bridge:acr:mfa"',
  )
  t.same(refused.json(), {
    error: 'insufficient_user_authentication',
    error_description: 'insufficient_user_authentication',
  })
  const accepted = await call('/api/marks', mfaToken)
  t.equal(accepted.statusCode, 200)
  t.same(accepted.json(), { acr: acrUris.mfa })
  t.equal((await call('/api/me', passwordToken)).statusCode, 200, 'another scope without the requirement')
})

t.test('requireAcr password: an mfa token satisfies it', async (t) => {
  const verifier = createVerifier({ issuer: publicUrl, audience, fetch: world.fetch, requireAcr: [acrUris.password] })
  t.teardown(() => verifier.close())
  t.match(await verifier.verify(mfaToken), { acr: acrUris.mfa })
  t.match(await verifier.verify(passwordToken), { acr: acrUris.password })
})

t.test('maxAge: seconds since auth_time, else the challenge names max_age', async (t) => {
  t.equal((await call('/api/password', passwordToken)).statusCode, 200, 'just signed in')
  world.clock.offsetMs = 301_000
  t.teardown(() => {
    world.clock.offsetMs = 0
  })
  const refused = await call('/api/password', passwordToken)
  t.equal(refused.statusCode, 401)
  t.equal(
    refused.headers['www-authenticate'],
    'Bearer error="insufficient_user_authentication", error_description="a more recent sign-in is required", max_age="300"',
  )
  const verifier = createVerifier({
    issuer: publicUrl,
    audience,
    fetch: world.fetch,
    now: world.now,
    requireAcr: acrUris.mfa,
    maxAge: 60,
  })
  t.teardown(() => verifier.close())
  const both = await verifier.verify(passwordToken).catch((error: unknown) => error)
  t.ok(both instanceof TokenVerificationError)
  t.match(both, { code: 'insufficient_user_authentication', challenge: { acrValues: [acrUris.mfa], maxAge: 60 } })
  t.equal(
    bearerChallenge(both).wwwAuthenticate,
    'Bearer error="insufficient_user_authentication", error_description="a stronger sign-in is required", acr_values="urn:diary-bridge:acr:mfa", max_age="60"',
  )
})

t.test(
  'a token without auth_time or acr fails a requirement; a malformed requirement is refused at once',
  async (t) => {
    const unsigned = new TokenVerificationError('token_missing', 'no access token')
    t.same(bearerChallenge(unsigned), { status: 401, wwwAuthenticate: 'Bearer', error: 'invalid_token' })
    const { checkAuthentication } = await import('../../src/verify/acr.js')
    t.throws(() => checkAuthentication({}, { maxAge: 60 }, 1_000), { code: 'insufficient_user_authentication' })
    t.throws(() => checkAuthentication({ acr: 42 }, { requireAcr: acrUris.password }, 1_000), {
      code: 'insufficient_user_authentication',
      message: 'a stronger sign-in is required',
    })
    t.doesNotThrow(() => checkAuthentication({}, {}, 1_000), 'no requirement, nothing asked')
    for (const options of [{ requireAcr: [] }, { requireAcr: 'urn:a "b"' }, { maxAge: -1 }, { maxAge: 1.5 }]) {
      t.throws(() => createVerifier({ issuer: publicUrl, audience, fetch: world.fetch, ...options }), TypeError)
    }
  },
)
