import { decodeProtectedHeader } from 'jose'
import * as client from 'openid-client'
import t from 'tap'
import { createVerifier } from '../../src/verify/index.js'
import { publicUrl } from '../helpers/demo-world.js'
import { secrets, startOAuthWorld } from '../helpers/oauth-world.js'
import { pkceAuthorizationUrl } from '../helpers/pkce.js'

const world = await startOAuthWorld(t)
/** openid-client's ResponseBodyError for an invalid_grant answer. */
const invalidGrant = { error: 'invalid_grant' } as unknown as Error
const { db } = world

t.test(
  'a diary module with openid-client: login, code, tokens, userinfo, refresh, introspect, revoke, logout',
  async (t) => {
    const config = await world.discover('web-diary', client.ClientSecretBasic(secrets['web-diary']))
    t.equal(config.serverMetadata().issuer, publicUrl)

    const verifier = client.randomPKCECodeVerifier()
    const state = client.randomState()
    const nonce = client.randomNonce()
    const url = await world.authorizationUrl(config, verifier, { scope: 'openid profile offline_access', state, nonce })
    const { location } = await world.signIn(url)
    t.ok(location, 'redirected back to the diary module')
    t.equal(location?.origin + location!.pathname, 'https://diary.example/callback')
    t.equal(location?.searchParams.get('iss'), publicUrl, 'iss in the authorization response (RFC 9207)')

    const tokens = await client.authorizationCodeGrant(config, location!, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    })
    const account = await db
      .selectFrom('diary_account')
      .selectAll()
      .where('login', '=', 'ivanova.m')
      .executeTakeFirstOrThrow()
    const claims = tokens.claims()!
    t.equal(claims.sub, account.id, 'sub is the stable opaque account id')
    t.match(claims, {
      iss: publicUrl,
      aud: 'web-diary',
      nonce,
      family_name: 'Иванова',
      given_name: 'Мария',
      middle_name: 'Петровна',
      region: '29',
      role: 'pupil',
      amr: ['pwd'],
      acr: 'urn:diary-bridge:acr:password',
    })
    t.type(claims.auth_time, 'number')
    t.ok(tokens.refresh_token, 'offline_access gives a refresh token')
    t.equal(tokens.token_type, 'bearer')

    const header = decodeProtectedHeader(tokens.access_token)
    t.match(header, { typ: 'at+jwt', alg: 'ES256' })
    const verify = createVerifier({ issuer: publicUrl, audience: 'https://diary.example/api', fetch: world.fetch })
    const access = await verify.verify(tokens.access_token)
    t.match(access, {
      sub: account.id,
      client_id: 'web-diary',
      scope: ['openid', 'profile', 'offline_access'],
      region: '29',
      role: 'pupil',
      auth_time: claims.auth_time,
      acr: 'urn:diary-bridge:acr:password',
      amr: ['pwd'],
    })
    t.notOk(
      'family_name' in access || 'snils' in access || 'birthdate' in access,
      'no personal data in the access token',
    )

    const userinfo = await client.fetchUserInfo(config, tokens.access_token, account.id)
    t.same(userinfo, {
      sub: account.id,
      region: '29',
      role: 'pupil',
      family_name: 'Иванова',
      given_name: 'Мария',
      middle_name: 'Петровна',
    })

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!)
    t.not(refreshed.refresh_token, tokens.refresh_token, 'the refresh token rotates')
    t.equal(refreshed.claims()?.sub, account.id)
    t.match(
      refreshed.claims(),
      { auth_time: claims.auth_time, acr: 'urn:diary-bridge:acr:password', amr: ['pwd'] },
      'a refresh says what the sign-in was',
    )
    // A repeat within the grace period gets the same successor (refresh-rotation.test.ts); past it, it is reuse.
    world.clock.offsetMs = (world.config.bridge.tokens.refreshReuseGraceSeconds + 1) * 1000
    await t.rejects(
      client.refreshTokenGrant(config, tokens.refresh_token!),
      invalidGrant,
      'the spent refresh token is refused',
    )
    await t.rejects(
      client.refreshTokenGrant(config, refreshed.refresh_token!),
      invalidGrant,
      'reuse revoked the whole family',
    )
    world.clock.offsetMs = 0

    const again = await world.signIn(
      await world.authorizationUrl(config, verifier, { scope: 'openid offline_access', state }),
    )
    const second = await client.authorizationCodeGrant(config, again.location!, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    })
    t.notOk('family_name' in (second.claims() ?? {}), 'no names in the ID token without the profile scope')

    const introspected = await client.tokenIntrospection(config, second.access_token)
    t.match(introspected, {
      active: true,
      sub: account.id,
      client_id: 'web-diary',
      scope: 'openid offline_access',
      token_type: 'Bearer',
      acr: 'urn:diary-bridge:acr:password',
      amr: ['pwd'],
      auth_time: second.claims()?.auth_time,
    })
    t.match(await client.tokenIntrospection(config, second.refresh_token!), {
      active: true,
      token_type: 'refresh_token',
    })
    await client.tokenRevocation(config, second.access_token)
    t.same(
      await client.tokenIntrospection(config, second.access_token),
      { active: false },
      'a revoked access token is inactive',
    )
    await client.tokenRevocation(config, second.refresh_token!)
    t.same(await client.tokenIntrospection(config, second.refresh_token!), { active: false })
    await t.rejects(client.refreshTokenGrant(config, second.refresh_token!), invalidGrant)

    // Logout: the browser session of the second login ends, its refresh tokens are revoked.
    const third = await world.signIn(
      await world.authorizationUrl(config, verifier, { scope: 'openid offline_access', state }),
      'ivanova.m',
      'diary-demo',
      again.browser,
    )
    t.match(
      third.page.headers.location,
      /^https:\/\/diary\.example\/callback\?code=/,
      'the live session answers without a login page',
    )
    const thirdTokens = await client.authorizationCodeGrant(config, third.location!, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    })
    const logoutUrl = client.buildEndSessionUrl(config, {
      id_token_hint: thirdTokens.id_token!,
      post_logout_redirect_uri: 'https://diary.example/bye',
      state: 'bye-state',
    })
    const out = await again.browser.go('GET', `${logoutUrl.pathname}${logoutUrl.search}`)
    t.equal(out.headers.location, 'https://diary.example/bye?state=bye-state')
    await t.rejects(
      client.refreshTokenGrant(config, thirdTokens.refresh_token!),
      invalidGrant,
      'logout revoked the refresh tokens',
    )
    const afterLogout = await world.signIn(
      await world.authorizationUrl(config, verifier, { scope: 'openid', prompt: 'none', state }),
      'ivanova.m',
      'diary-demo',
      again.browser,
    )
    t.equal(afterLogout.location?.searchParams.get('error'), 'login_required', 'the bridge session is over')
  },
)

