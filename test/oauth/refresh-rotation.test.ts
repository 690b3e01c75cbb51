/*
 * Refresh-token rotation: every condition is checked before the token is spent, and the immediately
 * preceding token of a family, presented again within the grace period, gets the same new refresh
 * token instead of revoking the family (two tabs, a retried request on a flaky network).
 */
import t from 'tap'
import { hashToken } from '../../src/oauth/grants.js'
import { rotateRefreshToken } from '../../src/oauth/refresh-rotation.js'
import { secrets, startOAuthWorld } from '../helpers/oauth-world.js'

const world = await startOAuthWorld(t)
const { app, db } = world
const authorization = `Basic ${Buffer.from(`web-diary:${secrets['web-diary']}`).toString('base64')}`
const redirectUri = 'https://diary.example/callback'

interface Tokens {
  access_token: string
  refresh_token: string
  scope: string
}

async function firstTokens(): Promise<Tokens> {
  const { code, verifier } = await world.freshCode({ parameters: { scope: 'openid profile offline_access' } })
  const response = await token({
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
  })
  return response.json<Tokens>()
}

function token(body: Record<string, string>) {
  return app.inject({
    method: 'POST',
    url: '/token',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(body).toString(),
  })
}

const refresh = (refreshToken: string, scope?: string) =>
  token({ grant_type: 'refresh_token', refresh_token: refreshToken, ...(scope === undefined ? {} : { scope }) })

const familyOf = async (refreshToken: string) => {
  const introspection = await app.inject({
    method: 'POST',
    url: '/introspect',
    headers: { authorization },
    payload: { token: refreshToken },
  })
  return introspection.json<{ active: boolean }>()
}

/** Why the family of this refresh token was revoked; null while it lives. */
const revokedReason = async (refreshToken: string) =>
  (
    await db
      .selectFrom('refresh_token')
      .innerJoin('token_family', 'token_family.id', 'refresh_token.family_id')
      .select('token_family.revoked_reason')
      .where('refresh_token.token_hash', '=', hashToken(refreshToken))
      .executeTakeFirstOrThrow()
  ).revoked_reason

const later = (seconds: number) => {
  world.clock.offsetMs += seconds * 1000
}

t.afterEach(() => {
  world.clock.offsetMs = 0
})

t.test('a scope wider than the grant is refused without spending the token: the retry without it works', async (t) => {
  const first = await firstTokens()
  const wide = await refresh(first.refresh_token, 'openid profile offline_access admin')
  t.equal(wide.statusCode, 400)
  t.equal(wide.json().error, 'invalid_scope')
  const noOpenid = await refresh(first.refresh_token, 'profile')
  t.equal(noOpenid.json().error, 'invalid_scope', 'openid is required')
  t.ok((await familyOf(first.refresh_token)).active, 'still unspent')
  const retry = await refresh(first.refresh_token)
  t.equal(retry.statusCode, 200, 'not taken for reuse')
  const narrower = await refresh(retry.json().refresh_token, 'openid')
  t.equal(narrower.statusCode, 200)
  t.equal(narrower.json().scope, 'openid', 'a narrower scope is granted')
  t.equal(await revokedReason(first.refresh_token), null, 'the family lives')
})

t.test('an expired refresh token is refused and not treated as reuse', async (t) => {
  const first = await firstTokens()
  later(world.config.bridge.tokens.refreshTokenTtlSeconds + 1)
  t.equal((await refresh(first.refresh_token)).json().error, 'invalid_grant')
  later(-world.config.bridge.tokens.refreshTokenTtlSeconds - 1)
  t.equal(await revokedReason(first.refresh_token), null, 'the family lives')
})

t.test(
  'within the grace period the preceding token gets the same new refresh token, and the family lives',
  async (t) => {
    const first = await firstTokens()
    const tabA = (await refresh(first.refresh_token)).json<Tokens>()
    later(5)
    const tabB = await refresh(first.refresh_token)
    t.equal(tabB.statusCode, 200, 'the second tab is not signed out')
    t.equal(tabB.json().refresh_token, tabA.refresh_token, 'the same new refresh token: the family does not fork')
    t.not(tabB.json().access_token, tabA.access_token, 'a new access token')
    t.equal(await revokedReason(first.refresh_token), null, 'the family lives')

    const next = (await refresh(tabA.refresh_token)).json<Tokens>()
    t.ok(next.refresh_token, 'the shared token rotates as usual')
    const stale = await refresh(first.refresh_token)
    t.equal(stale.json().error, 'invalid_grant', 'two tokens back is reuse, even within the grace period')
    t.equal(await revokedReason(first.refresh_token), 'refresh_reuse')
    t.equal((await refresh(next.refresh_token)).json().error, 'invalid_grant', 'and the family is revoked')
  },
)

t.test('after the grace period the preceding token is reuse and revokes the family', async (t) => {
  const first = await firstTokens()
  const second = (await refresh(first.refresh_token)).json<Tokens>()
  later(world.config.bridge.tokens.refreshReuseGraceSeconds + 1)
  t.equal((await refresh(first.refresh_token)).json().error, 'invalid_grant')
  t.equal((await refresh(second.refresh_token)).json().error, 'invalid_grant')
  t.equal(await revokedReason(first.refresh_token), 'refresh_reuse')
})

t.test('a grace period of 0 turns the grace off', async (t) => {
  const first = await firstTokens()
  const rotate = (refreshToken: string) =>
    rotateRefreshToken(db, {
      refreshToken,
      clientId: 'web-diary',
      scope: undefined,
      refreshTtlSeconds: 3600,
      accessTtlSeconds: 600,
      reuseGraceSeconds: 0,
      now: world.now(),
    })
  const second = await rotate(first.refresh_token)
  t.ok(second.ok)
  t.match(await rotate(first.refresh_token), { ok: false, reason: 'replayed' })
  t.match(await rotate(second.ok ? (second.refreshToken ?? '') : ''), { ok: false, reason: 'revoked' })
})

t.test(
  '20 parallel refreshes with one token (two tabs, retries): all succeed with the same new refresh token',
  async (t) => {
    const first = await firstTokens()
    const responses = await Promise.all(Array.from({ length: 20 }, () => refresh(first.refresh_token)))
    t.same(
      responses.map((response) => response.statusCode),
      Array.from({ length: 20 }, () => 200),
    )
    t.equal(new Set(responses.map((response) => response.json<Tokens>().refresh_token)).size, 1, 'one successor')
    t.equal(await revokedReason(first.refresh_token), null, 'the family lives')
    const { family_id } = await db
      .selectFrom('refresh_token')
      .select('family_id')
      .where('token_hash', '=', hashToken(first.refresh_token))
      .executeTakeFirstOrThrow()
    const usable = await db
      .selectFrom('refresh_token')
      .select('token_hash')
      .where('family_id', '=', family_id)
      .where('used_at', 'is', null)
      .execute()
    t.same(
      usable,
      [{ token_hash: hashToken(responses[0]?.json().refresh_token) }],
      'one usable refresh token in the family',
    )
  },
)
