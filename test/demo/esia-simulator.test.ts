/*
 * The ESIA simulator as a client sees it, over real HTTP with real GOST keys: a full login by hand,
 * then the requests ESIA refuses, the faults and the tampering the bridge's tests rely on. The client
 * here signs and verifies in JavaScript; the simulator uses the process's choice (the engine where
 * it is installed).
 */
import { createHash, randomUUID, verify, X509Certificate } from 'node:crypto'
import t from 'tap'
import { esiaSimulatorPersons, type RunningEsiaSimulator, startEsiaSimulator } from '../../demo/esia-simulator.js'
import { ensureGostKeyPair } from '../../demo/gost-keys.js'
import { simulatorPersons } from '../../demo/state-services-simulator.js'
import { parseBirthDate } from '../../src/person/birth-date.js'
import { parseSnils } from '../../src/person/snils.js'
import { certificateHash as hashOf } from '../../src/upstream/esia/gost.js'
import { rsaKeyPair } from '../helpers/esia-world.js'
import { javascriptGost as gost } from '../helpers/gost-world.js'

type Params = Record<string, string>
type Claims = Record<string, unknown>
interface TokenResponse {
  access_token: string
  id_token: string
  refresh_token: string
  state?: string
  token_type: string
  expires_in: number
}

const dir = t.testdir()
const esiaKeys = ensureGostKeyPair(dir, 'esia', 'ESIA simulator')
const clientKeys = ensureGostKeyPair(dir, 'client', 'Diary bridge')
const strangerKeys = ensureGostKeyPair(dir, 'stranger', 'Someone else')
const clientKey = gost.privateKey(clientKeys.privateKeyPem)
const strangerKey = gost.privateKey(strangerKeys.privateKeyPem)
const certificateHash = (pem: string) => hashOf(gost, pem)
const clientId = 'DIARY'
const redirectUri = 'http://127.0.0.1:3999/login/state-services/callback'
const verifier = 'a-code-verifier-of-the-bridge-43-characters-at-least'
const challenge = createHash('sha256').update(verifier).digest('base64url')
let clock = Date.now()

const simulator = await startEsiaSimulator({
  port: 0,
  signingKey: esiaKeys,
  clients: [{ clientId, certificatePem: clientKeys.certificatePem, redirectUris: [redirectUri] }],
  now: () => clock,
})
t.teardown(() => simulator.close())

/** `yyyy.MM.dd HH:mm:ss +0300` as a Moscow client writes it. */
function esiaTimestamp(ms: number): string {
  const moscow = new Date(ms + 3 * 3600_000).toISOString()
  return `${moscow.slice(0, 10).replaceAll('-', '.')} ${moscow.slice(11, 19)} +0300`
}

const secretFields = ['client_id', 'scope', 'scope_org', 'timestamp', 'state', 'redirect_uri', 'code']
const message = (params: Params) => secretFields.map((field) => params[field] ?? '').join('')

function signed(params: Params, key = clientKey, text = message(params)): Params {
  return { ...params, client_secret: key.sign(Buffer.from(text)).toString('base64url') }
}

function authorizeParams(overrides: Params = {}): Params {
  return {
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: 'openid fullname birthdate snils',
    response_type: 'code',
    state: randomUUID(),
    timestamp: esiaTimestamp(clock),
    access_type: 'online',
    client_certificate_hash: certificateHash(clientKeys.certificatePem),
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...overrides,
  }
}

const authorize = (params: Params) =>
  fetch(`${simulator.url}aas/oauth2/v2/ac?${new URLSearchParams(params).toString()}`, { redirect: 'manual' })
const post = (path: string, form: Params, headers: Params = {}) =>
  fetch(`${simulator.url}${path}`, { method: 'POST', body: new URLSearchParams(form), redirect: 'manual', headers })

function callback(response: Response): URLSearchParams {
  const location = new URL(response.headers.get('location') ?? 'http://missing/')
  return location.searchParams
}

async function choosePerson(person: string, params = signed(authorizeParams())): Promise<URLSearchParams> {
  const page = await authorize(params)
  const id = /action="\/simulator\/login\/([\w-]+)"/.exec(await page.text())?.[1]
  return callback(await post(`simulator/login/${id}`, { person }))
}

