import { SignJWT, decodeJwt, generateKeyPair } from 'jose'
import * as client from 'openid-client'
import t from 'tap'
import { createVerifier, TokenVerificationError } from '../../src/verify/index.js'
import { publicUrl } from '../helpers/demo-world.js'
import { secrets, startOAuthWorld } from '../helpers/oauth-world.js'

const world = await startOAuthWorld(t)
const { app, db } = world
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
const webDiaryAuth = basic('web-diary', secrets['web-diary'])
const redirectUri = 'https://diary.example/callback'
const verifier = client.randomPKCECodeVerifier()
const challenge = await client.calculatePKCECodeChallenge(verifier)

function authorizeUrl(parameters: Record<string, string> = {}): URL {
  const url = new URL('/authorize', publicUrl)
  const all = {
    client_id: 'web-diary',
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid offline_access',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st',
    ...parameters,
  }
  for (const [name, value] of Object.entries(all)) if (value !== '') url.searchParams.set(name, value)
  return url
}

const code = async (): Promise<string> => (await world.freshCode({ verifier, parameters: { state: 'st' } })).code

function token(body: Record<string, string>, authorization = webDiaryAuth) {
  return app.inject({
    method: 'POST',
    url: '/token',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(body).toString(),
  })
}

const redeem = (value: string, extra: Record<string, string> = {}, authorization?: string) =>
  token(
    { grant_type: 'authorization_code', code: value, redirect_uri: redirectUri, code_verifier: verifier, ...extra },
    authorization,
  )

const issued = async () => ({
  families: (await db.selectFrom('token_family').select('id').execute()).length,
  refresh: (await db.selectFrom('refresh_token').select('token_hash').execute()).length,
})

t.test('a wrong or missing PKCE verifier issues nothing', async (t) => {
  const value = await code()
  const before = await issued()
  for (const codeVerifier of ['', client.randomPKCECodeVerifier(), 'short']) {
    const response = await redeem(value, { code_verifier: codeVerifier })
    t.equal(response.statusCode, 400)
    t.equal(response.json().error, 'invalid_grant')
  }
  t.same(await issued(), before)
  t.equal((await redeem(value)).statusCode, 200, 'the right verifier still works')
})

t.test('a replayed code is refused and revokes what it issued', async (t) => {
  const value = await code()
  const first = (await redeem(value)).json()
  const replay = await redeem(value)
  t.equal(replay.statusCode, 400)
  t.equal(replay.json().error, 'invalid_grant')
  const refresh = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token })
  t.equal(refresh.json().error, 'invalid_grant', 'its refresh token is revoked')
  const introspection = await app.inject({
    method: 'POST',
    url: '/introspect',
    headers: { authorization: webDiaryAuth },
    payload: { token: first.access_token },
  })
  t.same(introspection.json(), { active: false }, 'its access token is revoked')
})

t.test('an expired code is refused', async (t) => {
  const value = await code()
  world.clock.offsetMs = 61_000
  t.teardown(() => (world.clock.offsetMs = 0))
  t.equal((await redeem(value)).json().error, 'invalid_grant')
})

t.test('redirect URIs match exactly: prefix, case, slash and query tricks get a page, never a redirect', async (t) => {
  const tricks = [
    'https://diary.example/callback/evil',
    'https://diary.example/callbackx',
    'https://diary.example/callback/',
    'https://diary.example/callback?next=https://evil.example',
    'https://DIARY.EXAMPLE/callback',
    'HTTPS://diary.example/callback',
    'https://diary.example/Callback',
    'https://diary.example.evil.example/callback',
    'https://diary.example:443/callback',
    'https://evil.example/callback',
    '',
  ]
  for (const trick of tricks) {
    const response = await app.inject({
      url: `${authorizeUrl({ redirect_uri: trick }).pathname}${authorizeUrl({ redirect_uri: trick }).search}`,
      headers: { accept: 'text/html' },
    })
    t.equal(response.statusCode, 400, trick || '(none)')
    t.equal(response.headers.location, undefined)
    t.match(response.body, /<code>redirect_uri_mismatch<\/code>/)
  }
  const value = await code()
  t.equal(
    (await redeem(value, { redirect_uri: 'https://diary.example/callback/' })).json().error,
    'invalid_grant',
    'the token request must repeat the same URI',
  )
})

