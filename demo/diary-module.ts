/*
 * A small demo diary module: an ordinary OpenID Connect client (openid-client), registered as
 * `demo-diary`, that logs a person in through the bridge and shows who they are. What any real diary
 * module does, with no special casing: discovery, PKCE, code exchange, ID token and userinfo,
 * refresh, RP-initiated logout, back-channel logout (POST /backchannel-logout, verified with
 * `diary-identity-bridge/verify`). Its own sessions live in memory: it is a demo.
 */
import { randomBytes } from 'node:crypto'
import cookie from '@fastify/cookie'
import Fastify, { type FastifyInstance } from 'fastify'
import * as client from 'openid-client'
import { backchannelLogout } from '../src/verify/index.js'
import { escapeHtml } from '../src/web/html.js'
import { type DiarySession, endSessions } from './diary-sessions.js'
import { type Mailbox, mailboxPath, registerMailboxPage } from './mailbox.js'

function page(body: string): string {
  return `<!doctype html><html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Дневник (демо)</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem}a.button{display:inline-block;padding:.6rem 1rem;background:#0b5cad;color:#fff;border-radius:.35rem;text-decoration:none;margin-right:.5rem}</style>
</head><body><h1>Электронный дневник (демо-модуль)</h1>${body}</body></html>`
}