function tokenParams(code: string, overrides: Params = {}): Params {
  return {
    client_id: clientId,
    code,
    grant_type: 'authorization_code',
    state: randomUUID(),
    redirect_uri: redirectUri,
    scope: 'openid fullname birthdate snils',
    timestamp: esiaTimestamp(clock),
    token_type: 'Bearer',
    client_certificate_hash: certificateHash(clientKeys.certificatePem),
    code_verifier: verifier,
    ...overrides,
  }
}

const exchange = (params: Params) => post('aas/oauth2/v3/te', params)

async function login(person = 'maria'): Promise<{ tokens: TokenResponse; state: string }> {
  const code = (await choosePerson(person)).get('code') ?? ''
  const params = signed(tokenParams(code))
  return { tokens: (await (await exchange(params)).json()) as TokenResponse, state: params.state ?? '' }
}

function decodeJws(jws: string): {
  header: Claims
  payload: Claims
  rawPayload: string
  input: Buffer
  signature: Buffer
} {
  const [header = '', payload = '', signature = ''] = jws.split('.')
  const rawPayload = Buffer.from(payload, 'base64url').toString()
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString()),
    payload: JSON.parse(rawPayload),
    rawPayload,
    input: Buffer.from(`${header}.${payload}`),
    signature: Buffer.from(signature, 'base64url'),
  }
}

const esiaPublicKey = gost.certificatePublicKey(simulator.certificatePem)
const isSignedByEsia = (jws: string) => {
  const { input, signature } = decodeJws(jws)
  return esiaPublicKey.verify(input, signature)
}

t.test('the persons: distinct oids, valid SNILS, the same birth dates and SNILS as the OIDC simulator', async (t) => {
  t.equal(new Set(esiaSimulatorPersons.map((person) => person.oid)).size, esiaSimulatorPersons.length)
  for (const person of esiaSimulatorPersons) {
    const snils = person.data.snils === undefined ? undefined : parseSnils(person.data.snils)
    t.ok(
      snils === undefined || (snils.ok && /^\d{3}-\d{3}-\d{3} \d{2}$/.test(person.data.snils ?? '')),
      `${person.id}: SNILS valid, ESIA format`,
    )
    const birthDate =
      person.data.birthDate === undefined ? undefined : parseBirthDate(person.data.birthDate, '2100-01-01')
    t.ok(
      birthDate === undefined || (birthDate.ok && /^\d{2}\.\d{2}\.\d{4}$/.test(person.data.birthDate ?? '')),
      `${person.id}: dd.MM.yyyy`,
    )
    const twin = simulatorPersons.find((candidate) => candidate.id === person.id)
    if (twin === undefined) continue
    t.equal(snils?.ok ? snils.digits : undefined, twin.claims.snils?.replace(/\D/g, ''), `${person.id}: same SNILS`)
    t.equal(birthDate?.ok ? birthDate.date : undefined, twin.claims.birthdate, `${person.id}: same birth date`)
    t.equal(person.confirmed, twin.claims.trusted, `${person.id}: same trust`)
  }
  t.equal(esiaSimulatorPersons.find((person) => person.id === 'kirill')?.lvl, 'KD')
})

