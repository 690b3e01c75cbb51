import { decodeProtectedHeader } from 'jose'
import t from 'tap'
import { keyPolicy, keyState, listKeys, maintainSigningKeys, rotateSigningKey } from '../../src/tokens/signing-keys.js'
import { createVerifier } from '../../src/verify/index.js'
import { publicUrl } from '../helpers/demo-world.js'
import { secrets, startOAuthWorld } from '../helpers/oauth-world.js'

const world = await startOAuthWorld(t, {
  bridge: {
    tokens: {
      keyPublishSeconds: 600,
      jwksMaxAgeSeconds: 300,
      accessTokenTtlSeconds: 600,
      idTokenTtlSeconds: 300,
      keyRotationDays: 30,
    },
  },
})
const { app, db, config, clock } = world
const kek = config.secrets.keyEncryptionKey.reveal()
const policy = keyPolicy(config)
const basic = `Basic ${Buffer.from(`web-diary:${secrets['web-diary']}`).toString('base64')}`

async function firstRefreshToken(): Promise<string> {
  const { code, verifier } = await world.freshCode()
  const response = await app.inject({
    method: 'POST',
    url: '/token',
    headers: { authorization: basic },
    payload: {
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'https://diary.example/callback',
      code_verifier: verifier,
    },
  })
  return response.json().refresh_token as string
}

async function refresh(token: string): Promise<{ access: string; refresh: string }> {
  const response = await app.inject({
    method: 'POST',
    url: '/token',
    headers: { authorization: basic },
    payload: { grant_type: 'refresh_token', refresh_token: token },
  })
  if (response.statusCode !== 200) throw new Error(response.body)
  return { access: response.json().access_token, refresh: response.json().refresh_token }
}

const kidOf = (token: string) => decodeProtectedHeader(token).kid

async function publishedKids(): Promise<string[]> {
  const { keys } = (await app.inject('/.well-known/jwks.json')).json<{ keys: { kid: string }[] }>()
  return keys.map((key) => key.kid).sort()
}

t.test(
  'the first key signs at once; a rotation publishes first, signs later, retires after the last token expired',
  async (t) => {
    let state = await firstRefreshToken()
    const [first] = await listKeys(db)
    t.ok(first)
    t.equal(keyState(first!, [first!], world.now()), 'signing')
    t.equal(first?.kid.length, 43, 'kid is a base64url SHA-256 JWK thumbprint')

    const second = await rotateSigningKey(db, kek, policy, world.now())
    clock.offsetMs += 61_000 // past the key store's reload interval
    let tokens = await refresh(state)
    state = tokens.refresh
    t.equal(kidOf(tokens.access), first?.kid, 'the new key does not sign yet')
    t.same(await publishedKids(), [first?.kid, second].sort(), 'but it is published')

    clock.offsetMs += 600_000
    tokens = await refresh(state)
    t.equal(kidOf(tokens.access), second, 'after the publish period the new key signs')
    t.same(await publishedKids(), [first?.kid, second].sort(), 'the old key still verifies what it signed')

    clock.offsetMs += 700_000
    t.same(await publishedKids(), [second], 'once every token of the old key has expired, it is no longer published')

    clock.offsetMs += 2 * 86_400_000
    t.equal(await maintainSigningKeys(db, kek, policy, world.now()), 'unchanged')
    t.same(
      (await listKeys(db)).map((key) => key.kid),
      [second],
      'a key retired for a day is deleted',
    )
    clock.offsetMs += 31 * 86_400_000
    t.equal(
      await maintainSigningKeys(db, kek, policy, world.now()),
      'rotated',
      'rotation is automatic after keyRotationDays',
    )
    t.equal(await maintainSigningKeys(db, kek, policy, world.now()), 'unchanged', 'one rotation at a time')
  },
)

t.test('during a rotation under load, no valid token is ever rejected by a caching verifier', async (t) => {
  const verifier = createVerifier({
    issuer: publicUrl,
    audience: 'https://diary.example/api',
    fetch: world.fetch,
    now: world.now,
    cacheMaxAgeMs: 300_000,
    cooldownMs: 30_000,
  })
  let state = await firstRefreshToken()
  const live: { token: string; exp: number }[] = []
  let rejected = 0
  let verified = 0
  const kids = new Set<string | undefined>()
  await rotateSigningKey(db, kek, policy, world.now())
  for (let step = 0; step < 120; step++) {
    clock.offsetMs += 15_000
    const tokens = await refresh(state)
    state = tokens.refresh
    kids.add(kidOf(tokens.access))
    live.push({ token: tokens.access, exp: Date.now() + clock.offsetMs + 600_000 })
    for (const entry of live.filter((candidate) => candidate.exp > Date.now() + clock.offsetMs)) {
      await verifier.verify(entry.token).then(
        () => verified++,
        () => rejected++,
      )
    }
  }
  t.equal(kids.size, 2, 'tokens were signed by both keys')
  t.ok(verified > 1000, `${verified} verifications`)
  t.equal(rejected, 0, 'no valid token rejected')
})

t.test('two instances on one database agree on the signing key', async (t) => {
  const { buildTestApp } = await import('../helpers/test-app.js')
  const other = await buildTestApp(t, config, db, { now: world.now })
  const refreshOn = async (instance: typeof app, token: string) => {
    const response = await instance.inject({
      method: 'POST',
      url: '/token',
      headers: { authorization: basic },
      payload: { grant_type: 'refresh_token', refresh_token: token },
    })
    return { access: response.json().access_token as string, refresh: response.json().refresh_token as string }
  }
  let state = await firstRefreshToken()
  const next = await rotateSigningKey(db, kek, policy, world.now())
  for (const offset of [61_000, 600_000, 60_000]) {
    clock.offsetMs += offset
    const one = await refreshOn(app, state)
    const two = await refreshOn(other.app, one.refresh)
    state = two.refresh
    t.equal(kidOf(one.access), kidOf(two.access), `both sign with the same key (+${offset / 1000} s)`)
  }
  t.equal(kidOf((await refreshOn(other.app, state)).access), next, 'and it is the new key once its time has come')
})