export async function startDiaryModule(options: {
  port: number
  bridgeUrl: string
  clientId: string
  clientSecret: string
  host?: string
  /** Shows what the bridge "sent" at GET /mailbox (the demo's outbox). */
  mailbox?: Mailbox
  /** The module's session cookie (two modules on one host need two names: cookies ignore the port). */
  cookieName?: string
  /** Tests: the tokens of each sign-in, as the module received them. */
  onTokens?: (tokens: { accessToken: string; refreshToken: string | undefined }) => void
}): Promise<{ url: string; app: FastifyInstance; signedIn: () => number }> {
  const cookieName = options.cookieName ?? 'demo-diary'
  const url = `http://localhost:${options.port}`
  const redirectUri = `${url}/callback`
  const sessions = new Map<string, DiarySession>()
  const pending = new Map<string, { verifier: string; nonce: string }>()
  let configuration: Promise<client.Configuration> | undefined
  const discover = () =>
    (configuration ??= client
      .discovery(new URL(options.bridgeUrl), options.clientId, {}, client.ClientSecretBasic(options.clientSecret), {
        execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
      })
      .catch((error: unknown) => {
        configuration = undefined
        throw error
      }))

  const app = Fastify()
  await app.register(cookie)
  await app.register(backchannelLogout, {
    issuer: options.bridgeUrl,
    clientId: options.clientId,
    onLogout: (logout) => endSessions(sessions, logout),
  })
  if (options.mailbox !== undefined) registerMailboxPage(app, options.mailbox, { bridgeUrl: options.bridgeUrl })
  const mailboxLink =
    options.mailbox === undefined ? '' : `<p><a href="${mailboxPath}">Почта и SMS, отправленные мостом (демо)</a></p>`

  app.get('/', async (request, reply) => {
    const session = sessions.get(request.cookies[cookieName] ?? '')
    reply.type('text/html; charset=utf-8')
    if (session === undefined) {
      return page(`<p>Вы не вошли.</p><p><a class="button" href="/login">Войти</a></p>${mailboxLink}`)
    }
    const info = session.userinfo
    const name = [info.family_name, info.given_name, info.middle_name].filter(Boolean).join(' ')
    return page(`<p>Вы вошли как <strong>${escapeHtml(name)}</strong>.</p>
<ul><li>Роль: ${escapeHtml(String(info.role))}</li><li>Регион: ${escapeHtml(String(info.region))}</li>
<li>Идентификатор (sub): <code>${escapeHtml(String(info.sub))}</code></li>
<li>Способ входа (amr): ${escapeHtml(JSON.stringify(session.claims.amr))}, уровень (acr): <code>${escapeHtml(String(session.claims.acr))}</code></li>
<li>Токен доступа действует до ${new Date(session.tokens.accessTokenExpiresAt).toLocaleTimeString('ru')}</li></ul>
<p><a class="button" href="/login?strong=1">Подтвердить вход вторым шагом</a><a class="button" href="/refresh">Обновить токен</a><a class="button" href="${escapeHtml(`${options.bridgeUrl}/account?client_id=${encodeURIComponent(options.clientId)}`)}">Вход и привязка Госуслуг</a><a class="button" href="/logout">Выйти</a></p>${mailboxLink}`)
  })

  // `/login?strong=1`: the module asks for the strong level (acr_values), as before a sensitive action.
  app.get<{ Querystring: { strong?: string } }>('/login', async (request, reply) => {
    const config = await discover()
    const verifier = client.randomPKCECodeVerifier()
    const state = client.randomState()
    const nonce = client.randomNonce()
    pending.set(state, { verifier, nonce })
    const target = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile offline_access',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...(request.query.strong === '1' && { acr_values: 'urn:diary-bridge:acr:mfa' }),
    })
    return reply.redirect(target.href, 302)
  })

  app.get<{ Querystring: { state?: string; error?: string } }>('/callback', async (request, reply) => {
    const config = await discover()
    const state = request.query.state ?? ''
    const started = pending.get(state)
    pending.delete(state)
    if (request.query.error || started === undefined) {
      return reply
        .type('text/html; charset=utf-8')
        .send(
          page(
            `<p>Вход не выполнен: ${escapeHtml(request.query.error ?? 'unknown state')}</p><p><a href="/">На главную</a></p>`,
          ),
        )
    }
    const tokens = await client.authorizationCodeGrant(config, new URL(request.url, url), {
      pkceCodeVerifier: started.verifier,
      expectedState: state,
      expectedNonce: started.nonce,
    })
    const claims: Record<string, unknown> = tokens.claims() ?? {}
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, String(claims.sub))
    options.onTokens?.({ accessToken: tokens.access_token, refreshToken: tokens.refresh_token })
    const id = randomBytes(24).toString('base64url')
    sessions.set(id, {
      sid: typeof claims.sid === 'string' ? claims.sid : undefined,
      claims,
      userinfo,
      tokens: {
        idToken: tokens.id_token ?? '',
        refreshToken: tokens.refresh_token,
        accessTokenExpiresAt: Date.now() + (tokens.expires_in ?? 0) * 1000,
      },
    })
    return reply.setCookie(cookieName, id, { path: '/', httpOnly: true, sameSite: 'lax' }).redirect('/', 303)
  })

  app.get('/refresh', async (request, reply) => {
    const session = sessions.get(request.cookies[cookieName] ?? '')
    if (session?.tokens.refreshToken !== undefined) {
      const tokens = await client.refreshTokenGrant(await discover(), session.tokens.refreshToken)
      session.tokens = {
        idToken: tokens.id_token ?? session.tokens.idToken,
        refreshToken: tokens.refresh_token,
        accessTokenExpiresAt: Date.now() + (tokens.expires_in ?? 0) * 1000,
      }
    }
    return reply.redirect('/', 303)
  })

  app.get('/logout', async (request, reply) => {
    const id = request.cookies[cookieName] ?? ''
    const session = sessions.get(id)
    sessions.delete(id)
    reply.clearCookie(cookieName, { path: '/' })
    if (session === undefined) return reply.redirect('/', 303)
    const target = client.buildEndSessionUrl(await discover(), {
      id_token_hint: session.tokens.idToken,
      post_logout_redirect_uri: `${url}/`,
    })
    return reply.redirect(target.href, 303)
  })

  await app.listen({ port: options.port, host: options.host ?? '127.0.0.1' })
  return { url, app, signedIn: () => sessions.size }
}
