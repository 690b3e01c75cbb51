/*
 * Rules the schema cannot express, checked after it:
 * - an enabled state-services login needs a provider; a provider's secret env variable must be set
 * - issuers and redirect URIs are absolute URLs without fragments; plain http only on loopback hosts
 *   (RFC 8252 §7.3), outside production also for the issuer; custom schemes need a dot (RFC 8252 §7.1)
 * - `from` is a real date before `until`; a client serves only regions that exist
 */
import type { ConfigProblem } from './problems.js'
import { type ClientFile, defaultTimeZone, type EnvironmentVariables, type ProviderFile, type RegionFile } from './schema.js'
import { Secret } from './secret.js'

type Problem = Omit<ConfigProblem, 'file'>

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]'])

export function isLoopbackUrl(url: URL): boolean {
  return loopbackHosts.has(url.hostname)
}

export function checkHttpUrl(text: string, options: { production: boolean }): string | undefined {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return 'must be an absolute URL'
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http(s) URL'
  if (url.hash !== '' || text.includes('#')) return 'must not contain a fragment (#)'
  if (url.username !== '' || url.password !== '') return 'must not contain credentials'
  if (url.protocol === 'http:' && options.production && !isLoopbackUrl(url)) return 'must use https in production'
  return undefined
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name })
    return true
  } catch {
    return false
  }
}

export function checkRedirectUri(text: string): string | undefined {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return 'must be an absolute URI'
  }
  if (url.hash !== '' || text.includes('#')) return 'must not contain a fragment (#)'
  if (url.protocol === 'https:') return undefined
  if (url.protocol === 'http:') return isLoopbackUrl(url) ? undefined : 'plain http is allowed only on a loopback host'
  if (!url.protocol.slice(0, -1).includes('.')) {
    return 'a custom scheme must be a reverse domain name such as ru.example.diary:/callback'
  }
  return undefined
}

function parseWhen(text: string | undefined): number | undefined {
  return text === undefined ? undefined : Date.parse(text)
}

function checkSchedule(path: string, schedule: { from?: string; until?: string }, problems: Problem[]): void {
  const from = parseWhen(schedule.from)
  const until = parseWhen(schedule.until)
  if (from !== undefined && Number.isNaN(from)) problems.push({ path: `${path}/from`, message: 'is not a real date' })
  if (until !== undefined && Number.isNaN(until)) problems.push({ path: `${path}/until`, message: 'is not a real date' })
  if (from !== undefined && until !== undefined && from >= until) {
    problems.push({ path: `${path}/until`, message: 'must be later than from' })
  }
}

function readSecretEnv(
  env: EnvironmentVariables,
  name: string,
  path: string,
  problems: Problem[],
): Secret<string> | undefined {
  const value = env[name]
  if (value === undefined || value === '') {
    problems.push({ path, message: `environment variable ${name} is not set` })
    return undefined
  }
  return new Secret(value)
}

export interface ProviderSecrets {
  clientSecret?: Secret<string>
  privateKey?: Secret<string>
}

function checkProvider(
  provider: ProviderFile,
  env: EnvironmentVariables,
  production: boolean,
  problems: Problem[],
): ProviderSecrets {
  const base = '/stateServices/provider'
  const issuerProblem = checkHttpUrl(provider.issuer, { production })
  if (issuerProblem) problems.push({ path: `${base}/issuer`, message: issuerProblem })
  if (!provider.scopes.includes('openid')) problems.push({ path: `${base}/scopes`, message: 'must include "openid"' })
  if (provider.tokenEndpointAuthMethod === 'private_key_jwt') {
    if (provider.privateKeyEnv === undefined) {
      problems.push({ path: `${base}/privateKeyEnv`, message: 'is required for private_key_jwt' })
      return {}
    }
    return { privateKey: readSecretEnv(env, provider.privateKeyEnv, `${base}/privateKeyEnv`, problems) }
  }
  if (provider.clientSecretEnv === undefined) {
    problems.push({ path: `${base}/clientSecretEnv`, message: `is required for ${provider.tokenEndpointAuthMethod}` })
    return {}
  }
  return { clientSecret: readSecretEnv(env, provider.clientSecretEnv, `${base}/clientSecretEnv`, problems) }
}

export function checkRegion(
  region: RegionFile,
  env: EnvironmentVariables,
  production: boolean,
): { problems: Problem[]; providerSecrets: ProviderSecrets } {
  const problems: Problem[] = []
  checkSchedule('/passwordLogin', region.passwordLogin, problems)
  checkSchedule('/stateServices', region.stateServices, problems)
  let providerSecrets: ProviderSecrets = {}
  if (region.stateServices.provider !== undefined) {
    providerSecrets = checkProvider(region.stateServices.provider, env, production, problems)
  } else if (region.stateServices.enabled) {
    problems.push({ path: '/stateServices/provider', message: 'is required when state-services login is enabled' })
  }
  // The default needs no check: checking loads ICU's time zone data (~5 MiB resident) at every start.
  if (region.timeZone !== defaultTimeZone && !isTimeZone(region.timeZone)) problems.push({ path: '/timeZone', message: `unknown time zone "${region.timeZone}" (an IANA name such as Europe/Moscow)` })
  if (!region.passwordLogin.enabled && !region.stateServices.enabled) {
    problems.push({ path: '', message: 'no login method is enabled (passwordLogin or stateServices)' })
  }
  return { problems, providerSecrets }
}

export function checkClient(
  client: ClientFile,
  env: EnvironmentVariables,
  regionCodes: ReadonlySet<string>,
  production: boolean,
): { problems: Problem[]; clientSecret?: Secret<string> } {
  const problems: Problem[] = []
  client.redirectUris.forEach((uri, index) => {
    const problem = checkRedirectUri(uri)
    if (problem) problems.push({ path: `/redirectUris/${index}`, message: problem })
  })
  client.postLogoutRedirectUris.forEach((uri, index) => {
    const problem = checkRedirectUri(uri)
    if (problem) problems.push({ path: `/postLogoutRedirectUris/${index}`, message: problem })
  })
  client.regions.forEach((code, index) => {
    if (!regionCodes.has(code)) problems.push({ path: `/regions/${index}`, message: `unknown region "${code}"` })
  })
  if (!client.scopes.includes('openid')) problems.push({ path: '/scopes', message: 'must include "openid"' })
  let clientSecret: Secret<string> | undefined
  const method = client.tokenEndpointAuthMethod
  if (method === 'client_secret_basic' || method === 'client_secret_post') {
    if (client.clientSecretEnv === undefined) {
      problems.push({ path: '/clientSecretEnv', message: `is required for ${method}` })
    } else {
      clientSecret = readSecretEnv(env, client.clientSecretEnv, '/clientSecretEnv', problems)
    }
  } else if (client.clientSecretEnv !== undefined) {
    problems.push({ path: '/clientSecretEnv', message: `must not be set for ${method}` })
  }
  if (method === 'private_key_jwt') {
    if (client.jwksUri === undefined) problems.push({ path: '/jwksUri', message: 'is required for private_key_jwt' })
  }
  for (const key of ['jwksUri', 'homeUrl'] as const) {
    const value = client[key]
    const problem = value === undefined ? undefined : checkHttpUrl(value, { production })
    if (problem) problems.push({ path: `/${key}`, message: problem })
  }
  return { problems, clientSecret }
}
