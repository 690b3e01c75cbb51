/*
 * A diary module that signs people in through the diary identity bridge: a complete program to copy
 * (docs/provider.md explains every step). openid-client 6 does the protocol: discovery, PKCE, the
 * code exchange with the ID token checked against the bridge's keys, userinfo, refresh, introspection,
 * revocation and RP-initiated logout. The bridge's verifier checks the access tokens, here and in the
 * module's own API (`GET /api/me`).
 *
 *   BRIDGE_URL=http://localhost:3000 CLIENT_ID=example-module CLIENT_SECRET=example-module-secret \
 *     AUDIENCE=https://example-module.diary.example/api npx tsx --tsconfig docs/examples/tsconfig.json docs/examples/diary-module.ts
 *
 * (In the bridge's checkout; in your own project, with the verifier installed, `npx tsx diary-module.ts`.)
 * Optional: PORT (4000), MODULE_URL (http://localhost:<PORT>, the origin of the registered redirect URIs).
 * Sessions live in memory (a real module keeps them in its own store); no token is ever printed.
 */
import { randomBytes } from 'node:crypto'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import * as client from 'openid-client'
import { type AccessTokenClaims, bridgeAuth, createVerifier } from 'diary-identity-bridge/verify'

function setting(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback
  if (value === undefined || value === '') throw new Error(`set the environment variable ${name}`)
  return value
}
const bridgeUrl = setting('BRIDGE_URL')
const port = Number(setting('PORT', '4000'))
const moduleUrl = setting('MODULE_URL', `http://localhost:${port}`)
const redirectUri = `${moduleUrl}/callback`
const secure = moduleUrl.startsWith('https:') ? '; Secure' : ''

// Plain http is for a bridge on this machine (the demo); a real bridge is https.
const config = await client.discovery(new URL(bridgeUrl), setting('CLIENT_ID'), undefined, client.ClientSecretBasic(setting('CLIENT_SECRET')), {
  execute: [...(new URL(bridgeUrl).protocol === 'http:' ? [client.allowInsecureRequests] : []), client.enableNonRepudiationChecks],
})
// One verifier for the whole process: it caches the bridge's JWKS.
const verifier = createVerifier({ issuer: bridgeUrl, audience: setting('AUDIENCE') })

type Tokens = client.TokenEndpointResponse & client.TokenEndpointResponseHelpers

interface Session {
  access: AccessTokenClaims
  accessToken: string
  refreshToken: string | undefined
  idToken: string
  idTokenClaims: client.IDToken
  userinfo: client.UserInfoResponse
  refreshes: number
  refreshTokenRotated?: boolean
}

/** Signed-in browsers by session cookie; logins and logouts in progress by their `state`, for ten minutes. */
const sessions = new Map<string, Session>()
const logins = new Map<string, { codeVerifier: string; nonce: string; expiresAt: number }>()
const logouts = new Map<string, { expiresAt: number }>()

function remember<V extends { expiresAt: number }>(map: Map<string, V>, key: string, value: V): void {
  for (const [old, entry] of map) if (entry.expiresAt < Date.now()) map.delete(old)
  map.set(key, value)
}

function take<V extends { expiresAt: number }>(map: Map<string, V>, key: string | undefined): V | undefined {
  const entry = key === undefined ? undefined : map.get(key)
  if (key !== undefined) map.delete(key)
  return entry !== undefined && entry.expiresAt >= Date.now() ? entry : undefined
}

const inTenMinutes = () => Date.now() + 10 * 60_000

