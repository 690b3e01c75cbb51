import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import Fastify from 'fastify'
import { bridgeAuth, createVerifier, type VerifierOptions } from '../../src/verify/index.js'
import { startFakeBridge } from '../helpers/fake-bridge.js'

const bridge = await startFakeBridge()
t.teardown(() => bridge.close())
t.beforeEach(() => {
  bridge.revoked = { sessions: [], tokens: [] }
  bridge.revocationsAnswer = {}
})

function verifierFor(t: Test, options: Partial<VerifierOptions> = {}) {
  const verifier = createVerifier({ issuer: bridge.issuer, audience: 'https://diary.example/api', ...options })
  t.teardown(() => verifier.close())
  return verifier
}

/** Waits until the bridge has had `count` more revocation requests than `from`, and the last answer has reached the verifier. */
async function revocationFetches(count: number, from = bridge.requests('/revocations')): Promise<void> {
  const target = from + count
  const deadline = Date.now() + 5000
  while (bridge.requests('/revocations') < target) {
    if (Date.now() > deadline) throw new Error('no revocation fetch')
    await sleep(10)
  }
  await sleep(20)
}

t.test('a token whose session ended is refused after the next refresh; other sessions are not', async (t) => {
  const verifier = verifierFor(t, { revocations: { refreshMs: 50 } })
  const token = await bridge.accessToken({ sid: 'session-1' })
  t.match(await verifier.verify(token), { sid: 'session-1' })
  bridge.revoked.sessions.push('session-1')
  await revocationFetches(2)
  await t.rejects(verifier.verify(token), { name: 'TokenVerificationError', code: 'token_revoked' })
  t.ok(await verifier.verify(await bridge.accessToken({ sid: 'session-2' })), 'another session')
  t.ok(await verifier.verify(await bridge.accessToken({ sid: undefined })), 'a token without sid')
})

t.test('a token revoked one by one (its jti) is refused from the first list on', async (t) => {
  const token = await bridge.accessToken({ jti: 'revoked-jti' })
  bridge.revoked.tokens.push('revoked-jti')
  const verifier = verifierFor(t)
  await t.rejects(verifier.verify(token), { code: 'token_revoked' }, 'verify waited for the first list')
  t.ok(await verifier.verify(await bridge.accessToken()), 'another jti of the same session')
})

// [why, how the bridge answers]
const failures: [string, { status?: number; body?: unknown }][] = [
  ['a 503', { status: 503 }],
  ['not a list', { body: ['session-1'] }],
  ['a list of another issuer', { body: { issuer: 'https://bridge.evil', generated_at: 0, sessions: [], tokens: [] } }],
  ['a list without tokens', { body: { issuer: bridge.issuer, generated_at: 0, sessions: [] } }],
  ['a list of numbers', { body: { issuer: bridge.issuer, generated_at: 0, sessions: [1], tokens: [] } }],
]

t.test('a failed refresh keeps the previous list and calls onError', async (t) => {
  for (const [why, answer] of failures) {
    bridge.revocationsAnswer = {}
    bridge.revoked = { sessions: ['session-1'], tokens: [] }
    const errors: Error[] = []
    const verifier = verifierFor(t, { revocations: { refreshMs: 30, onError: (error) => errors.push(error) } })
    const token = await bridge.accessToken({ sid: 'session-1' })
    await t.rejects(verifier.verify(token), { code: 'token_revoked' }, `${why}: the first list`)
    bridge.revocationsAnswer = answer
    bridge.revoked = { sessions: [], tokens: [] }
    await revocationFetches(2)
    t.ok(errors.length >= 1, `${why}: onError (${errors[0]?.message})`)
    await t.rejects(verifier.verify(token), { code: 'token_revoked' }, `${why}: the previous list still applies`)
    verifier.close()
  }
})

t.test('fail-open: without an answer, verify waits at most timeoutMs for the first list', async (t) => {
  bridge.revoked.sessions.push('session-1')
  bridge.revocationsAnswer = { delayMs: 3000 }
  const errors: Error[] = []
  const verifier = verifierFor(t, { timeoutMs: 200, revocations: { onError: (error) => errors.push(error) } })
  const started = Date.now()
  t.match(await verifier.verify(await bridge.accessToken({ sid: 'session-1' })), { sid: 'session-1' }, 'accepted without a list')
  t.ok(Date.now() - started < 1500, `answered in ${Date.now() - started} ms`)
  const again = Date.now()
  await verifier.verify(await bridge.accessToken({ sid: 'session-1' }))
  t.ok(Date.now() - again < 150, 'the next verification does not wait again')
  await sleep(100)
  t.equal(errors.length, 1, 'the timed-out fetch is reported')
})

t.test('the bridge down at start: verify goes on at once, and the list applies once it answers', async (t) => {
  bridge.revocationsAnswer = { status: 502 }
  const verifier = verifierFor(t, { revocations: { refreshMs: 40 } })
  const token = await bridge.accessToken({ sid: 'session-1' })
  t.ok(await verifier.verify(token))
  bridge.revocationsAnswer = {}
  bridge.revoked.sessions.push('session-1')
  await revocationFetches(2)
  await t.rejects(verifier.verify(token), { code: 'token_revoked' })
})

t.test('with the injected clock: a list older than refreshMs is refreshed by the next verification', async (t) => {
  let clock = Date.now()
  const verifier = verifierFor(t, { now: () => new Date(clock), revocations: { refreshMs: 60_000 } })
  const token = await bridge.accessToken({ sid: 'session-1' })
  t.ok(await verifier.verify(token))
  bridge.revoked.sessions.push('session-1')
  t.ok(await verifier.verify(token), 'the list is not due yet')
  const fetched = bridge.requests('/revocations')
  clock += 61_000
  t.ok(await verifier.verify(token), 'the due refresh runs in the background')
  await revocationFetches(1, fetched)
  await t.rejects(verifier.verify(token), { code: 'token_revoked' })
})

t.test('revocations: false makes no request and refuses nothing', async (t) => {
  bridge.revoked.sessions.push('session-1')
  const before = bridge.requests('/revocations')
  const verifier = verifierFor(t, { revocations: false })
  t.ok(await verifier.verify(await bridge.accessToken({ sid: 'session-1' })))
  await sleep(100)
  t.equal(bridge.requests('/revocations'), before)
})

t.test('close() stops the refresh timer', async (t) => {
  const verifier = verifierFor(t, { revocations: { refreshMs: 20 } })
  await verifier.verify(await bridge.accessToken())
  await revocationFetches(1)
  verifier.close()
  await sleep(30)
  const after = bridge.requests('/revocations')
  await sleep(150)
  t.equal(bridge.requests('/revocations'), after, 'no fetch after close()')
})

t.test('bridgeAuth stops the verifier it made when the app closes', async (t) => {
  const app = Fastify()
  await app.register(bridgeAuth, { issuer: bridge.issuer, audience: 'https://diary.example/api', revocations: { refreshMs: 20 } })
  app.get('/api/me', async (request) => ({ sid: request.bridgeToken?.sid }))
  const response = await app.inject({ url: '/api/me', headers: { authorization: `Bearer ${await bridge.accessToken()}` } })
  t.same(response.json(), { sid: 'session-1' })
  await app.close()
  await sleep(30)
  const after = bridge.requests('/revocations')
  await sleep(150)
  t.equal(bridge.requests('/revocations'), after)
})
