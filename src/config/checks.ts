/*
 * Rules the schema cannot express, checked after it:
 * - an enabled state-services login needs a provider; the provider is checked by its kind
 *   (upstream/<type>/config.ts, handed to the loader as a table), its problems put under its path
 * - a secret variable a file names must be set; a file a file names is read relative to the
 *   configuration directory
 * - http(s) URLs (the public URL, a client's, a provider's) and redirect URIs are absolute and without
 *   fragments; plain http only on loopback hosts (RFC 8252 §7.3), outside production also for http(s)
 *   URLs; custom schemes need a dot (RFC 8252 §7.1)
 * - `from` is a real date before `until`; a client serves only regions that exist
 * - a client with a browser grant (authorization_code) has redirect URIs and the openid scope; a client
 *   with client_credentials authenticates (not `none`), and needs neither when that is its only grant
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { KeyProblem as Problem } from './problems.js'
import type { ProviderCheckContext, ProviderKinds, ProviderSettings } from './provider-kind.js'
import { type ClientFile, defaultTimeZone, type EnvironmentVariables, type RegionFile } from './schema.js'
import { Secret } from './secret.js'

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
  if (until !== undefined && Number.isNaN(until))
    problems.push({ path: `${path}/until`, message: 'is not a real date' })
  if (from !== undefined && until !== undefined && from >= until) {
    problems.push({ path: `${path}/until`, message: 'must be later than from' })
  }
}

/** The secret in variable `name`; a problem at `path` when it is not set. */
export function readSecretEnv(
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

const providerPath = '/stateServices/provider'

/** The contents of a file named in the configuration (relative to the configuration directory). */
export function readConfiguredFile(
  configDir: string,
  file: string,
  path: string,
  problems: Problem[],
): string | undefined {
  const absolute = resolve(configDir, file)
  try {
    return readFileSync(absolute, 'utf8')
  } catch (error) {
    // The absolute path: a relative one is read from the configuration directory, not the working directory.
    const code = (error as NodeJS.ErrnoException).code
    problems.push({
      path,
      message: `cannot read ${absolute}: ${code === 'ENOENT' ? 'file not found' : (code ?? (error as Error).message)}`,
    })
    return undefined
  }
}

/** A region file's rules; its provider (already valid against its kind's schema) checked by its kind. */
export function checkRegion(
  region: RegionFile,
  kinds: ProviderKinds,
  context: ProviderCheckContext,
): { problems: Problem[]; provider?: ProviderSettings } {
  const problems: Problem[] = []
  checkSchedule('/passwordLogin', region.passwordLogin, problems)
  checkSchedule('/stateServices', region.stateServices, problems)
  const file = region.stateServices.provider
  const providerProblems: Problem[] = []
  const provider = file === undefined ? undefined : kinds[file.type]?.check(file, context, providerProblems)
  problems.push(...providerProblems.map((problem) => ({ ...problem, path: `${providerPath}${problem.path}` })))
  if (file === undefined && region.stateServices.enabled) {
    problems.push({ path: providerPath, message: 'is required when state-services login is enabled' })
  }
  // The default needs no check: checking loads ICU's time zone data (~5 MiB resident) at every start.
  if (region.timeZone !== defaultTimeZone && !isTimeZone(region.timeZone))
    problems.push({
      path: '/timeZone',
      message: `unknown time zone "${region.timeZone}" (an IANA name such as Europe/Moscow)`,
    })
  if (!region.passwordLogin.enabled && !region.stateServices.enabled) {
    problems.push({ path: '', message: 'no login method is enabled (passwordLogin or stateServices)' })
  }
  return { problems, provider }
}

export function checkClient(
  client: ClientFile,
  env: EnvironmentVariables,
  regionCodes: ReadonlySet<string>,
  production: boolean,
): { problems: Problem[]; clientSecret?: Secret<string> } {
  const problems: Problem[] = []
  const signsInPeople = client.grantTypes.some((grant) => grant !== 'client_credentials')
  if (signsInPeople && client.redirectUris.length === 0) {
    problems.push({
      path: '/redirectUris',
      message: 'must list at least one URI (unless grantTypes is only client_credentials)',
    })
  }
  if (client.grantTypes.includes('client_credentials') && client.tokenEndpointAuthMethod === 'none') {
    problems.push({
      path: '/grantTypes',
      message: 'client_credentials needs a confidential client (tokenEndpointAuthMethod other than none)',
    })
  }
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
  if (signsInPeople && !client.scopes.includes('openid'))
    problems.push({ path: '/scopes', message: 'must include "openid"' })
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
  for (const key of ['jwksUri', 'homeUrl', 'backchannelLogoutUri'] as const) {
    const value = client[key]
    const problem = value === undefined ? undefined : checkHttpUrl(value, { production })
    if (problem) problems.push({ path: `/${key}`, message: problem })
  }
  return { problems, clientSecret }
}