t.test('a full login: choice page, code, tokens signed GOST by the published certificate, person data', async (t) => {
  const params = signed(authorizeParams())
  const page = await authorize(params)
  t.equal(page.status, 200)
  const html = await page.text()
  t.match(html, /Отменить вход/)
  t.match(html, /<select name="fail">/)
  const id = /action="\/simulator\/login\/([\w-]+)"/.exec(html)?.[1]
  const back = await post(`simulator/login/${id}`, { person: 'maria' })
  t.equal(back.status, 302)
  t.ok(back.headers.get('location')?.startsWith(`${redirectUri}?code=`))
  const query = callback(back)
  t.equal(query.get('state'), params.state)
  const code = query.get('code') ?? ''
  t.same(decodeJws(code).header, { ver: 0, typ: 'JWT', sbt: 'authorization_code', alg: 'GOST3410_2012_256' })

  const tokenRequest = signed(tokenParams(code))
  const response = await exchange(tokenRequest)
  t.equal(response.status, 200)
  const tokens = (await response.json()) as TokenResponse
  t.same(Object.keys(tokens), ['access_token', 'id_token', 'refresh_token', 'state', 'token_type', 'expires_in'])
  t.equal(tokens.state, tokenRequest.state, 'the token request state is echoed')
  t.equal(tokens.token_type, 'Bearer')
  t.equal(tokens.expires_in, 3600)

  const idToken = decodeJws(tokens.id_token)
  t.same(idToken.header, { ver: 0, typ: 'JWT', sbt: 'id', alg: 'GOST3410_2012_256' })
  t.equal(idToken.signature.length, 64)
  t.ok(isSignedByEsia(tokens.id_token), 'the ID token verifies with the simulator certificate')
  t.notOk(
    gost.certificatePublicKey(clientKeys.certificatePem).verify(idToken.input, idToken.signature),
    'and with no other',
  )
  t.match(idToken.rawPayload, `"iss":"${simulator.url.replaceAll('/', '\\/')}"`, 'slashes written as \\/')
  t.match(idToken.payload, {
    iss: simulator.url,
    aud: clientId,
    sub: 1000300001,
    amr: 'PWD',
    'urn:esia:amd': 'PWD',
    lvl: 'PR',
    'urn:esia:sbj': {
      'urn:esia:sbj:typ': 'P',
      'urn:esia:sbj:is_tru': true,
      'urn:esia:sbj:oid': 1000300001,
      'urn:esia:sbj:nam': 'OID.1000300001',
    },
  })
  t.equal(Number(idToken.payload.exp) - Number(idToken.payload.iat), 3600)

  const accessToken = decodeJws(tokens.access_token)
  t.equal(accessToken.header.sbt, 'access')
  t.ok(isSignedByEsia(tokens.access_token))
  t.match(accessToken.payload, {
    client_id: clientId,
    sub: 1000300001,
    scope: 'openid fullname birthdate snils',
    'urn:esia:sbj_id': 1000300001,
  })
  t.equal(accessToken.payload['urn:esia:sid'], idToken.payload['urn:esia:sid'])

  const person = await fetch(`${simulator.url}rs/prns/1000300001`, {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  })
  t.equal(person.status, 200)
  t.same(await person.json(), {
    stateFacts: ['EntityRoot'],
    eTag: createHash('sha1').update('1000300001').digest('hex').toUpperCase(),
    firstName: 'Мария',
    lastName: 'Иванова',
    middleName: 'Петровна',
    birthDate: '14.03.2012',
    trusted: true,
    citizenship: 'RUS',
    snils: '112-233-445 95',
    status: 'REGISTERED',
    verifying: false,
    rIdDoc: 123,
    containsUpCfmCode: false,
  })
  const otherPerson = await fetch(`${simulator.url}rs/prns/1000300002`, {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  })
  t.equal(otherPerson.status, 401, 'the token is for maria only')
  t.equal((await fetch(`${simulator.url}rs/prns/1000300001`)).status, 401, 'no token')
})

