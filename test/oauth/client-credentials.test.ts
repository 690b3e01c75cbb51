/*
 * Machine clients (RFC 6749 §4.4): POST /token grant_type=client_credentials, and the check of their
 * tokens the SCIM routes make (verifyMachineToken), against a real database. The check runs with its
 * own key store on the same database, as another instance of the bridge would.
 */
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose'
import t from 'tap'
import type { ClientConfig, Config } from '../../src/config/load.js'
import { BridgeError, toErrorResponse } from '../../src/errors.js'
import { type MachineTokenDeps, verifyMachineToken } from '../../src/oauth/machine-token.js'
import { createKeyStore } from '../../src/tokens/key-store.js'
import { keyPolicy } from '../../src/tokens/signing-keys.js'
import { publicUrl } from '../helpers/demo-world.js'
import { secrets, startOAuthWorld } from '../helpers/oauth-world.js'

const machineSecret = 'hr-system-secret-value'
const world = await startOAuthWorld(t, {
  moreClients: {
    'hr-system': {
      name: 'HR system',
      grantTypes: ['client_credentials'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      clientSecretEnv: 'HR_SYSTEM_SECRET',
      scopes: ['scim.read', 'scim.write'],
      audience: 'https://hr.example',
      regions: ['29'],
      accessTokenTtlSeconds: 300,
    },
  },
  env: { HR_SYSTEM_SECRET: machineSecret },
})
const { app, db } = world
const scim = `${publicUrl}/scim/v2`
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
const machine = basic('hr-system', machineSecret)

function post(path: string, body: Record<string, string>, authorization = machine) {
  return app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
    payload: new URLSearchParams(body).toString(),
  })
}

async function machineToken(scope?: string): Promise<string> {
  const response = await post('/token', { grant_type: 'client_credentials', ...(scope ? { scope } : {}) })
  if (response.statusCode !== 200) throw new Error(`no token: ${response.body}`)
  return response.json<{ access_token: string }>().access_token
}

let config: Config = world.config
const deps: MachineTokenDeps = {
  get config() {
    return config
  },
  db,
  keys: createKeyStore(db, {
    kek: config.secrets.keyEncryptionKey.reveal(),
    policy: keyPolicy(config),
    now: world.now,
  }),
  now: world.now,
}

/** The code verifyMachineToken threw, or 'accepted'. */
async function verdict(authorization: string | undefined, scope = 'scim.read') {
  try {
    await verifyMachineToken(deps, authorization, scope)
    return 'accepted'
  } catch (error) {
    if (error instanceof BridgeError) return error.code
    throw error
  }
}

t.afterEach(() => {
  world.clock.offsetMs = 0
  config = world.config
})

