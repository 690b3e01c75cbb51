/*
 * Two diary modules signed in through one browser session: signing out in one tells both by
 * back-channel logout (a valid logout token each, verified with the shipped library); a module that is
 * down gets its token once it is back; the old access tokens stop working at /userinfo and
 * /introspect at once, and in a module's own verifier within its refresh delay (GET /revocations).
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as client from 'openid-client'
import t from 'tap'
import { createLogoutTokenVerifier, createVerifier, type TokenVerificationError } from '../../src/verify/index.js'
import { publicUrl } from '../helpers/demo-world.js'
import { clients, secrets, startOAuthWorld } from '../helpers/oauth-world.js'
import { pkceAuthorizationUrl } from '../helpers/pkce.js'

interface Receiver {
  url: string
  tokens: string[]
  start(): Promise<void>
  stop(): Promise<void>
}

/** A diary module's back-channel logout endpoint: records each logout_token; can go down and come back on its port. */
async function receiver(): Promise<Receiver> {
  const tokens: string[] = []
  let server: Server | undefined
  let port = 0
  const start = async () => {
    server = createServer((request, response) => {
      let body = ''
      request.on('data', (chunk: Buffer) => (body += chunk.toString()))
      request.on('end', () => {
        const token = new URLSearchParams(body).get('logout_token')
        if (token !== null) tokens.push(token)
        response.writeHead(token === null ? 400 : 200).end()
      })
    })
    await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  }
  await start()
  const stop = () => new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())))
  t.teardown(stop)
  return {
    get url() {
      return `http://127.0.0.1:${port}/backchannel-logout`
    },
    tokens,
    start,
    stop,
  }
}

