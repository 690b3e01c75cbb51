import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import * as client from 'openid-client'
import t from 'tap'
import { importDemoAccounts, publicUrl } from '../helpers/demo-world.js'
import { injectFetch } from '../helpers/inject-fetch.js'
import { freshCode } from '../helpers/oauth-world.js'
import { buildTestApp } from '../helpers/test-app.js'
import { loadTestConfig, passwordOnlyRegion, validEnv } from '../helpers/test-config.js'
import { openTestDatabase } from '../helpers/test-database.js'

// The diary module's own key set, served where its client file says.
const { publicKey, privateKey } = await generateKeyPair('ES256')
const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'module-key-1', alg: 'ES256', use: 'sig' }] }
const server = createServer((_request, response) =>
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks)),
)
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
t.teardown(() => new Promise((resolve) => server.close(resolve)))
const jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`

const config = loadTestConfig(
  t,
  {
    'bridge.json': { publicUrl },
    'regions/29.json': { name: { ru: 'Архангельская область', en: 'Arkhangelsk Oblast' } },
    'regions/78.json': passwordOnlyRegion,
    'clients/signed-module.json': {
      name: 'A module that signs its client assertions',
      redirectUris: ['https://signed.example/cb'],
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwksUri,
      scopes: ['openid'],
      audience: 'https://signed.example/api',
      regions: ['29'],
    },
  },
  validEnv,
)
const database = await openTestDatabase(t)
await importDemoAccounts(database, config)
const { app } = await buildTestApp(t, config, database.db)

/** A code for the signed module: its /authorize URL, ivanova.m signed in, the redirect back. */
const signedModuleCode = (verifier: string) =>
  freshCode(app, {
    verifier,
    parameters: { client_id: 'signed-module', redirect_uri: 'https://signed.example/cb', scope: 'openid' },
  })

t.test('openid-client with PrivateKeyJwt authenticates at the token endpoint', async (t) => {
  const configuration = await client.discovery(
    new URL(publicUrl),
    'signed-module',
    {},
    client.PrivateKeyJwt({ key: privateKey, kid: 'module-key-1' }),
    {
      [client.customFetch]: injectFetch(app, publicUrl),
      execute: [client.allowInsecureRequests],
    },
  )
  const verifier = client.randomPKCECodeVerifier()
  const tokens = await client.authorizationCodeGrant(configuration, (await signedModuleCode(verifier)).location, {
    pkceCodeVerifier: verifier,
  })
  t.ok(tokens.access_token)
})

t.test('a forged, stale or misaddressed client assertion is invalid_client', async (t) => {
  const { privateKey: stranger } = await generateKeyPair('ES256')
  const assertion = (key: typeof privateKey, claims: { aud?: string; iat?: number; exp?: number } = {}) =>
    new SignJWT({ jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: 'module-key-1' })
      .setIssuer('signed-module')
      .setSubject('signed-module')
      .setAudience(claims.aud ?? `${publicUrl}/token`)
      .setIssuedAt(claims.iat ?? Math.floor(Date.now() / 1000))
      .setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 60)
      .sign(key)
  const cases: [string, string][] = [
    ['signed by another key', await assertion(stranger)],
    ['for another audience', await assertion(privateKey, { aud: 'https://elsewhere.example/token' })],
    [
      'expired',
      await assertion(privateKey, {
        iat: Math.floor(Date.now() / 1000) - 900,
        exp: Math.floor(Date.now() / 1000) - 600,
      }),
    ],
  ]
  const verifier = client.randomPKCECodeVerifier()
  const code = (await signedModuleCode(verifier)).code
  for (const [name, clientAssertion] of cases) {
    const response = await app.inject({
      method: 'POST',
      url: '/token',
      payload: {
        grant_type: 'authorization_code',
        code,
        redirect_uri: 'https://signed.example/cb',
        code_verifier: verifier,
        client_id: 'signed-module',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: clientAssertion,
      },
    })
    t.equal(response.statusCode, 401, name)
    t.equal(response.json().error, 'invalid_client', name)
  }
})

t.test('a client assertion is single use, on every instance; a new jti works', async (t) => {
  const second = await buildTestApp(t, config, database.db)
  const assertion = (jti: string) =>
    new SignJWT({ jti })
      .setProtectedHeader({ alg: 'ES256', kid: 'module-key-1' })
      .setIssuer('signed-module')
      .setSubject('signed-module')
      .setAudience(`${publicUrl}/token`)
      .setIssuedAt()
      .setExpirationTime('2 minutes')
      .sign(privateKey)
  const redeem = async (target: typeof app, clientAssertion: string) => {
    const verifier = client.randomPKCECodeVerifier()
    const code = (await signedModuleCode(verifier)).code
    return target.inject({
      method: 'POST',
      url: '/token',
      payload: {
        grant_type: 'authorization_code',
        code,
        redirect_uri: 'https://signed.example/cb',
        code_verifier: verifier,
        client_id: 'signed-module',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: clientAssertion,
      },
    })
  }
  const kept = async () => (await database.db.selectFrom('client_assertion_use').select('jti').execute()).length
  const before = await kept()
  const once = await assertion(crypto.randomUUID())
  t.equal((await redeem(app, once)).statusCode, 200)
  const replay = await redeem(app, once)
  t.equal(replay.statusCode, 401, 'replayed on the same instance')
  t.equal(replay.json().error, 'invalid_client')
  t.equal((await redeem(second.app, once)).statusCode, 401, 'replayed on another instance')
  t.equal((await redeem(second.app, await assertion(crypto.randomUUID()))).statusCode, 200, 'a new jti is fine')
  t.equal((await kept()) - before, 2, 'each jti kept')
  const stored = await database.db.selectFrom('client_assertion_use').select(['client_id', 'expires_at']).execute()
  t.ok(
    stored.every((row) => row.client_id === 'signed-module' && row.expires_at.getTime() > Date.now()),
    'until it expires',
  )
})
