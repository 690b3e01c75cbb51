/*
 * Uniform errors at /token, /revoke and /introspect: a token thief learns nothing from the answer.
 * Every refused grant is the same invalid_grant, every failed client authentication the same
 * invalid_client; the precise reason goes to the log (info, no token values), the metrics and, for a
 * grant that exists, the audit trail. Failed client authentication writes no audit row.
 */
import * as client from 'openid-client'
import t from 'tap'
import { secrets, startOAuthWorld } from '../helpers/oauth-world.js'

const world = await startOAuthWorld(t)
const { app, db } = world
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
const webDiary = basic('web-diary', secrets['web-diary'])
const redirectUri = 'https://diary.example/callback'
const form = { 'content-type': 'application/x-www-form-urlencoded' }

function post(
  path: string,
  body: Record<string, string>,
  headers: Record<string, string> = { authorization: webDiary },
) {
  return app.inject({
    method: 'POST',
    url: path,
    headers: { ...form, ...headers },
    payload: new URLSearchParams(body).toString(),
  })
}

const auditCount = async () => (await db.selectFrom('audit_event').select('id').execute()).length
const metrics = async () => (await app.inject('/metrics')).body

t.afterEach(() => {
  world.clock.offsetMs = 0
})

t.test(
  'every refused grant is the same invalid_grant; the reason goes to the log, metrics and audit only',
  async (t) => {
    const redeem = (
      code: string,
      verifier: string,
      extra: Record<string, string> = {},
      headers?: Record<string, string>,
    ) =>
      post(
        '/token',
        { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier, ...extra },
        headers,
      )
    const used = await world.freshCode()
    const tokens = (await redeem(used.code, used.verifier)).json<{ refresh_token: string }>()
    const revoked = await world.freshCode()
    const revokedTokens = (await redeem(revoked.code, revoked.verifier)).json<{ refresh_token: string }>()
    await post('/revoke', { token: revokedTokens.refresh_token })
    const wrongUri = await world.freshCode()
    const wrongPkce = await world.freshCode()
    const otherClient = await world.freshCode()
    const expired = await world.freshCode()
    const schedule = { client_id: 'schedule', client_secret: secrets.schedule }

    const cases: [reason: string, run: () => ReturnType<typeof post>][] = [
      ['unknown', () => redeem('no-such-code', used.verifier)],
      ['redirect_uri', () => redeem(wrongUri.code, wrongUri.verifier, { redirect_uri: 'https://diary.example/other' })],
      ['pkce', () => redeem(wrongPkce.code, client.randomPKCECodeVerifier())],
      ['wrong_client', () => redeem(otherClient.code, otherClient.verifier, schedule, {})],
      ['replayed', () => redeem(used.code, used.verifier)],
      ['unknown', () => post('/token', { grant_type: 'refresh_token', refresh_token: 'no-such-token' })],
      ['revoked', () => post('/token', { grant_type: 'refresh_token', refresh_token: revokedTokens.refresh_token })],
      [
        'wrong_client',
        () => post('/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, ...schedule }, {}),
      ],
      [
        'expired',
        () => {
          world.clock.offsetMs = 61_000
          return redeem(expired.code, expired.verifier)
        },
      ],
    ]
    const descriptions = new Set<string>()
    for (const [reason, run] of cases) {
      const response = await run()
      t.equal(response.statusCode, 400, reason)
      t.equal(response.json().error, 'invalid_grant', reason)
      descriptions.add(response.json().error_description)
      t.notMatch(response.body, new RegExp(`\\b${reason}\\b`), `${reason}: not in the answer`)
    }
    t.equal(descriptions.size, 1, `one description for every refusal: ${[...descriptions].join(' | ')}`)

    const refusals = world.logLines().filter((line) => line.msg === 'token request refused')
    t.same(
      refusals.map((line) => line.reason),
      cases.map(([reason]) => reason),
      'each reason logged',
    )
    t.ok(
      refusals.every((line) => line.level === 30),
      'at info level',
    )
    for (const secret of [used.code, wrongPkce.code, tokens.refresh_token, revokedTokens.refresh_token]) {
      t.notOk(world.logText().includes(secret), 'no code or token value in the log')
    }
    const text = await metrics()
    t.match(text, /bridge_token_requests_total\{client_id="web-diary",grant="authorization_code",outcome="pkce"\} 1/)
    t.match(text, /bridge_token_requests_total\{client_id="schedule",grant="refresh_token",outcome="wrong_client"\} 1/)
    const audited = await db
      .selectFrom('audit_event')
      .select(['type', 'details'])
      .where('outcome', '=', 'refused')
      .execute()
    t.same(
      audited.map((row) => (row.details as { reason: string }).reason).sort(),
      ['expired', 'pkce', 'redirect_uri', 'replayed', 'revoked', 'wrong_client', 'wrong_client'],
      'refusals of real grants are audited; made-up codes and tokens are not',
    )
  },
)

t.test('every failed client authentication is the same invalid_client, counted, never audited', async (t) => {
  const { code, verifier } = await world.freshCode()
  const grant = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }
  const attempts: [reason: string, body: Record<string, string>, headers: Record<string, string>][] = [
    ['unknown_client', grant, { authorization: basic('nobody', 'x') }],
    ['wrong_secret', grant, { authorization: basic('web-diary', 'not-the-secret') }],
    ['wrong_method', { ...grant, client_id: 'web-diary', client_secret: secrets['web-diary'] }, {}],
    ['wrong_method', { ...grant, client_id: 'web-diary' }, {}],
    ['malformed_credentials', grant, { authorization: 'Basic !!!' }],
    ['client_id_mismatch', { ...grant, client_id: 'schedule' }, { authorization: webDiary }],
    ['unknown_client', grant, {}],
  ]
  const before = await auditCount()
  const descriptions = new Set<string>()
  for (const path of ['/token', '/revoke', '/introspect']) {
    for (const [reason, body, headers] of attempts) {
      const response = await post(path, { token: 'x', ...body }, headers)
      t.equal(response.statusCode, 401, `${path} ${reason}`)
      t.equal(response.json().error, 'invalid_client', `${path} ${reason}`)
      descriptions.add(response.json().error_description)
    }
  }
  t.equal(descriptions.size, 1, `one description: ${[...descriptions].join(' | ')}`)
  t.equal(await auditCount(), before, 'no audit row for requests without valid client credentials')
  const text = await metrics()
  t.match(
    text,
    /bridge_token_requests_total\{client_id="unknown",grant="authorization_code",outcome="unknown_client"\} 2/,
    'unknown ids are one label',
  )
  t.match(text, /bridge_token_requests_total\{client_id="web-diary",grant="revocation",outcome="wrong_secret"\} 1/)
  t.match(text, /bridge_token_requests_total\{client_id="web-diary",grant="introspection",outcome="wrong_method"\} 2/)
  const logged = world.logLines().filter((line) => line.msg === 'client authentication failed')
  t.equal(logged.length, attempts.length * 3)
  t.ok(logged.every((line) => line.level === 30 && typeof line.reason === 'string'))
  t.notOk(world.logText().includes('not-the-secret'), 'no secret in the log')
  t.equal((await post('/token', grant)).statusCode, 200, 'the code was not burnt by failed client authentication')
})

t.test('revoking an unknown token is counted, not audited', async (t) => {
  const before = await auditCount()
  const response = await post('/revoke', { token: 'not-a-token' })
  t.equal(response.statusCode, 200)
  t.equal(await auditCount(), before)
  t.match(
    await metrics(),
    /bridge_token_requests_total\{client_id="web-diary",grant="revocation",outcome="ignored"\} 1/,
  )
})