t.test('a public mobile client with PKCE and a custom scheme', async (t) => {
  const config = await world.discover('mobile', client.None())
  const verifier = client.randomPKCECodeVerifier()
  const url = await pkceAuthorizationUrl(config, verifier, {
    redirect_uri: 'ru.example.diary:/callback',
    scope: 'openid offline_access',
    state: 's',
  })
  const { location } = await world.signIn(url, 'smirnov.a')
  t.equal(location?.protocol, 'ru.example.diary:')
  const tokens = await client.authorizationCodeGrant(config, location!, {
    pkceCodeVerifier: verifier,
    expectedState: 's',
  })
  t.ok(tokens.refresh_token)
  t.ok(await client.refreshTokenGrant(config, tokens.refresh_token!))
})

t.test('a client_secret_post client of region 29 only: the region page comes directly', async (t) => {
  const config = await world.discover('schedule', client.ClientSecretPost(secrets.schedule))
  const verifier = client.randomPKCECodeVerifier()
  const url = await pkceAuthorizationUrl(config, verifier, { redirect_uri: 'https://schedule.example/cb', state: 's' })
  const { location, browser } = await world.signIn(url, 'kuznetsova.e')
  t.ok(browser.visited.some((visited) => visited.pathname === '/login' && visited.search === '?region=29'))
  const tokens = await client.authorizationCodeGrant(config, location!, {
    pkceCodeVerifier: verifier,
    expectedState: 's',
  })
  const verify = createVerifier({ issuer: publicUrl, audience: 'https://schedule.example/api', fetch: world.fetch })
  t.match(await verify.verify(tokens.access_token), { client_id: 'schedule', role: 'teacher' })
})

t.test('discovery and JWKS are truthful and cacheable', async (t) => {
  const discovery = await world.app.inject('/.well-known/openid-configuration')
  const metadata = discovery.json()
  t.match(metadata, {
    issuer: publicUrl,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    acr_values_supported: ['urn:diary-bridge:acr:mfa', 'urn:diary-bridge:acr:password'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    authorization_response_iss_parameter_supported: true,
    id_token_signing_alg_values_supported: ['ES256'],
  })
  const claimsSupported = metadata.claims_supported as string[]
  t.ok(claimsSupported.includes('acr') && claimsSupported.includes('amr'), 'acr and amr among the claims')
  for (const endpoint of [
    'authorization_endpoint',
    'token_endpoint',
    'userinfo_endpoint',
    'jwks_uri',
    'introspection_endpoint',
    'revocation_endpoint',
    'end_session_endpoint',
  ]) {
    const path = new URL(metadata[endpoint]).pathname
    const probe = await world.app.inject({ method: endpoint === 'jwks_uri' ? 'GET' : 'POST', url: path })
    t.not(probe.statusCode, 404, `${endpoint} exists`)
  }
  const jwks = await world.app.inject('/.well-known/jwks.json')
  t.equal(jwks.headers['cache-control'], 'public, max-age=300')
  for (const key of jwks.json().keys) {
    t.notOk('d' in key || 'p' in key || 'q' in key, 'public members only')
    t.match(key, { kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' })
  }
  const keys = await db.selectFrom('signing_key').select(['kid', 'private_jwk_encrypted']).execute()
  t.equal(keys.length, 1)
  t.match(keys[0]?.private_jwk_encrypted, /^v1\./, 'the private key is stored encrypted')
  t.notMatch(keys[0]?.private_jwk_encrypted, /"d"/)
})