function cookie(request: FastifyRequest, name: string): string | undefined {
  return new RegExp(`(?:^|;\\s*)${name}=([\\w-]+)`).exec(request.headers.cookie ?? '')?.[1]
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function page(reply: FastifyReply, body: string) {
  return reply
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Example diary module</title></head>
<body><h1>Example diary module</h1>${body}</body></html>`)
}

/** A token response, kept after its access token passed the checks every diary API makes; userinfo fetched. */
async function session(tokens: Tokens, previous?: Session): Promise<Session> {
  const idTokenClaims = tokens.claims() ?? previous?.idTokenClaims
  if (idTokenClaims === undefined || (tokens.id_token ?? previous?.idToken) === undefined) throw new Error('no ID token')
  return {
    access: await verifier.verify(tokens.access_token),
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token ?? previous?.refreshToken,
    idToken: tokens.id_token ?? previous?.idToken ?? '',
    idTokenClaims,
    userinfo: await client.fetchUserInfo(config, tokens.access_token, idTokenClaims.sub),
    refreshes: previous === undefined ? 0 : previous.refreshes + 1,
    refreshTokenRotated: previous === undefined ? undefined : tokens.refresh_token !== previous.refreshToken,
  }
}

/** What the page shows: the checked claims, never the tokens themselves. */
function summary(session: Session) {
  const { sub, region, role, scope, client_id, aud, exp, jti } = session.access
  const { amr, auth_time, sid } = session.idTokenClaims
  return {
    accessToken: { sub, region, role, scope, client_id, aud, exp, jti },
    idToken: { sub: session.idTokenClaims.sub, amr, auth_time, sid },
    userinfo: session.userinfo,
    refreshes: session.refreshes,
    refreshTokenRotated: session.refreshTokenRotated,
  }
}

/** openid-client's errors carry the OAuth `error` (invalid_grant, access_denied…) or their own `code`. */
function problem(error: unknown): string {
  const { error: oauth, code } = (error ?? {}) as { error?: unknown; code?: unknown }
  return [oauth, code].find((value) => typeof value === 'string') ?? 'unexpected_error'
}

const app = Fastify()
// The module's forms (refresh, sign out) send no fields; accept their body and ignore it.
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, _body, done) => done(null, {}))

app.get<{ Querystring: { state?: string } }>('/', async (request, reply) => {
  const current = sessions.get(cookie(request, 'module-session') ?? '')
  if (current === undefined) {
    const back = take(logouts, request.query.state) ? '<p>You signed out.</p>' : ''
    return page(reply, `${back}<p>You are not signed in.</p>
<p><a href="/login">Sign in</a> · <a href="/login?region=29">Sign in (region 29)</a></p>`)
  }
  const { family_name, given_name, middle_name } = current.userinfo
  const name = [family_name, given_name, middle_name].filter((part) => typeof part === 'string').join(' ')
  return page(reply, `<p>Signed in as <strong>${escapeHtml(name || current.access.sub)}</strong>.</p>
<pre id="session">${escapeHtml(JSON.stringify(summary(current), null, 2))}</pre>
<form method="post" action="/refresh"><button>Refresh the tokens</button></form>
<p><a href="/introspect">Ask the bridge about the access token</a></p>
<form method="post" action="/logout"><button>Sign out</button></form>`)
})

app.get<{ Querystring: { region?: string } }>('/login', async (request, reply) => {
  const codeVerifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const nonce = client.randomNonce()
  remember(logins, state, { codeVerifier, nonce, expiresAt: inTenMinutes() })
  const parameters: Record<string, string> = {
    redirect_uri: redirectUri,
    scope: 'openid profile offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  }
  // `region` (the bridge's extension) skips the region list; without it the person chooses.
  const region = request.query.region
  if (typeof region === 'string' && /^[0-9a-z-]{1,32}$/.test(region)) parameters.region = region
  reply.header('set-cookie', `module-login=${state}; Path=/callback; Max-Age=600; HttpOnly; SameSite=Lax${secure}`)
  return reply.redirect(client.buildAuthorizationUrl(config, parameters).href, 302)
})

app.get('/callback', async (request, reply) => {
  // The state must be the one this browser started with (its cookie), and be used once.
  const state = cookie(request, 'module-login')
  const login = take(logins, state)
  reply.header('set-cookie', `module-login=; Path=/callback; Max-Age=0; HttpOnly; SameSite=Lax${secure}`)
  if (login === undefined) return page(reply.code(400), '<p>No sign-in in progress. <a href="/login">Start again</a>.</p>')
  let signedIn: Session
  try {
    // Checks state and iss (RFC 9207), sends the PKCE verifier, checks the ID token (keys, iss, aud, exp, nonce).
    const tokens = await client.authorizationCodeGrant(config, new URL(request.url, moduleUrl), {
      pkceCodeVerifier: login.codeVerifier,
      expectedState: state,
      expectedNonce: login.nonce,
      idTokenExpected: true,
    })
    signedIn = await session(tokens)
  } catch (error) {
    return page(reply.code(400), `<p>Sign-in failed: <code>${escapeHtml(problem(error))}</code>. <a href="/login">Start again</a>.</p>`)
  }
  const id = randomBytes(24).toString('base64url')
  sessions.set(id, signedIn)
  reply.header('set-cookie', `module-session=${id}; Path=/; HttpOnly; SameSite=Lax${secure}`)
  return reply.redirect('/', 303)
})

app.post('/refresh', async (request, reply) => {
  const id = cookie(request, 'module-session') ?? ''
  const current = sessions.get(id)
  if (current?.refreshToken === undefined) return reply.redirect('/', 303)
  try {
    sessions.set(id, await session(await client.refreshTokenGrant(config, current.refreshToken), current))
  } catch (error) {
    // invalid_grant: the family was revoked (sign-out everywhere, a password change, a reused token).
    sessions.delete(id)
    return page(reply.code(401), `<p>Please sign in again (<code>${escapeHtml(problem(error))}</code>). <a href="/login">Sign in</a>.</p>`)
  }
  return reply.redirect('/', 303)
})

app.get('/introspect', async (request, reply) => {
  const current = sessions.get(cookie(request, 'module-session') ?? '')
  if (current === undefined) return reply.redirect('/', 303)
  const answer = await client.tokenIntrospection(config, current.accessToken)
  return page(reply, `<pre id="introspection">${escapeHtml(JSON.stringify(answer, null, 2))}</pre><p><a href="/">Back</a></p>`)
})

app.post('/logout', async (request, reply) => {
  const id = cookie(request, 'module-session') ?? ''
  const current = sessions.get(id)
  sessions.delete(id)
  reply.header('set-cookie', `module-session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${secure}`)
  if (current === undefined) return reply.redirect('/', 303)
  // The module's own refresh token first (RFC 7009), then the bridge's session (RP-initiated logout).
  if (current.refreshToken !== undefined) {
    await client.tokenRevocation(config, current.refreshToken, { token_type_hint: 'refresh_token' }).catch(() => undefined)
  }
  const state = client.randomState()
  remember(logouts, state, { expiresAt: inTenMinutes() })
  const target = client.buildEndSessionUrl(config, { id_token_hint: current.idToken, post_logout_redirect_uri: `${moduleUrl}/`, state })
  return reply.redirect(target.href, 303)
})

// The module's own API: every route in this scope needs a bridge access token for AUDIENCE.
await app.register(async (api) => {
  await api.register(bridgeAuth, { verifier, requiredScopes: ['openid'] })
  api.get('/api/me', async (request) => {
    const { sub, region, role, scope } = request.bridgeToken as AccessTokenClaims
    return { sub, region, role, scope }
  })
})

await app.listen({ port, host: process.env.HOST ?? '127.0.0.1' })
// eslint-disable-next-line no-console -- the one line a person starting the example needs
console.log(`example diary module: open ${moduleUrl}`)
