/*
 * The ESIA connector against the ESIA simulator (a real peer over HTTP, real GOST keys): a login,
 * what the bridge signs (cross-checked with the openssl CLI where it has the engine), and every way
 * ESIA or a forger can make it fail. The connector runs on the JavaScript GOST implementation, the
 * simulator on the process's choice: OpenSSL's engine where it is installed, so each checks the other.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { Secret } from '../../../src/config/secret.js'
import type { Connector } from '../../../src/upstream/connector.js'
import { runGostOpenssl } from '../../../demo/gost-keys.js'
import { createEsiaConnector } from '../../../src/upstream/esia/connector.js'
import { esiaErrors } from '../../../src/upstream/esia/esia-errors.js'
import { humanFailCodes } from '../../../demo/esia-simulator.js'
import type { ConnectorContext } from '../../../src/upstream/connector.js'
import { certificateHash } from '../../../src/upstream/esia/gost.js'
import { esiaKeys, esiaProvider, passEsia, startEsiaPeer } from '../../helpers/esia-world.js'
import { engineGost, javascriptGost, needsEngineCli } from '../../helpers/gost-world.js'

const redirectUri = 'http://localhost:3000/login/state-services/callback'
const keys = esiaKeys(t.testdir())
const simulator = await startEsiaPeer(t, keys, redirectUri)
const provider = esiaProvider(simulator, keys)
const context: ConnectorContext = { redirectUri, gostImplementation: 'javascript' }
const connector = createEsiaConnector(provider, context)

async function login(choice: Parameters<typeof passEsia>[1], via: Connector = connector) {
  const { url, state } = await via.startLogin()
  return via.finishLogin(await passEsia(url, choice), state)
}

t.test('a confirmed person: verified, with names, birth date and SNILS normalised', async (t) => {
  t.same(await login({ person: 'maria' }), {
    issuer: simulator.issuer,
    subject: '1000300001',
    verified: true,
    familyName: 'Иванова',
    givenName: 'Мария',
    patronymic: 'Петровна',
    birthDate: '2012-03-14',
    snils: '11223344595',
    snilsInvalid: false,
  })
})

t.test('unconfirmed, child, no SNILS, no middle name', async (t) => {
  t.match(
    await login({ person: 'elena' }),
    { subject: '1000300004', verified: false, familyName: 'Кузнецова' },
    'no is_tru: not verified',
  )
  t.match(
    await login({ person: 'kirill' }),
    { subject: '1000300010', verified: true, birthDate: '2016-08-21' },
    'a child account confirmed through a parent',
  )
  t.match(await login({ person: 'anna' }), { snils: undefined, snilsInvalid: false })
  t.match(await login({ person: 'alexey' }), { patronymic: undefined, givenName: 'Алексей' })
})

t.test('the authorization request: what ESIA asks for, and a client_secret that openssl verifies', async (t) => {
  const { url, state } = await connector.startLogin()
  const query = url.searchParams
  t.equal(`${url.origin}${url.pathname}`, `${simulator.url}aas/oauth2/v2/ac`)
  t.match(Object.fromEntries(query), {
    client_id: 'DIARY29',
    redirect_uri: redirectUri,
    scope: 'openid fullname birthdate snils',
    response_type: 'code',
    access_type: 'online',
    code_challenge_method: 'S256',
    client_certificate_hash: /^[0-9A-F]{64}$/,
    timestamp: /^\d{4}\.\d{2}\.\d{2} \d{2}:\d{2}:\d{2} \+0000$/,
    state: /^[0-9a-f-]{36}$/,
  })
  t.equal(query.get('state'), state.state)
  t.notOk(url.href.includes(state.codeVerifier as string), 'the PKCE verifier stays with the bridge')
  t.match(query.get('client_secret'), /^[A-Za-z0-9_-]{86}$/, '64 bytes, base64url without padding')
  const signed = [
    query.get('client_id'),
    query.get('scope'),
    '',
    query.get('timestamp'),
    query.get('state'),
    query.get('redirect_uri'),
  ].join('')
  const signature = Buffer.from(query.get('client_secret') as string, 'base64url')
  t.ok(
    javascriptGost.certificatePublicKey(keys.system.certificatePem).verify(Buffer.from(signed), signature),
    'client_id+scope+scope_org+timestamp+state+redirect_uri, signed by the system key',
  )
  t.equal(query.get('client_certificate_hash'), certificateHash(javascriptGost, keys.system.certificatePem))

  // The openssl CLI with the GOST engine, against the system certificate: the bytes and their order.
  t.test('cross-checked with the openssl CLI and the engine', { skip: needsEngineCli }, async (t) => {
    const dir = t.testdir()
    writeFileSync(join(dir, 'message'), signed)
    writeFileSync(join(dir, 'signature'), signature)
    writeFileSync(
      join(dir, 'system.pub.pem'),
      runGostOpenssl(dir, ['x509', '-in', join(keys.dir, 'system.cert.pem'), '-pubkey', '-noout']),
    )
    t.match(
      runGostOpenssl(dir, [
        'dgst',
        '-md_gost12_256',
        '-verify',
        'system.pub.pem',
        '-signature',
        'signature',
        'message',
      ]),
      /Verified OK/,
    )
    runGostOpenssl(dir, ['x509', '-in', join(keys.dir, 'system.cert.pem'), '-outform', 'DER', '-out', 'system.der'])
    t.match(
      runGostOpenssl(dir, ['dgst', '-md_gost12_256', 'system.der']).toUpperCase(),
      query.get('client_certificate_hash'),
      'the certificate hash is GOST R 34.11-2012 of the DER',
    )
  })
})

t.test("the callback: ESIA's errors become pages with a next step; a forged state is refused", async (t) => {
  // Every code the simulator's page can answer, with the page the bridge's table (esia-errors.test.ts) gives it.
  const cases = humanFailCodes.map((esia) => [esia, esiaErrors[esia]?.code] as const)
  for (const [esia, code] of cases) {
    await t.rejects(
      login({ fail: esia }),
      { code, message: new RegExp(`ESIA-${esia}`) },
      `ESIA-${esia} chosen on the page`,
    )
    simulator.failNext('authorize', { esiaCode: esia })
    const { url, state } = await connector.startLogin()
    await t.rejects(
      connector.finishLogin(await passEsia(url, { person: 'maria' }), state),
      { code },
      `ESIA-${esia} at once`,
    )
  }
  await t.rejects(login({ cancel: true }), { code: 'ERR_UPSTREAM_CANCELLED' })

  const { url, state } = await connector.startLogin()
  const callback = await passEsia(url, { person: 'maria' })
  await t.rejects(
    connector.finishLogin(callback, { ...state, state: '00000000-0000-4000-8000-000000000000' }),
    { code: 'ERR_LOGIN_EXPIRED' },
    'a callback of another login',
  )
  const stateless = new URL(callback)
  stateless.searchParams.delete('state')
  await t.rejects(connector.finishLogin(stateless, state), { code: 'ERR_LOGIN_EXPIRED' }, 'no state')
  const forgedError = new URL(
    `${redirectUri}?error=invalid_request&error_description=${encodeURIComponent('ESIA-007055: forged')}`,
  )
  await t.rejects(
    connector.finishLogin(forgedError, state),
    { code: 'ERR_LOGIN_EXPIRED' },
    "an error without this login's state is not ESIA's: no page of the attacker's choice",
  )
  await t.rejects(
    connector.finishLogin(callback, {}),
    { code: 'ERR_LOGIN_EXPIRED' },
    'a login transaction of another connector',
  )
  await t.rejects(
    connector.finishLogin(callback, { ...state, codeVerifier: 'another-verifier-another-verifier-another-verifier' }),
    { code: 'ERR_UPSTREAM_REJECTED', message: /ESIA-007040/ },
    'PKCE: the verifier must match',
  )
})

t.test("a key that is not the system certificate's is refused before any login", async (t) => {
  t.throws(
    () =>
      createEsiaConnector(
        esiaProvider(simulator, keys, {
          signer: { type: 'openssl-gost', privateKey: new Secret(keys.stranger.privateKeyPem) },
        }),
        context,
      ),
    /does not belong to the system certificate/,
  )
  t.throws(
    () => createEsiaConnector(esiaProvider(simulator, keys, { tokenSigningAlg: 'RS256' }), context),
    /cannot verify RS256 tokens/,
    "ESIA's GOST certificate for RS256 tokens",
  )
})

t.test('gostImplementation "openssl-engine": the engine or no connector', async (t) => {
  const build = () => createEsiaConnector(provider, { ...context, gostImplementation: 'openssl-engine' })
  if (engineGost === undefined)
    t.throws(build, /OpenSSL's GOST engine cannot be loaded/, 'no engine here: a configuration problem, no fallback')
  else t.match(await login({ person: 'maria' }, build()), { subject: '1000300001' }, 'the engine here: a login on it')
})

t.test(
  'what ESIA refuses: a signature ESIA cannot check, an unregistered certificate, a clock that is off',
  async (t) => {
    const variants: [string, Parameters<typeof esiaProvider>[2], number, RegExp][] = [
      [
        'an unknown certificate (and its key)',
        {
          certificatePem: keys.stranger.certificatePem,
          signer: { type: 'openssl-gost', privateKey: new Secret(keys.stranger.privateKeyPem) },
        },
        0,
        /ESIA-007053/,
      ],
      ['a clock an hour ahead', {}, 3600_000, /ESIA-007015/],
    ]
    for (const [name, overrides, skewMs, message] of variants) {
      const other = createEsiaConnector(esiaProvider(simulator, keys, overrides), {
        ...context,
        now: () => Date.now() + skewMs,
      })
      const { url, state } = await other.startLogin()
      await t.rejects(
        other.finishLogin(await passEsia(url, { person: 'maria' }), state),
        { code: 'ERR_UPSTREAM_REJECTED', message },
        name,
      )
    }
  },
)

t.test('the token response and the ID token: forged, tampered or stale means no login', async (t) => {
  t.teardown(() => (simulator.tamper = {}))
  const now = () => Math.floor(Date.now() / 1000)
  const cases: [string, typeof simulator.tamper][] = [
    ['the state is not echoed', { stateEcho: 'missing' }],
    ['another state is echoed', { stateEcho: 'wrong' }],
    ['a GOST ID token with a wrong signature', { idTokenSignature: 'corrupt' }],
    ['an ID token signed by another certificate', { idTokenSignature: 'other-key' }],
    ['another issuer', { idTokenClaims: (c) => (c.iss = 'http://esia.evil.example/') }],
    ['another system', { idTokenClaims: (c) => (c.aud = 'OTHER') }],
    ['expired', { idTokenClaims: (c) => ((c.exp = now() - 3600), (c.iat = now() - 4000)) }],
    ['not valid yet', { idTokenClaims: (c) => (c.nbf = now() + 3600) }],
    ['issued in the future', { idTokenClaims: (c) => (c.iat = now() + 3600) }],
    ['issued an hour ago', { idTokenClaims: (c) => (c.iat = now() - 3600) }],
    ['no exp', { idTokenClaims: (c) => delete c.exp }],
    ['no sub', { idTokenClaims: (c) => delete c.sub }],
    ['a sub that is not an OID', { idTokenClaims: (c) => (c.sub = 'admin') }],
    [
      'two different OIDs',
      { idTokenClaims: (c) => ((c['urn:esia:sbj'] as Record<string, unknown>)['urn:esia:sbj:oid'] = 1) },
    ],
  ]
  for (const [name, tamper] of cases) {
    simulator.tamper = tamper
    await t.rejects(login({ person: 'maria' }), { code: 'ERR_UPSTREAM_INVALID_RESPONSE' }, name)
  }
  simulator.tamper = {
    idTokenClaims: (c) => delete (c['urn:esia:sbj'] as Record<string, unknown>)['urn:esia:sbj:is_tru'],
  }
  t.match(await login({ person: 'maria' }), { verified: false }, 'is_tru absent: signed in, but not a verified person')
  simulator.tamper = { idTokenClaims: (c) => (c.sub = String(c.sub)) }
  t.match(await login({ person: 'maria' }), { subject: '1000300001' }, 'an OID written as a string is the same person')
  simulator.tamper = { idTokenClaims: (c) => (c.aud = ['OTHER', 'DIARY29']) }
  t.match(await login({ person: 'maria' }), { subject: '1000300001' }, 'an audience array that holds the system')
  simulator.tamper = { idTokenClaims: (c) => (c.iss = 'http://esia.gosuslugi.ru/') }
  await t.rejects(
    login({ person: 'maria' }),
    { message: /failed/, cause: { message: /another issuer: "http:\/\/esia.gosuslugi.ru\/", expected/ } },
    'the refused issuer is named, for the operator',
  )
})

t.test('ESIA failing: overload, errors, timeouts, down', async (t) => {
  const cases: [string, Parameters<typeof simulator.failNext>, string][] = [
    ['token: ESIA-007008 (HTTP 503)', ['token', { esiaCode: '007008' }], 'ERR_UPSTREAM_UNAVAILABLE'],
    ['token: ESIA-007011', ['token', { esiaCode: '007011' }], 'ERR_LOGIN_EXPIRED'],
    ['token: HTTP 500', ['token', { status: 500 }], 'ERR_UPSTREAM_UNAVAILABLE'],
    ['token: slower than timeoutMs', ['token', { delayMs: 1500 }], 'ERR_UPSTREAM_UNAVAILABLE'],
    ['person: HTTP 502', ['person', { status: 502 }], 'ERR_UPSTREAM_UNAVAILABLE'],
    ['person: ESIA error', ['person', { esiaCode: '007019' }], 'ERR_UPSTREAM_REJECTED'],
    ['person: slower than timeoutMs', ['person', { delayMs: 1500 }], 'ERR_UPSTREAM_UNAVAILABLE'],
  ]
  // Every other call gets the provider's generous timeout (a loaded machine is slow to answer); a slow
  // ESIA meets a connector that waits 300 ms for an answer that comes after 1500.
  const hasty = createEsiaConnector(esiaProvider(simulator, keys, { timeoutMs: 300 }), context)
  for (const [name, failure, code] of cases) {
    simulator.failNext(...failure)
    await t.rejects(login({ person: 'maria' }, 'delayMs' in failure[1] ? hasty : connector), { code }, name)
  }
  const down = createEsiaConnector(esiaProvider(simulator, keys, { portalUrl: 'http://127.0.0.1:9/' }), context)
  const { url, state } = await connector.startLogin()
  const callback = await passEsia(url, { person: 'maria' })
  await t.rejects(down.finishLogin(callback, state), { code: 'ERR_UPSTREAM_UNAVAILABLE' }, 'ESIA not reachable')
})

t.test("logout goes to ESIA's idp/ext/Logout and comes back", async (t) => {
  const url = await connector.endSessionUrl('http://localhost:3000/logout/done')
  t.equal(
    url?.href,
    `${simulator.url}idp/ext/Logout?client_id=DIARY29&redirect_url=${encodeURIComponent('http://localhost:3000/logout/done')}`,
  )
})
