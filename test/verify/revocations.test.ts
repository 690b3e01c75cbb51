import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import Fastify from 'fastify'
import {
  type AccessTokenClaims,
  bridgeAuth,
  createVerifier,
  type RevocationListError,
  type VerifierOptions,
} from '../../src/verify/index.js'
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

// [why, how the bridge answers, the code onError gets]
const failures: [string, { status?: number; body?: unknown }, RevocationListError['code']][] = [
  ['a 503', { status: 503 }, 'unavailable'],
  ['not a list', { body: ['session-1'] }, 'invalid'],
  [
    'a list of another issuer',
    { body: { issuer: 'https://bridge.evil', generated_at: 0, sessions: [], tokens: [] } },
    'invalid',
  ],
  ['a list without tokens', { body: { issuer: bridge.issuer, generated_at: 0, sessions: [] } }, 'invalid'],
  ['a list of numbers', { body: { issuer: bridge.issuer, generated_at: 0, sessions: [1], tokens: [] } }, 'invalid'],
  [
    'truncated neither true nor false',
    { body: { issuer: bridge.issuer, generated_at: 0, sessions: [], tokens: [], truncated: 'yes' } },
    'invalid',
  ],
]

t.test('a failed refresh keeps the previous list and calls onError', async (t) => {
  for (const [why, answer, code] of failures) {
    bridge.revocationsAnswer = {}
    bridge.revoked = { sessions: ['session-1'], tokens: [] }
    const errors: RevocationListError[] = []
    const verifier = verifierFor(t, { revocations: { refreshMs: 30, onError: (error) => errors.push(error) } })
    const token = await bridge.accessToken({ sid: 'session-1' })
    await t.rejects(verifier.verify(token), { code: 'token_revoked' }, `${why}: the first list`)
    bridge.revocationsAnswer = answer
    bridge.revoked = { sessions: [], tokens: [] }
    await revocationFetches(2)
    t.ok(errors.length >= 1, `${why}: onError (${errors[0]?.message})`)
    t.match(errors[0], { name: 'RevocationListError', code }, `${why}: ${code}`)
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
  t.match(
    await verifier.verify(await bridge.accessToken({ sid: 'session-1' })),
    { sid: 'session-1' },
    'accepted without a list',
  )
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
  await app.register(bridgeAuth, {
    issuer: bridge.issuer,
    audience: 'https://diary.example/api',
    revocations: { refreshMs: 20 },
  })
  app.get('/api/me', async (request) => ({ sid: request.bridgeToken?.sid }))
  const response = await app.inject({
    url: '/api/me',
    headers: { authorization: `Bearer ${await bridge.accessToken()}` },
  })
  t.same(response.json(), { sid: 'session-1' })
  await app.close()
  await sleep(30)
  const after = bridge.requests('/revocations')
  await sleep(150)
  t.equal(bridge.requests('/revocations'), after)
})

/** An answer of `size` bytes of a list naming uuid-like sessions, with `session-1` among them. */
function bigList(entries: number) {
  return {
    issuer: bridge.issuer,
    generated_at: 0,
    sessions: [
      'session-1',
      ...Array.from({ length: entries }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`),
    ],
    tokens: [],
  }
}

t.test('an answer larger than maxBytes is refused (too_large) and the previous list stays', async (t) => {
  bridge.revoked = { sessions: ['session-2'], tokens: [] }
  const errors: RevocationListError[] = []
  const verifier = verifierFor(t, {
    revocations: { refreshMs: 30, maxBytes: 20_000, onError: (error) => errors.push(error) },
  })
  const first = await bridge.accessToken({ sid: 'session-2' })
  await t.rejects(verifier.verify(first), { code: 'token_revoked' }, 'the first list, small enough')
  bridge.revocationsAnswer = { body: bigList(1000) }
  await revocationFetches(2)
  t.match(errors[0], { code: 'too_large', message: /maxBytes \(20000 bytes\)/ })
  await t.rejects(verifier.verify(first), { code: 'token_revoked' }, 'the previous list still applies')
  t.ok(await verifier.verify(await bridge.accessToken({ sid: 'session-1' })), 'the refused list is not used')
})

t.test(
  'too large is told by Content-Length before reading, or while reading a body without one (which is never read whole)',
  async (t) => {
    const jti = 'listed-jti'
    for (const declared of [true, false]) {
      let pulled = 0
      const endless = new ReadableStream<Uint8Array>({
        pull(controller) {
          pulled++
          controller.enqueue(
            new TextEncoder().encode(
              pulled === 1
                ? `{"issuer":"${bridge.issuer}","generated_at":0,"sessions":[],"tokens":["${jti}"`
                : `,"${'x'.repeat(1000)}"`,
            ),
          )
        },
      })
      const fetchAnswering: typeof fetch = async (input, init) =>
        new URL(input instanceof Request ? input.url : input).pathname === '/revocations'
          ? new Response(endless, { headers: declared ? { 'content-length': '5000000' } : {} })
          : fetch(input, init)
      const errors: RevocationListError[] = []
      const verifier = verifierFor(t, {
        fetch: fetchAnswering,
        revocations: { maxBytes: 10_000, onError: (error) => errors.push(error) },
      })
      t.ok(
        await verifier.verify(await bridge.accessToken({ jti })),
        `${declared ? 'Content-Length' : 'no Content-Length'}: no list, fail-open`,
      )
      t.match(errors, [{ code: 'too_large' }])
      t.ok(
        declared ? pulled <= 1 : pulled < 20,
        `${declared ? 'refused by its header' : 'stopped once past maxBytes'} (${pulled} chunks pulled)`,
      )
      verifier.close()
    }
  },
)

t.test("the bridge's longest answer (10,000 ids) fits the default maxBytes", async (t) => {
  bridge.revocationsAnswer = { body: bigList(9999) }
  const errors: RevocationListError[] = []
  const verifier = verifierFor(t, { revocations: { onError: (error) => errors.push(error) } })
  await t.rejects(verifier.verify(await bridge.accessToken({ sid: 'session-1' })), { code: 'token_revoked' })
  t.same(errors, [])
})

t.test('a truncated list: what it names is refused, onError is told, whenTruncated decides the rest', async (t) => {
  bridge.revocationsAnswer = {
    body: { issuer: bridge.issuer, generated_at: 0, sessions: ['session-1'], tokens: [], truncated: true },
  }
  const asked: [string, AccessTokenClaims][] = []
  const active = new Set(['session-2'])
  const errors: RevocationListError[] = []
  const verifier = verifierFor(t, {
    revocations: {
      onError: (error) => errors.push(error),
      whenTruncated: async (token, claims) => {
        asked.push([token, claims])
        return active.has(claims.sid ?? '')
      },
    },
  })
  await t.rejects(
    verifier.verify(await bridge.accessToken({ sid: 'session-1' })),
    { code: 'token_revoked' },
    'listed: refused',
  )
  t.same(asked, [], 'without asking')
  const activeToken = await bridge.accessToken({ sid: 'session-2' })
  t.match(
    await verifier.verify(activeToken),
    { sid: 'session-2' },
    'not listed, and whenTruncated says active: accepted',
  )
  t.match(
    asked,
    [[activeToken, { sid: 'session-2', client_id: 'web-diary', scope: ['openid', 'profile'] }]],
    'asked with the token and its claims',
  )
  await t.rejects(
    verifier.verify(await bridge.accessToken({ sid: 'session-3' })),
    { code: 'token_revoked' },
    'not listed, and whenTruncated says not active: refused',
  )
  t.match(errors, [{ name: 'RevocationListError', code: 'truncated' }], 'onError is told the list is truncated')

  const untruncated = verifierFor(t, { revocations: { whenTruncated: () => t.fail('asked about a complete list') } })
  bridge.revocationsAnswer = {}
  t.ok(await untruncated.verify(await bridge.accessToken({ sid: 'session-3' })), 'a complete list asks nothing')
})

t.test(
  'a truncated list without whenTruncated: tokens it does not name are accepted (fail-open), onError is told',
  async (t) => {
    bridge.revocationsAnswer = {
      body: { issuer: bridge.issuer, generated_at: 0, sessions: ['session-1'], tokens: [], truncated: true },
    }
    const errors: RevocationListError[] = []
    const verifier = verifierFor(t, { revocations: { onError: (error) => errors.push(error) } })
    await t.rejects(verifier.verify(await bridge.accessToken({ sid: 'session-1' })), { code: 'token_revoked' })
    t.ok(await verifier.verify(await bridge.accessToken({ sid: 'session-3' })))
    t.match(errors, [{ code: 'truncated' }])
  },
)
