/*
 * Whole sign-ins as a browser and a diary module make them, for the benchmarks: a cookie jar that
 * follows the bridge's redirects, the state-services login (authorize → region page → provider →
 * callback → code → token) and the password login (authorize → region page → form → code → token).
 * Each answers the diary module's tokens.
 */
import { createHash, randomBytes } from 'node:crypto'

export interface ModuleTokens {
  accessToken: string
  refreshToken: string | undefined
}

/** The provider's part of a login: from the bridge's redirect to the provider, to the bridge's callback URL. */
export type ProviderStep = (authorizationUrl: string) => Promise<string>

/** A provider that answers at once with redirects (the fake OIDC provider): follow them, with extra headers. */
export function followRedirectsWith(headers: Record<string, string> = {}): ProviderStep {
  return async (url) => {
    let location = url
    for (let hops = 0; hops < 5 && !location.includes('/login/state-services/callback'); hops++) {
      const response = await fetch(location, { redirect: 'manual', headers })
      await response.arrayBuffer()
      location = new URL(String(response.headers.get('location')), location).href
    }
    return location
  }
}

export const followRedirects: ProviderStep = followRedirectsWith()

class BenchBrowser {
  private readonly jar = new Map<string, string>()

  /** One request with this browser's cookies; answers the response with its body read. */
  async go(url: string, init: RequestInit = {}): Promise<{ status: number; location: string | null; body: string }> {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '),
      },
    })
    for (const header of response.headers.getSetCookie()) {
      const pair = header.split(';', 1)[0] ?? ''
      this.jar.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1))
    }
    return { status: response.status, location: response.headers.get('location'), body: await response.text() }
  }
}

export interface ModuleOptions {
  bridgeUrl: string
  clientId: string
  clientSecret: string
  redirectUri: string
  region: string
  scope: string
}

/** /authorize for a diary module with PKCE: the browser that made it, the verifier, and where it was sent. */
async function authorize(
  module: ModuleOptions,
): Promise<{ browser: BenchBrowser; verifier: string; regionPage: string }> {
  const browser = new BenchBrowser()
  const verifier = randomBytes(32).toString('base64url')
  const url = new URL(`${module.bridgeUrl}/authorize`)
  url.search = new URLSearchParams({
    client_id: module.clientId,
    redirect_uri: module.redirectUri,
    response_type: 'code',
    scope: module.scope,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    region: module.region,
  }).toString()
  const response = await browser.go(url.href)
  return { browser, verifier, regionPage: new URL(String(response.location), module.bridgeUrl).href }
}

/** The diary module's half: the code from its redirect URI, redeemed at /token. */
async function redeem(module: ModuleOptions, location: string | null, verifier: string): Promise<ModuleTokens> {
  const back = new URL(String(location), module.bridgeUrl)
  const code = back.searchParams.get('code')
  if (code === null || !back.href.startsWith(module.redirectUri))
    throw new Error(`no code: ${back.origin}${back.pathname} ${back.searchParams.get('error') ?? ''}`)
  const response = await fetch(`${module.bridgeUrl}/token`, {
    method: 'POST',
    headers: { authorization: basicAuth(module), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: module.redirectUri,
      code_verifier: verifier,
    }).toString(),
  })
  if (response.status !== 200) throw new Error(`token endpoint answered ${response.status}`)
  const tokens = (await response.json()) as { access_token: string; refresh_token?: string }
  return { accessToken: tokens.access_token, refreshToken: tokens.refresh_token }
}

export function basicAuth(module: Pick<ModuleOptions, 'clientId' | 'clientSecret'>): string {
  return `Basic ${Buffer.from(`${module.clientId}:${module.clientSecret}`).toString('base64')}`
}

/** A state-services login from the diary module's /authorize to its tokens; `pass` plays the provider. */
export async function stateServicesLogin(module: ModuleOptions, pass: ProviderStep): Promise<ModuleTokens> {
  const { browser, verifier, regionPage } = await authorize(module)
  await browser.go(regionPage)
  const start = await browser.go(`${module.bridgeUrl}/login/state-services`)
  const callback = await browser.go(await pass(String(start.location)))
  return redeem(module, callback.location, verifier)
}

/** A diary-password login from the diary module's /authorize to its tokens. */
export async function passwordLogin(module: ModuleOptions, login: string, password: string): Promise<ModuleTokens> {
  const { browser, verifier, regionPage } = await authorize(module)
  const page = await browser.go(regionPage)
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1]
  if (csrf === undefined) throw new Error(`no password form (${page.status})`)
  let response = await browser.go(`${module.bridgeUrl}/login/password`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, login, password }).toString(),
  })
  // On through the bridge's own redirects (the end of /authorize) to the module's redirect URI.
  for (let hops = 0; hops < 3 && response.location?.startsWith('/'); hops++)
    response = await browser.go(new URL(response.location, module.bridgeUrl).href)
  if (response.status !== 303 && response.status !== 302)
    throw new Error(`password sign-in answered ${response.status}`)
  return redeem(module, response.location, verifier)
}
