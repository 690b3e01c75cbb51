/*
 * The bridge as an OpenID Provider for tests: three diary modules (a confidential web diary with
 * client_secret_basic, a schedule service with client_secret_post serving region 29 only, a public
 * mobile app), the demo accounts, a controllable clock, and openid-client configurations that reach the
 * app through `inject`.
 */
import type { FastifyInstance } from 'fastify'
import * as client from 'openid-client'
import { buildTestApp } from './test-app.js'
import { importDemoAccounts, publicUrl } from './demo-world.js'
import { injectFetch } from './inject-fetch.js'
import { loadTestConfig, passwordOnlyRegion, validEnv, validRegion } from './test-config.js'
import { openTestDatabase } from './test-database.js'
import { Browser, csrfToken } from './browser.js'
import { pkceAuthorizationUrl } from './pkce.js'

export const clients = {
  'web-diary': {
    name: 'Web diary',
    redirectUris: ['https://diary.example/callback'],
    postLogoutRedirectUris: ['https://diary.example/bye'],
    tokenEndpointAuthMethod: 'client_secret_basic',
    clientSecretEnv: 'WEB_DIARY_SECRET',
    scopes: ['openid', 'profile', 'offline_access'],
    audience: 'https://diary.example/api',
    regions: ['29', '78'],
  },
  schedule: {
    name: { ru: 'Расписание', en: 'Schedule' },
    redirectUris: ['https://schedule.example/cb'],
    tokenEndpointAuthMethod: 'client_secret_post',
    clientSecretEnv: 'SCHEDULE_SECRET',
    scopes: ['openid', 'offline_access'],
    audience: 'https://schedule.example/api',
    regions: ['29'],
  },
  mobile: {
    name: 'Mobile app',
    redirectUris: ['ru.example.diary:/callback'],
    tokenEndpointAuthMethod: 'none',
    scopes: ['openid', 'profile', 'offline_access'],
    audience: 'https://diary.example/api',
    regions: ['29'],
  },
}

export const secrets = { 'web-diary': validEnv.WEB_DIARY_SECRET, schedule: 'schedule-secret-value' }

interface Teardown {
  teardown(fn: () => unknown): void
}

/**
 * Runs the browser part at `authorizationUrl` (an /authorize URL): region 29 when asked, the password
 * form, up to the redirect back to the module (the browser stops at the modules' origins and at the
 * origin of the URL's `redirect_uri`).
 */
export async function signInAt(
  app: FastifyInstance,
  authorizationUrl: URL,
  login = 'ivanova.m',
  password = 'diary-demo',
  browser = new Browser(app, publicUrl),
) {
  const redirectUri = authorizationUrl.searchParams.get('redirect_uri')
  browser.stopAt(
    'https://diary.example',
    'https://schedule.example',
    ...(redirectUri?.startsWith('https://') ? [new URL(redirectUri).origin] : []),
  )
  let page = await browser.go('GET', `${authorizationUrl.pathname}${authorizationUrl.search}`)
  if (page.status === 200 && page.url.pathname === '/login' && !page.url.search.includes('region')) {
    page = await browser.go('GET', '/login?region=29')
  }
  if (page.status === 200 && page.body.includes('name="_csrf"')) {
    page = await browser.go('POST', '/login/password', { _csrf: csrfToken(page), login, password })
  }
  return {
    page,
    browser,
    location: page.headers.location === undefined ? undefined : new URL(String(page.headers.location)),
  }
}

export interface FreshCode {
  code: string
  verifier: string
  /** Where the bridge sent the browser back: the module's redirect_uri with `code` (and `state`, `iss`). */
  location: URL
}

/**
 * A new authorization code, as a module gets one by hand: an /authorize URL of the code flow with PKCE
 * S256 (the web diary, scope "openid offline_access", a new verifier, unless `parameters` and `verifier`
 * say otherwise), ivanova.m signed in with her password. Throws when the redirect back carries no code.
 */
export async function freshCode(
  app: FastifyInstance,
  options: { verifier?: string; parameters?: Record<string, string> } = {},
): Promise<FreshCode> {
  const verifier = options.verifier ?? client.randomPKCECodeVerifier()
  const url = new URL('/authorize', publicUrl)
  url.search = new URLSearchParams({
    client_id: 'web-diary',
    redirect_uri: clients['web-diary'].redirectUris[0] as string,
    response_type: 'code',
    scope: 'openid offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...options.parameters,
  }).toString()
  const { location } = await signInAt(app, url)
  const code = location?.searchParams.get('code')
  if (location === undefined || !code) throw new Error(`no code: ${location?.href}`)
  return { code, verifier, location }
}

export async function startOAuthWorld(
  t: Teardown,
  options: {
    bridge?: Record<string, unknown>
    /** Added to the client files (backchannelLogoutUri, accessTokenTtlSeconds…). */
    clients?: Partial<Record<keyof typeof clients, Record<string, unknown>>>
    /** More client files (id → file), and the environment their secrets need. */
    moreClients?: Record<string, Record<string, unknown>>
    env?: Record<string, string>
    /** Runs the back-channel logout deliveries (deps.backgroundJobs). */
    backgroundJobs?: boolean
  } = {},
) {
  const clock = { offsetMs: 0 }
  const now = () => new Date(Date.now() + clock.offsetMs)
  const config = loadTestConfig(
    t,
    {
      'bridge.json': { publicUrl, ...options.bridge },
      'regions/29.json': { ...validRegion, stateServices: { enabled: false } },
      'regions/78.json': passwordOnlyRegion,
      ...Object.fromEntries(
        Object.entries(clients).map(([id, body]) => [
          `clients/${id}.json`,
          { ...body, ...options.clients?.[id as keyof typeof clients] },
        ]),
      ),
      ...Object.fromEntries(
        Object.entries(options.moreClients ?? {}).map(([id, body]) => [`clients/${id}.json`, body]),
      ),
    },
    { ...validEnv, SCHEDULE_SECRET: secrets.schedule, ...options.env },
  )
  const database = await openTestDatabase(t)
  await importDemoAccounts(database, config)
  const testApp = await buildTestApp(t, config, database.db, { now, backgroundJobs: options.backgroundJobs })
  const fetch = injectFetch(testApp.app, publicUrl)

  async function discover(clientId: keyof typeof clients, auth: client.ClientAuth) {
    const configuration = await client.discovery(
      new URL(publicUrl),
      clientId,
      { redirect_uris: clients[clientId].redirectUris },
      auth,
      {
        [client.customFetch]: fetch,
        execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
      },
    )
    return configuration
  }

  /** The web diary's authorization URL: PKCE S256 from `verifier`, scope openid unless given. */
  function authorizationUrl(
    configuration: client.Configuration,
    verifier: string,
    parameters: Record<string, string> = {},
  ) {
    return pkceAuthorizationUrl(configuration, verifier, {
      redirect_uri: clients['web-diary'].redirectUris[0] as string,
      ...parameters,
    })
  }

  /** Runs the browser part: authorization URL → region 29 → password → the redirect back with the code. */
  const signIn = (authorizationUrl: URL, login?: string, password?: string, browser?: Browser) =>
    signInAt(testApp.app, authorizationUrl, login, password, browser)

  return {
    ...testApp,
    config,
    database,
    db: database.db,
    clock,
    now,
    fetch,
    discover,
    signIn,
    authorizationUrl,
    freshCode: (options?: Parameters<typeof freshCode>[1]) => freshCode(testApp.app, options),
  }
}
