/*
 * One authorization code redeemed by many requests at once (on PostgreSQL when DATABASE_URL is set):
 * exactly one gets tokens, every other gets invalid_grant and revokes what the code issued, none a 500.
 */
import * as client from 'openid-client'
import t from 'tap'
import { secrets, startOAuthWorld } from '../helpers/oauth-world.js'

const world = await startOAuthWorld(t)
const { app, db } = world
const authorization = `Basic ${Buffer.from(`web-diary:${secrets['web-diary']}`).toString('base64')}`
const redirectUri = 'https://diary.example/callback'

const redeem = (code: string, verifier: string) =>
  app.inject({
    method: 'POST',
    url: '/token',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    }).toString(),
  })

t.test(
  '20 parallel redemptions of one code: one 200, nineteen invalid_grant, the winner revoked, no 500',
  async (t) => {
    const verifier = client.randomPKCECodeVerifier()
    const { code } = await world.freshCode({ verifier })
    const responses = await Promise.all(Array.from({ length: 20 }, () => redeem(code, verifier)))
    const statuses = responses.map((response) => response.statusCode)
    t.equal(statuses.filter((status) => status === 200).length, 1, `exactly one 200 (${statuses.join(',')})`)
    t.equal(statuses.filter((status) => status === 400).length, 19)
    t.ok(responses.every((response) => response.statusCode === 200 || response.json().error === 'invalid_grant'))

    const winner = responses.find((response) => response.statusCode === 200)?.json() as {
      access_token: string
      refresh_token: string
    }
    const families = await db.selectFrom('token_family').select(['revoked_reason']).execute()
    t.same(families, [{ revoked_reason: 'code_replay' }], 'one family, revoked by the replays')
    const refresh = await app.inject({
      method: 'POST',
      url: '/token',
      headers: { authorization },
      payload: { grant_type: 'refresh_token', refresh_token: winner.refresh_token },
    })
    t.equal(refresh.json().error, 'invalid_grant', 'the refresh token it got is dead')
    const introspection = await app.inject({
      method: 'POST',
      url: '/introspect',
      headers: { authorization },
      payload: { token: winner.access_token },
    })
    t.same(introspection.json(), { active: false }, 'so is its access token, even when a replay overtook the winner')
  },
)

t.test(
  'a code issued before its session ended (sign out everywhere, a password change) gives nothing after it',
  async (t) => {
    const { endSessions } = await import('../../src/sessions/end-sessions.js')
    const verifier = client.randomPKCECodeVerifier()
    const { code } = await world.freshCode({ verifier })
    const row = await db
      .selectFrom('authorization_code')
      .select(['account_id', 'session_id'])
      .where('used_at', 'is', null)
      .orderBy('auth_time', 'desc')
      .executeTakeFirstOrThrow()
    t.ok(row.session_id, 'the code names its session')
    const familiesBefore = (await db.selectFrom('token_family').select('id').execute()).length
    await db
      .transaction()
      .execute((trx) => endSessions(trx, { accountId: row.account_id }, 'sign_out_everywhere', new Date()))
    const answer = await redeem(code, verifier)
    t.equal(answer.statusCode, 400)
    t.equal(answer.json().error, 'invalid_grant')
    t.equal(
      (await db.selectFrom('token_family').select('id').execute()).length,
      familiesBefore,
      'no token family was started',
    )
    const unused = await db
      .selectFrom('authorization_code')
      .select('used_at')
      .where('session_id', '=', row.session_id)
      .executeTakeFirstOrThrow()
    t.equal(unused.used_at, null, 'the refused code is not spent (nothing to revoke on a replay)')
  },
)