t.test('an unknown client gets a page at /authorize and invalid_client at /token', async (t) => {
  const page = await app.inject({
    url: `${authorizeUrl({ client_id: 'nobody' }).pathname}${authorizeUrl({ client_id: 'nobody' }).search}`,
  })
  t.equal(page.statusCode, 400)
  t.equal(page.headers.location, undefined)
  t.match(page.body, /unknown_client/)
  const response = await token({ grant_type: 'authorization_code', code: 'x' }, basic('nobody', 'x'))
  t.equal(response.statusCode, 401)
  t.equal(response.json().error, 'invalid_client')
})

t.test('a wrong client secret, or the wrong authentication method, is invalid_client', async (t) => {
  const value = await code()
  const wrong = await redeem(value, {}, basic('web-diary', 'not-the-secret'))
  t.equal(wrong.statusCode, 401)
  t.equal(wrong.json().error, 'invalid_client')
  t.equal(wrong.headers['www-authenticate'], 'Basic realm="diary-bridge"')
  const post = await app.inject({
    method: 'POST',
    url: '/token',
    payload: {
      grant_type: 'authorization_code',
      code: value,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      client_id: 'web-diary',
      client_secret: secrets['web-diary'],
    },
  })
  t.equal(post.statusCode, 401, 'web-diary is registered for client_secret_basic, not _post')
  const none = await app.inject({
    method: 'POST',
    url: '/token',
    payload: { grant_type: 'authorization_code', code: value, client_id: 'web-diary' },
  })
  t.equal(none.statusCode, 401, 'a confidential client cannot skip authentication')
  t.equal((await redeem(value)).statusCode, 200, 'the code was not burnt by failed client authentication')
})

t.test('a reused refresh token revokes its whole family', async (t) => {
  const first = (await redeem(await code())).json()
  const second = (await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token })).json()
  t.ok(second.refresh_token)
  // Within the grace period a repeat gets the same successor (refresh-rotation.test.ts); past it, it is reuse.
  world.clock.offsetMs = (world.config.bridge.tokens.refreshReuseGraceSeconds + 1) * 1000
  t.teardown(() => (world.clock.offsetMs = 0))
  const reuse = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token })
  t.equal(reuse.json().error, 'invalid_grant')
  t.equal(
    (await token({ grant_type: 'refresh_token', refresh_token: second.refresh_token })).json().error,
    'invalid_grant',
  )
  const family = await db
    .selectFrom('token_family')
    .select(['revoked_reason'])
    .where('revoked_reason', '=', 'refresh_reuse')
    .execute()
  t.ok(family.length >= 1)
})