t.test('a machine client gets an RFC 9068 access token for the SCIM API, and nothing else', async (t) => {
  const response = await post('/token', { grant_type: 'client_credentials' })
  t.equal(response.statusCode, 200)
  t.equal(response.headers['cache-control'], 'no-store')
  const body = response.json<Record<string, unknown>>()
  t.same(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type'], 'no refresh or ID token')
  t.equal(body.token_type, 'Bearer')
  t.equal(body.expires_in, 300, "the client's access-token lifetime")
  t.equal(body.scope, 'scim.read scim.write', 'no scope asked: all its machine scopes')

  const jwks = (await app.inject('/.well-known/jwks.json')).json<JSONWebKeySet>()
  const { payload } = await jwtVerify(body.access_token as string, createLocalJWKSet(jwks), {
    issuer: publicUrl,
    audience: scim,
    typ: 'at+jwt',
  })
  t.equal(decodeProtectedHeader(body.access_token as string).typ, 'at+jwt')
  t.match(payload, { sub: 'hr-system', client_id: 'hr-system', scope: 'scim.read scim.write', jti: String })
  t.equal((payload.exp as number) - (payload.iat as number), 300)
  t.notOk('region' in payload || 'role' in payload || 'sid' in payload, 'no account claims')

  const audit = await db
    .selectFrom('audit_event')
    .select(['type', 'outcome', 'client_id', 'details'])
    .where('type', '=', 'token_client_credentials')
    .execute()
  t.same(audit, [
    {
      type: 'token_client_credentials',
      outcome: 'issued',
      client_id: 'hr-system',
      details: { scope: 'scim.read scim.write' },
    },
  ])
  t.notMatch(JSON.stringify(audit), body.access_token, 'no token value in the audit trail')
  t.match(
    (await app.inject('/metrics')).body,
    'bridge_token_requests_total{client_id="hr-system",grant="client_credentials",outcome="issued"} 1',
  )

  const narrow = (await post('/token', { grant_type: 'client_credentials', scope: 'scim.read' })).json()
  t.equal(narrow.scope, 'scim.read', 'a scope asked for is granted as asked')
})

t.test('a scope outside the machine scopes is invalid_scope', async (t) => {
  for (const scope of ['scim.admin', 'openid', 'scim.read profile', 'offline_access']) {
    const response = await post('/token', { grant_type: 'client_credentials', scope })
    t.equal(response.statusCode, 400, scope)
    t.equal(response.json().error, 'invalid_scope', scope)
  }
})

t.test('a grant the client is not allowed is unauthorized_client', async (t) => {
  const webDiary = await post('/token', { grant_type: 'client_credentials' }, basic('web-diary', secrets['web-diary']))
  t.equal(webDiary.statusCode, 400)
  t.equal(webDiary.json().error, 'unauthorized_client', 'a diary module without client_credentials')
  const code = await post('/token', { grant_type: 'authorization_code', code: 'x', code_verifier: 'y' })
  t.equal(code.json().error, 'unauthorized_client', 'a machine client at the authorization_code grant')
  const refresh = await post('/token', { grant_type: 'refresh_token', refresh_token: 'x' })
  t.equal(refresh.json().error, 'unauthorized_client', 'a machine client at the refresh_token grant')
  t.match(
    (await app.inject('/metrics')).body,
    'bridge_token_requests_total{client_id="web-diary",grant="client_credentials",outcome="unauthorized_client"} 1',
  )
})

t.test('failed client authentication is the same invalid_client', async (t) => {
  for (const [why, authorization] of [
    ['wrong secret', basic('hr-system', 'guess')],
    ['unknown client', basic('nobody', machineSecret)],
  ] as const) {
    const response = await post('/token', { grant_type: 'client_credentials' }, authorization)
    t.equal(response.statusCode, 401, why)
    t.equal(response.json().error, 'invalid_client', why)
  }
  const anonymous = await app.inject({
    method: 'POST',
    url: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'grant_type=client_credentials',
  })
  t.equal(anonymous.json().error, 'invalid_client', 'no credentials at all')
})

t.test('verifyMachineToken accepts a machine token with the scope the call needs', async (t) => {
  const token = await machineToken()
  const { client, regions } = await verifyMachineToken(deps, `Bearer ${token}`, 'scim.write')
  t.equal(client.clientId, 'hr-system')
  t.same(regions, ['29'], "the client's regions")
})

t.test('verifyMachineToken refuses everything else', async (t) => {
  const token = await machineToken('scim.read')
  const fresh = await world.freshCode({ parameters: { scope: 'openid offline_access' } })
  const person = (
    await post(
      '/token',
      {
        grant_type: 'authorization_code',
        code: fresh.code,
        redirect_uri: 'https://diary.example/callback',
        code_verifier: fresh.verifier,
      },
      basic('web-diary', secrets['web-diary']),
    )
  ).json<{ access_token: string; id_token: string }>()
  t.ok(person.access_token && person.id_token)

  t.equal(await verdict(undefined), 'ERR_MACHINE_TOKEN_MISSING', 'no header')
  t.equal(await verdict(''), 'ERR_MACHINE_TOKEN_MISSING', 'an empty header')
  t.equal(await verdict(machine), 'ERR_MACHINE_TOKEN_INVALID', 'Basic credentials')
  t.equal(await verdict(`Token ${token}`), 'ERR_MACHINE_TOKEN_INVALID', 'another scheme')
  t.equal(await verdict(`Bearer ${token}x`), 'ERR_MACHINE_TOKEN_INVALID', 'a broken signature')
  t.equal(await verdict(`Bearer ${person.id_token}`), 'ERR_MACHINE_TOKEN_INVALID', 'an ID token')
  t.equal(await verdict(`Bearer ${person.access_token}`), 'ERR_MACHINE_TOKEN_INVALID', "a person's access token")
  t.equal(await verdict(`Bearer ${token}`, 'scim.write'), 'ERR_MACHINE_TOKEN_SCOPE', 'a scope the token lacks')
  t.equal(await verdict(`bearer ${token}`), 'accepted', 'the scheme in any case (RFC 7235 §2.1)')

  world.clock.offsetMs = 301_000
  t.equal(await verdict(`Bearer ${token}`), 'ERR_MACHINE_TOKEN_INVALID', 'expired')
  world.clock.offsetMs = 0

  const withClient = (client: ClientConfig | undefined): Config => {
    const clients = new Map(world.config.clients)
    if (client === undefined) clients.delete('hr-system')
    else clients.set('hr-system', client)
    return { ...world.config, clients }
  }
  const registered = world.config.clients.get('hr-system') as ClientConfig
  config = withClient({ ...registered, grantTypes: ['authorization_code'] })
  t.equal(await verdict(`Bearer ${token}`), 'ERR_MACHINE_TOKEN_INVALID', 'a client that lost the grant')
  config = withClient(undefined)
  t.equal(await verdict(`Bearer ${token}`), 'ERR_MACHINE_TOKEN_INVALID', 'a client no longer registered')
  config = world.config
  t.equal(await verdict(`Bearer ${token}`), 'accepted', 'registered again')

  const revoke = await post('/revoke', { token })
  t.equal(revoke.statusCode, 200)
  t.equal(await verdict(`Bearer ${token}`), 'ERR_MACHINE_TOKEN_INVALID', 'revoked at POST /revoke')
  t.same((await post('/introspect', { token })).json(), { active: false }, 'and inactive at introspection')
})

t.test('the refusals answer with RFC 6750 challenges', async (t) => {
  const cases = [
    ['ERR_MACHINE_TOKEN_MISSING', 401, 'invalid_token', 'Bearer'],
    ['ERR_MACHINE_TOKEN_INVALID', 401, 'invalid_token', 'Bearer error="invalid_token"'],
    ['ERR_MACHINE_TOKEN_SCOPE', 403, 'insufficient_scope', 'Bearer error="insufficient_scope"'],
  ] as const
  for (const [code, status, error, challenge] of cases) {
    const response = toErrorResponse(new BridgeError(code, 'refused'), 'req-1')
    t.equal(response.status, status, code)
    t.equal(response.body.error, error, code)
    t.equal(response.wwwAuthenticate, challenge, code)
  }
})