t.test('an unconfirmed account, a child, a person without patronymic, a narrower scope', async (t) => {
  const elena = decodeJws((await login('elena')).tokens.id_token).payload
  t.equal(elena.lvl, 'P')
  t.notOk('urn:esia:sbj:is_tru' in (elena['urn:esia:sbj'] as Claims), 'is_tru absent')
  t.equal(decodeJws((await login('kirill')).tokens.id_token).payload.lvl, 'KD')

  const { tokens } = await login('alexey')
  const alexey = (await (
    await fetch(`${simulator.url}rs/prns/1000300003`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
  ).json()) as Claims
  t.equal(alexey.firstName, 'Алексей')
  t.notOk('middleName' in alexey)

  const scope = 'openid fullname'
  const code = (await choosePerson('elena', signed(authorizeParams({ scope })))).get('code') ?? ''
  const narrow = (await (await exchange(signed(tokenParams(code, { scope })))).json()) as TokenResponse
  const data = (await (
    await fetch(`${simulator.url}rs/prns/1000300004`, { headers: { authorization: `Bearer ${narrow.access_token}` } })
  ).json()) as Claims
  t.equal(data.lastName, 'Кузнецова')
  t.equal(data.trusted, false)
  t.notOk('snils' in data || 'birthDate' in data, 'only what the scope allows')
})

t.test('v2/ac accepts the secret as padded standard base64 and the hash in lower case', async (t) => {
  const params = authorizeParams({ client_certificate_hash: certificateHash(clientKeys.certificatePem).toLowerCase() })
  const secret = clientKey.sign(Buffer.from(message(params))).toString('base64')
  t.equal((await authorize({ ...params, client_secret: secret })).status, 200)
})

const legacyOrder = (params: Params) => `${params.scope}${params.timestamp}${params.client_id}${params.state}`
const refusals: [name: string, build: () => Params, code: string][] = [
  [
    'the legacy string order scope+timestamp+client_id+state',
    () => {
      const p = authorizeParams()
      return signed(p, clientKey, legacyOrder(p))
    },
    '007053',
  ],
  ['a secret signed by another key', () => signed(authorizeParams(), strangerKey), '007053'],
  [
    'the hash of another certificate',
    () => signed(authorizeParams({ client_certificate_hash: certificateHash(strangerKeys.certificatePem) })),
    '007053',
  ],
  [
    'a CMS-like blob longer than 64 bytes',
    () => ({ ...signed(authorizeParams()), client_secret: Buffer.alloc(1200, 7).toString('base64url') }),
    '007053',
  ],
  [
    'a timestamp 10 minutes late',
    () => signed(authorizeParams({ timestamp: esiaTimestamp(clock - 600_000) })),
    '007015',
  ],
  ['a timestamp in ISO format', () => signed(authorizeParams({ timestamp: new Date(clock).toISOString() })), '007015'],
  ['a state that is not a UUID', () => signed(authorizeParams({ state: 'not-a-uuid' })), '007014'],
  ['an unknown scope', () => signed(authorizeParams({ scope: 'openid passport_everything' })), '007006'],
  ['PKCE plain', () => signed(authorizeParams({ code_challenge_method: 'plain' })), '007003'],
]

for (const [name, build, code] of refusals) {
  t.test(`v2/ac refuses ${name}: ESIA-${code} to the redirect_uri with the state`, async (t) => {
    const params = build()
    const response = await authorize(params)
    t.equal(response.status, 302)
    const query = callback(response)
    t.equal(query.get('error'), code === '007006' ? 'invalid_scope' : 'invalid_request')
    t.match(query.get('error_description'), new RegExp(`^ESIA-${code}: `))
    t.equal(query.get('state'), params.state)
    t.ok(response.headers.get('location')?.startsWith(`${redirectUri}?error=invalid_`))
  })
}

t.test('v2/ac never redirects for an unknown client or an unregistered redirect_uri', async (t) => {
  for (const overrides of [
    { client_id: 'EVIL' },
    { redirect_uri: 'https://evil.example/callback' },
    { redirect_uri: `${redirectUri}/` },
  ] as Params[]) {
    const response = await authorize(signed(authorizeParams(overrides)))
    t.equal(response.status, 400)
    t.equal(response.headers.get('location'), null)
  }
})

t.test(
  'every login asks for the person: no cookie remembers anyone, an abandoned attempt decides nothing',
  async (t) => {
    const abandoned = await authorize(signed(authorizeParams()))
    t.equal(abandoned.headers.get('set-cookie'), null, 'no cookie to remember a person by')
    t.match(await abandoned.text(), /Выберите тестового человека/)
    const sergey = (await choosePerson('sergey')).get('code') ?? ''
    t.equal(
      decodeJws(sergey).payload['urn:esia:sbj_id'],
      esiaSimulatorPersons.find((person) => person.id === 'sergey')?.oid,
    )
    const next = await authorize(signed(authorizeParams()))
    t.match(await next.text(), /Выберите тестового человека/, 'asked again after a finished login')
    const petr = (await choosePerson('petr')).get('code') ?? ''
    t.equal(
      decodeJws(petr).payload['urn:esia:sbj_id'],
      esiaSimulatorPersons.find((person) => person.id === 'petr')?.oid,
      'the person picked this time',
    )
  },
)

t.test('the person cancels (ESIA-007004) or the tester answers with an ESIA error', async (t) => {
  const params = signed(authorizeParams())
  const id = /action="\/simulator\/cancel\/([\w-]+)"/.exec(await (await authorize(params)).text())?.[1]
  const cancelled = callback(await post(`simulator/cancel/${id}`, {}))
  t.equal(cancelled.get('error'), 'access_denied')
  t.match(cancelled.get('error_description'), /^ESIA-007004: /)
  t.equal(cancelled.get('state'), params.state)
  t.equal((await post(`simulator/login/${id}`, { person: 'maria' })).status, 400, 'the request is gone')

  const again = /action="\/simulator\/fail\/([\w-]+)"/.exec(
    await (await authorize(signed(authorizeParams()))).text(),
  )?.[1]
  const failed = callback(await post(`simulator/fail/${again}`, { fail: '007055' }))
  t.match(failed.get('error_description'), /^ESIA-007055: /)
})

t.test('v3/te refuses', async (t) => {
  const tokenError = async (params: Params, code: string, error = 'invalid_grant') => {
    const response = await exchange(params)
    t.equal(response.status, 400)
    const body = (await response.json()) as Claims
    t.equal(body.error, error)
    t.match(body.error_description, new RegExp(`^ESIA-${code}: `))
    t.equal(body.state, params.state, 'with the request state')
  }
  t.test('a code used twice', async () => {
    const code = (await choosePerson('maria')).get('code') ?? ''
    t.equal((await exchange(signed(tokenParams(code)))).status, 200)
    await tokenError(signed(tokenParams(code)), '007011')
  })
  t.test('a wrong code_verifier, and then the code is spent', async () => {
    const code = (await choosePerson('maria')).get('code') ?? ''
    await tokenError(signed(tokenParams(code, { code_verifier: `${verifier}-wrong` })), '007040')
    await tokenError(signed(tokenParams(code)), '007011')
  })
  t.test('a code older than 60 s', async () => {
    const code = (await choosePerson('maria')).get('code') ?? ''
    clock += 61_000
    await tokenError(signed(tokenParams(code)), '007011')
  })
  t.test('a secret without the code, by another key, with another hash, at a skewed time', async () => {
    const code = (await choosePerson('maria')).get('code') ?? ''
    const params = tokenParams(code)
    await tokenError(signed(params, clientKey, message({ ...params, code: '' })), '007053', 'invalid_request')
    await tokenError(signed(params, strangerKey), '007053', 'invalid_request')
    await tokenError(
      signed({ ...params, client_certificate_hash: certificateHash(esiaKeys.certificatePem) }),
      '007053',
      'invalid_request',
    )
    await tokenError(signed({ ...params, timestamp: esiaTimestamp(clock + 600_000) }), '007015', 'invalid_request')
    t.equal((await exchange(signed(params))).status, 200, 'the code survived refusals of unauthenticated requests')
  })
})

t.test('failNext: each step fails once, then works', async (t) => {
  simulator.failNext('authorize', { esiaCode: '007008' })
  const failed = callback(await authorize(signed(authorizeParams())))
  t.equal(failed.get('error'), 'temporarily_unavailable')
  t.match(failed.get('error_description'), /^ESIA-007008: /)
  t.ok((await choosePerson('maria')).get('code'))

  const code = (await choosePerson('maria')).get('code') ?? ''
  simulator.failNext('token', { esiaCode: 'ESIA-007008' })
  const unavailable = await exchange(signed(tokenParams(code)))
  t.equal(unavailable.status, 503)
  t.match(await unavailable.json(), { error: 'temporarily_unavailable', error_description: /^ESIA-007008: / })
  simulator.failNext('token', { status: 500 })
  t.equal((await exchange(signed(tokenParams(code)))).status, 500)
  simulator.failNext('token', { delayMs: 200 })
  const started = Date.now()
  const response = await exchange(signed(tokenParams(code)))
  t.equal(response.status, 200)
  t.ok(Date.now() - started >= 190, 'answered after the delay')
  const tokens = (await response.json()) as TokenResponse

  const fetchPerson = () =>
    fetch(`${simulator.url}rs/prns/1000300001`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
  simulator.failNext('person', { esiaCode: '007019' })
  const refused = await fetchPerson()
  t.equal(refused.status, 400)
  t.match(await refused.json(), { error_description: /^ESIA-007019: / })
  simulator.failNext('person', { status: 502 })
  t.equal((await fetchPerson()).status, 502)
  t.equal((await fetchPerson()).status, 200)
})

t.test('tamper: state echo, ID token signature and claims, until reset', async (t) => {
  const cases: [string, (simulator: RunningEsiaSimulator) => void, (tokens: TokenResponse, state: string) => void][] = [
    ['wrong state', (s) => (s.tamper = { stateEcho: 'wrong' }), (tokens, state) => t.not(tokens.state, state)],
    ['missing state', (s) => (s.tamper = { stateEcho: 'missing' }), (tokens) => t.notOk('state' in tokens)],
    [
      'corrupt signature',
      (s) => (s.tamper = { idTokenSignature: 'corrupt' }),
      (tokens) => t.notOk(isSignedByEsia(tokens.id_token)),
    ],
    [
      'another key',
      (s) => (s.tamper = { idTokenSignature: 'other-key' }),
      (tokens) => {
        t.equal(decodeJws(tokens.id_token).signature.length, 64)
        t.notOk(isSignedByEsia(tokens.id_token))
      },
    ],
    [
      'other claims, still signed',
      (s) => (s.tamper = { idTokenClaims: (claims) => (claims.aud = 'ANOTHER') }),
      (tokens) => {
        t.equal(decodeJws(tokens.id_token).payload.aud, 'ANOTHER')
        t.ok(isSignedByEsia(tokens.id_token))
      },
    ],
  ]
  for (const [name, tamper, check] of cases) {
    tamper(simulator)
    const { tokens, state } = await login()
    t.comment(name)
    check(tokens, state)
  }
  simulator.tamper = {}
  const { tokens, state } = await login()
  t.equal(tokens.state, state)
  t.ok(isSignedByEsia(tokens.id_token))
  t.equal(decodeJws(tokens.id_token).payload.aud, clientId)
})

t.test('idp/ext/Logout returns only to an origin of the client', async (t) => {
  const logout = (params: Params) =>
    fetch(`${simulator.url}idp/ext/Logout?${new URLSearchParams(params).toString()}`, { redirect: 'manual' })
  const back = await logout({ client_id: clientId, redirect_url: 'http://127.0.0.1:3999/logged-out' })
  t.equal(back.status, 302, 'straight back, no "sign out?" page')
  t.equal(back.headers.get('location'), 'http://127.0.0.1:3999/logged-out')
  t.equal((await logout({ client_id: clientId, redirect_url: 'http://127.0.0.1:3999.evil.example/' })).status, 400)
  t.equal((await logout({ client_id: 'EVIL', redirect_url: 'http://127.0.0.1:3999/' })).status, 400)
})

t.test('the index page lists the persons and the codes', async (t) => {
  const page = await (await fetch(`${simulator.url}simulator`)).text()
  t.match(page, /1000300010/)
  t.match(page, /ESIA-007053/)
})

t.test('RS256 tokens when configured with an RSA key', async (t) => {
  const rsaKey = rsaKeyPair('ESIA RSA')
  const certificatePem = rsaKey.certificatePem
  const rsa = await startEsiaSimulator({
    port: 0,
    signingKey: esiaKeys,
    tokenAlg: 'RS256',
    rsaKey,
    clients: [{ clientId, certificatePem: clientKeys.certificatePem, redirectUris: [redirectUri] }],
  })
  t.teardown(() => rsa.close())
  t.equal(rsa.certificatePem, certificatePem)
  const page = await fetch(
    `${rsa.url}aas/oauth2/v2/ac?${new URLSearchParams(signed(authorizeParams({ timestamp: esiaTimestamp(Date.now()) }))).toString()}`,
  )
  const id = /action="\/simulator\/login\/([\w-]+)"/.exec(await page.text())?.[1]
  const back = await fetch(`${rsa.url}simulator/login/${id}`, {
    method: 'POST',
    body: new URLSearchParams({ person: 'petr' }),
    redirect: 'manual',
  })
  const code = callback(back).get('code') ?? ''
  const body = new URLSearchParams(signed(tokenParams(code, { timestamp: esiaTimestamp(Date.now()) })))
  const response = await fetch(`${rsa.url}aas/oauth2/v3/te`, { method: 'POST', body })
  const tokens = (await response.json()) as TokenResponse
  const idToken = decodeJws(tokens.id_token)
  t.equal(idToken.header.alg, 'RS256')
  t.ok(verify('sha256', idToken.input, new X509Certificate(certificatePem).publicKey, idToken.signature))
  t.equal(idToken.payload.sub, 1000300002)
})
