import formbody from '@fastify/formbody'
import Fastify from 'fastify'
import t from 'tap'
import { backchannelLogout, createLogoutTokenVerifier, createVerifier } from '../../src/verify/index.js'
import { logoutEvent, type Signing, startFakeBridge } from '../helpers/fake-bridge.js'

const bridge = await startFakeBridge({ clientId: 'web-diary' })
t.teardown(() => bridge.close())
const now = Math.floor(Date.now() / 1000)

t.test('a valid logout token gives its sub and sid; sub or sid alone is enough', async (t) => {
  const logout = createLogoutTokenVerifier({ issuer: bridge.issuer, clientId: 'web-diary' })
  t.match(await logout.verify(await bridge.logoutToken()), {
    sub: 'account-1',
    sid: 'session-1',
    aud: 'web-diary',
    events: { [logoutEvent]: {} },
  })
  t.match(await logout.verify(await bridge.logoutToken({ sid: undefined })), { sub: 'account-1', sid: undefined })
  t.match(await logout.verify(await bridge.logoutToken({ sub: undefined })), { sub: undefined, sid: 'session-1' })
  t.match(
    await logout.verify(await bridge.logoutToken({}, { typ: 'application/logout+jwt' })),
    { sid: 'session-1' },
    'the media type form of typ (RFC 8725 §3.11)',
  )
})

// [why, claim changes, header changes, signing, expected code]
const refusals: [string, Record<string, unknown>, Record<string, unknown>, Signing, string][] = [
  ['typ JWT: an ID token shape', {}, { typ: 'JWT' }, 'right', 'wrong_type'],
  ['typ at+jwt: an access token', {}, { typ: 'at+jwt' }, 'right', 'wrong_type'],
  ['no typ', {}, { typ: undefined }, 'right', 'wrong_type'],
  ['another client is the audience', { aud: 'other-diary' }, {}, 'right', 'wrong_audience'],
  ['another issuer', { iss: 'https://bridge.evil' }, {}, 'right', 'wrong_issuer'],
  ['nonce present: §2.4 forbids it', { nonce: 'n-1' }, {}, 'right', 'logout_token_invalid'],
  ['events missing', { events: undefined }, {}, 'right', 'logout_token_invalid'],
  [
    'events names another event',
    { events: { 'http://schemas.openid.net/event/other': {} } },
    {},
    'right',
    'logout_token_invalid',
  ],
  [
    'events has a second member',
    { events: { [logoutEvent]: {}, 'urn:other': {} } },
    {},
    'right',
    'logout_token_invalid',
  ],
  ['the event is not an object', { events: { [logoutEvent]: true } }, {}, 'right', 'logout_token_invalid'],
  ['the event is an array', { events: { [logoutEvent]: [] } }, {}, 'right', 'logout_token_invalid'],
  ['events is an array', { events: [logoutEvent] }, {}, 'right', 'logout_token_invalid'],
  ['neither sub nor sid', { sub: undefined, sid: undefined }, {}, 'right', 'logout_token_invalid'],
  ['sid is not a string', { sid: 42 }, {}, 'right', 'logout_token_invalid'],
  ['no jti: replay could not be detected', { jti: undefined }, {}, 'right', 'claims_invalid'],
  ['no iat', { iat: undefined }, {}, 'right', 'claims_invalid'],
  ['expired two minutes ago', { iat: now - 240, exp: now - 120 }, {}, 'right', 'token_expired'],
  ['issued ten minutes ahead', { iat: now + 600, exp: now + 720 }, {}, 'right', 'token_not_yet_valid'],
  ['HS256 with the public key as the secret', {}, {}, 'hs256', 'algorithm_not_allowed'],
  ['alg none', {}, {}, 'none', 'algorithm_not_allowed'],
  ['signed by a key the bridge never published, under its kid', {}, {}, 'unpublished-key', 'signature_invalid'],
]

t.test('the refusal catalogue', async (t) => {
  const logout = createLogoutTokenVerifier({ issuer: bridge.issuer, clientId: 'web-diary' })
  for (const [why, claims, header, signing, code] of refusals) {
    await t.rejects(
      logout.verify(await bridge.logoutToken(claims, header, signing)),
      { name: 'TokenVerificationError', code },
      why,
    )
  }
  await t.rejects(logout.verify(undefined), { code: 'token_missing' })
  await t.rejects(logout.verify('not.a.jwt'), { code: 'token_malformed' })
})