async function eventually<T>(
  what: string,
  read: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (value !== undefined) return value
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const web = await receiver()
const schedule = await receiver()
const world = await startOAuthWorld(t, {
  bridge: { backchannelLogout: { intervalMs: 100, timeoutMs: 1000 } },
  clients: {
    'web-diary': { backchannelLogoutUri: web.url, accessTokenTtlSeconds: 300 },
    schedule: { backchannelLogoutUri: schedule.url },
  },
  backgroundJobs: true,
})

t.test('sign in to two modules, sign out in one: both are told, the one that was down when it is back', async (t) => {
  const webConfig = await world.discover('web-diary', client.ClientSecretBasic(secrets['web-diary']))
  const webVerifier = client.randomPKCECodeVerifier()
  const signedIn = await world.signIn(
    await world.authorizationUrl(webConfig, webVerifier, { scope: 'openid offline_access' }),
  )
  const webTokens = await client.authorizationCodeGrant(webConfig, signedIn.location as URL, {
    pkceCodeVerifier: webVerifier,
  })
  const sid = webTokens.claims()?.sid as string
  t.match(sid, /^[0-9a-f-]{36}$/, 'the ID token names the session')

  const scheduleConfig = await world.discover('schedule', client.ClientSecretPost(secrets.schedule))
  const scheduleVerifier = client.randomPKCECodeVerifier()
  const url = await pkceAuthorizationUrl(scheduleConfig, scheduleVerifier, {
    redirect_uri: clients.schedule.redirectUris[0] as string,
  })
  const second = await world.signIn(url, 'ivanova.m', 'diary-demo', signedIn.browser)
  const scheduleTokens = await client.authorizationCodeGrant(scheduleConfig, second.location as URL, {
    pkceCodeVerifier: scheduleVerifier,
  })
  t.equal(scheduleTokens.claims()?.sid, sid, 'one browser session, two modules')
  t.same([webTokens.expires_in, scheduleTokens.expires_in], [300, 600], "each module's access-token lifetime")

  const scheduleApi = createVerifier({
    issuer: publicUrl,
    audience: clients.schedule.audience,
    fetch: world.fetch,
    revocations: { refreshMs: 200 },
  })
  t.teardown(() => scheduleApi.close())
  t.equal((await scheduleApi.verify(scheduleTokens.access_token)).sid, sid, 'the access token carries the session too')

  await schedule.stop()
  const logout = new URL('/logout', publicUrl)
  logout.search = new URLSearchParams({
    id_token_hint: webTokens.id_token as string,
    post_logout_redirect_uri: clients['web-diary'].postLogoutRedirectUris[0] as string,
  }).toString()
  const bye = await signedIn.browser.go('GET', `${logout.pathname}${logout.search}`)
  t.equal(new URL(String(bye.headers.location)).origin, 'https://diary.example', 'signed out, back at the web diary')

  const userinfo = await world.app.inject({
    method: 'GET',
    url: '/userinfo',
    headers: { authorization: `Bearer ${scheduleTokens.access_token}` },
  })
  t.equal(userinfo.statusCode, 401, '/userinfo refuses the ended session at once')
  const introspection = await world.app.inject({
    method: 'POST',
    url: '/introspect',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      token: scheduleTokens.access_token,
      client_id: 'schedule',
      client_secret: secrets.schedule,
    }).toString(),
  })
  t.same(introspection.json(), { active: false }, '/introspect too')

  const webToken = await eventually('the web diary logout token', () => web.tokens[0])
  const webLogout = await createLogoutTokenVerifier({
    issuer: publicUrl,
    clientId: 'web-diary',
    fetch: world.fetch,
  }).verify(webToken)
  t.match(webLogout, { iss: publicUrl, aud: 'web-diary', sid, sub: webTokens.claims()?.sub })
  t.notOk('nonce' in webLogout)

  const pending = await eventually('a failed attempt for the schedule', async () => {
    const row = await world.db
      .selectFrom('logout_notice')
      .selectAll()
      .where('client_id', '=', 'schedule')
      .executeTakeFirst()
    return row !== undefined && row.attempts > 0 ? row : undefined
  })
  t.equal(pending.delivered_at, null, 'the schedule was down: not delivered yet')
  t.equal(pending.last_outcome, 'unreachable')

  await schedule.start()
  world.clock.offsetMs = 60_000 // past the back-off
  t.teardown(() => void (world.clock.offsetMs = 0))
  const scheduleToken = await eventually('the schedule logout token', () => schedule.tokens[0])
  const scheduleLogout = await createLogoutTokenVerifier({
    issuer: publicUrl,
    clientId: 'schedule',
    fetch: world.fetch,
    now: world.now,
  }).verify(scheduleToken)
  t.match(scheduleLogout, { aud: 'schedule', sid })

  const refused = await eventually(
    'the verifier to refuse the old access token',
    async () => {
      try {
        await scheduleApi.verify(scheduleTokens.access_token)
        return undefined
      } catch (error) {
        return error as TokenVerificationError
      }
    },
    5000,
  )
  t.equal(refused.code, 'token_revoked', "the module's own verifier refuses it after its next refresh")
  const delivered = await world.db
    .selectFrom('logout_notice')
    .select(['client_id', 'last_outcome'])
    .where('delivered_at', 'is not', null)
    .orderBy('client_id')
    .execute()
  t.same(delivered, [
    { client_id: 'schedule', last_outcome: 'ok' },
    { client_id: 'web-diary', last_outcome: 'ok' },
  ])
})

t.test('the revocation list names ended sessions and revoked tokens, ids only', async (t) => {
  const response = await world.app.inject({ method: 'GET', url: '/revocations' })
  t.equal(response.statusCode, 200)
  const list = response.json<{ issuer: string; sessions: string[]; tokens: string[] }>()
  t.equal(list.issuer, publicUrl)
  t.ok(list.sessions.length >= 1)
  t.match(response.headers['cache-control'], /max-age=\d/)
  const discovery = (await world.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' })).json<
    Record<string, unknown>
  >()
  t.match(discovery, { backchannel_logout_supported: true, backchannel_logout_session_supported: true })
})