t.test("one client's code, refresh token and access token are useless to another", async (t) => {
  const schedule = basic('schedule', secrets.schedule)
  const postSchedule = (body: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url: '/token',
      payload: { ...body, client_id: 'schedule', client_secret: secrets.schedule },
    })
  void schedule
  const value = await code()
  t.equal(
    (
      await postSchedule({
        grant_type: 'authorization_code',
        code: value,
        redirect_uri: redirectUri,
        code_verifier: verifier,
      })
    ).json().error,
    'invalid_grant',
  )
  const tokens = (await redeem(value)).json()
  t.equal(
    (await postSchedule({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).json().error,
    'invalid_grant',
  )
  const introspection = await app.inject({
    method: 'POST',
    url: '/introspect',
    payload: { token: tokens.access_token, client_id: 'schedule', client_secret: secrets.schedule },
  })
  t.same(introspection.json(), { active: false })
  const refreshIntrospection = await app.inject({
    method: 'POST',
    url: '/introspect',
    payload: { token: tokens.refresh_token, client_id: 'schedule', client_secret: secrets.schedule },
  })
  t.same(refreshIntrospection.json(), { active: false })
  await app.inject({
    method: 'POST',
    url: '/revoke',
    payload: { token: tokens.refresh_token, client_id: 'schedule', client_secret: secrets.schedule },
  })
  t.equal(
    (await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).statusCode,
    200,
    'another client cannot revoke it either',
  )
  const verify = createVerifier({ issuer: publicUrl, audience: 'https://schedule.example/api', fetch: world.fetch })
  await t.rejects(verify.verify(tokens.access_token), { code: 'wrong_audience' })
})

t.test('bad authorization requests go back to the client with an error', async (t) => {
  const cases: [Record<string, string>, string][] = [
    [{ code_challenge: '' }, 'invalid_request'],
    [{ code_challenge_method: 'plain' }, 'invalid_request'],
    [{ code_challenge: 'too-short' }, 'invalid_request'],
    [{ response_type: 'token' }, 'unsupported_response_type'],
    [{ scope: 'profile' }, 'invalid_scope'],
    [{ scope: 'openid admin' }, 'invalid_scope'],
    [{ request: 'eyJ...' }, 'request_not_supported'],
    [{ prompt: 'none' }, 'login_required'],
    [{ region: '99' }, 'invalid_request'],
    [{ max_age: '-1' }, 'invalid_request'],
    [{ max_age: '1.5' }, 'invalid_request'],
    [{ max_age: 'ten' }, 'invalid_request'],
    [{ max_age: '1e3' }, 'invalid_request'],
  ]
  for (const [parameters, error] of cases) {
    const url = authorizeUrl(parameters)
    const response = await app.inject({ url: `${url.pathname}${url.search}` })
    t.equal(response.statusCode, 303, JSON.stringify(parameters))
    const location = new URL(String(response.headers.location))
    t.equal(`${location.origin}${location.pathname}`, redirectUri)
    t.equal(location.searchParams.get('error'), error)
    t.equal(location.searchParams.get('state'), 'st')
    t.equal(location.searchParams.get('iss'), publicUrl)
  }
  const twice = await app.inject({ url: `${authorizeUrl().pathname}${authorizeUrl().search}&scope=openid` })
  t.equal(new URL(String(twice.headers.location)).searchParams.get('error'), 'invalid_request', 'a repeated parameter')
})

t.test(
  'tampered, alg:none, expired, wrong-audience and foreign tokens fail the verifier and /introspect',
  async (t) => {
    const good = (await redeem(await code())).json().access_token as string
    const [header, payload, signature] = good.split('.') as [string, string, string]
    const claims = decodeJwt(good)
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const foreignKey = await generateKeyPair('ES256')
    const cases: [name: string, token: string, code: string][] = [
      ['tampered payload', `${header}.${encode({ ...claims, role: 'staff' })}.${signature}`, 'signature_invalid'],
      ['tampered signature', `${header}.${payload}.${signature.slice(0, -4)}AAAA`, 'signature_invalid'],
      ['alg none', `${encode({ alg: 'none', typ: 'at+jwt' })}.${payload}.`, 'algorithm_not_allowed'],
      [
        'HS256',
        `${encode({ alg: 'HS256', typ: 'at+jwt', kid: decodeJwt(good).jti })}.${payload}.${signature}`,
        'algorithm_not_allowed',
      ],
      [
        'signed by a foreign key with a known kid',
        await new SignJWT(claims)
          .setProtectedHeader({
            alg: 'ES256',
            typ: 'at+jwt',
            kid: JSON.parse(Buffer.from(header, 'base64url').toString()).kid,
          })
          .sign(foreignKey.privateKey),
        'signature_invalid',
      ],
      ['not a JWT', 'garbage', 'token_malformed'],
    ]
    const verify = createVerifier({ issuer: publicUrl, audience: 'https://diary.example/api', fetch: world.fetch })
    t.match(await verify.verify(good), { client_id: 'web-diary' }, 'the untouched token verifies')
    for (const [name, value, code] of cases) {
      await t.rejects(verify.verify(value), { code }, `verifier: ${name}`)
      const introspection = await app.inject({
        method: 'POST',
        url: '/introspect',
        headers: { authorization: webDiaryAuth },
        payload: { token: value },
      })
      t.same(introspection.json(), { active: false }, `introspect: ${name}`)
    }
    await t.rejects(
      createVerifier({ issuer: publicUrl, audience: 'https://other.example', fetch: world.fetch }).verify(good),
      { code: 'wrong_audience' },
    )
    await t.rejects(
      createVerifier({
        issuer: 'https://another-bridge.example',
        jwksUri: `${publicUrl}/.well-known/jwks.json`,
        audience: 'https://diary.example/api',
        fetch: world.fetch,
      }).verify(good),
      { code: 'wrong_issuer' },
    )
    world.clock.offsetMs = 11 * 60_000
    t.teardown(() => (world.clock.offsetMs = 0))
    await t.rejects(
      createVerifier({
        issuer: publicUrl,
        audience: 'https://diary.example/api',
        fetch: world.fetch,
        now: world.now,
      }).verify(good),
      { code: 'token_expired' },
    )
    const expired = await app.inject({
      method: 'POST',
      url: '/introspect',
      headers: { authorization: webDiaryAuth },
      payload: { token: good },
    })
    t.same(expired.json(), { active: false }, 'introspect: expired')
    t.ok(TokenVerificationError)
  },
)

t.test('userinfo needs a valid bearer token', async (t) => {
  for (const authorization of [undefined, 'Bearer garbage', 'Basic abc']) {
    const response = await app.inject({ url: '/userinfo', headers: authorization ? { authorization } : {} })
    t.equal(response.statusCode, 401)
    t.equal(response.headers['www-authenticate'], 'Bearer error="invalid_token"')
  }
})