t.test('a jti is accepted once, until its token expires', async (t) => {
  let clock = Date.now()
  const logout = createLogoutTokenVerifier({ issuer: bridge.issuer, clientId: 'web-diary', now: () => new Date(clock) })
  const token = await bridge.logoutToken()
  await logout.verify(token)
  await t.rejects(logout.verify(token), { code: 'logout_token_replayed' })
  await t.rejects(
    logout.verify(
      await bridge.logoutToken({
        jti: JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti,
        sid: 'session-2',
      }),
    ),
    { code: 'logout_token_replayed' },
    'the same jti in another token',
  )
  t.ok(await logout.verify(await bridge.logoutToken()), 'another jti for the same session passes')
  clock += 130_000
  await t.rejects(logout.verify(token), { code: 'token_expired' }, 'once expired, the token is refused as expired')
})

t.test('with { verifier } it shares the access token verifier’s JWKS cache', async (t) => {
  const before = bridge.requests('/.well-known/jwks.json')
  const verifier = createVerifier({ issuer: bridge.issuer, audience: 'https://diary.example/api', revocations: false })
  const logout = createLogoutTokenVerifier({ verifier, clientId: 'web-diary' })
  await verifier.verify(await bridge.accessToken())
  await logout.verify(await bridge.logoutToken())
  t.equal(bridge.requests('/.well-known/jwks.json') - before, 1)
  await t.rejects(
    logout.verify(await bridge.accessToken()),
    { code: 'wrong_type' },
    'an access token is not a logout token',
  )
  await t.rejects(verifier.verify(await bridge.logoutToken()), { code: 'wrong_type' }, 'nor the other way round')
  t.throws(
    () =>
      createLogoutTokenVerifier({
        verifier: { verify: (token) => verifier.verify(token), close() {} },
        clientId: 'web-diary',
      }),
    /createVerifier/,
  )
})

t.test('the Fastify route: 200 and onLogout for a valid token, 400 invalid_request otherwise', async (t) => {
  const ended: unknown[] = []
  const app = Fastify()
  await app.register(backchannelLogout, {
    issuer: bridge.issuer,
    clientId: 'web-diary',
    onLogout: (logout) => ended.push(logout),
  })
  t.teardown(() => app.close())
  const post = (payload: string, type = 'application/x-www-form-urlencoded') =>
    app.inject({ method: 'POST', url: '/backchannel-logout', headers: { 'content-type': type }, payload })

  const ok = await post(new URLSearchParams({ logout_token: await bridge.logoutToken() }).toString())
  t.equal(ok.statusCode, 200)
  t.equal(ok.headers['cache-control'], 'no-store')
  t.same(ended, [{ sub: 'account-1', sid: 'session-1' }])

  const nonce = await post(new URLSearchParams({ logout_token: await bridge.logoutToken({ nonce: 'x' }) }).toString())
  t.equal(nonce.statusCode, 400)
  t.equal(nonce.headers['cache-control'], 'no-store')
  t.same(nonce.json(), { error: 'invalid_request', error_description: 'logout_token_invalid' })
  t.same((await post('other=1')).json(), { error: 'invalid_request', error_description: 'token_missing' })
  t.equal(
    (await post(JSON.stringify({ logout_token: await bridge.logoutToken({ aud: 'x' }) }), 'application/json'))
      .statusCode,
    400,
  )
  t.equal(ended.length, 1, 'no refused token reached onLogout')
})

t.test('a failed onLogout is 400 (§2.8); an app that parses forms itself keeps its parser', async (t) => {
  const app = Fastify()
  await app.register(formbody)
  await app.register(backchannelLogout, {
    issuer: bridge.issuer,
    clientId: 'web-diary',
    path: '/bcl',
    onLogout: () => Promise.reject(new Error('store down')),
  })
  app.post('/form', async (request) => request.body)
  t.teardown(() => app.close())
  const response = await app.inject({
    method: 'POST',
    url: '/bcl',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `logout_token=${await bridge.logoutToken()}`,
  })
  t.equal(response.statusCode, 400)
  t.same(response.json(), { error: 'invalid_request', error_description: 'logout_failed' })
  t.same(
    (
      await app.inject({
        method: 'POST',
        url: '/form',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'a=1',
      })
    ).json(),
    { a: '1' },
  )
})
