/*
 * Rules the schema cannot express, checked after it:
 * - an enabled state-services login needs a provider; a provider's secret env variable must be set;
 *   an ESIA provider's key and certificate files are read here (relative to the configuration directory)
 * - issuers and redirect URIs are absolute URLs without fragments; plain http only on loopback hosts
 *   (RFC 8252 §7.3), outside production also for the issuer; custom schemes need a dot (RFC 8252 §7.1)
 * - `from` is a real date before `until`; a client serves only regions that exist
 */
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { ConfigProblem } from './problems.js'
import {
  type ClientFile,
  defaultTimeZone,
  type EnvironmentVariables,
  type EsiaProviderFile,
  type OidcProviderFile,
  type RegionFile,
} from './schema.js'
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

export type OidcProviderConfig = OidcProviderFile & { clientSecret?: Secret<string>; privateKey?: Secret<string> }

export type EsiaSignerConfig =
  | { type: 'openssl-gost'; privateKey: Secret<string> }
  | { type: 'http'; url: string; authorization?: Secret<string>; reversed: boolean; timeoutMs: number }

export type EsiaProviderConfig = Omit<EsiaProviderFile, 'issuer' | 'certificateFile' | 'certificateEnv' | 'signer' | 'esiaCertificateFiles' | 'esiaCertificatesEnv'> & {
  issuer: string
  /** The system's certificate, PEM. */
  certificatePem: string
  signer: EsiaSignerConfig
  /** ESIA's token-signing certificates, PEM. */
  esiaCertificatePems: string[]
}

/** A region's state-services provider with its secrets and files read. */
export type ProviderConfig = OidcProviderConfig | EsiaProviderConfig

interface ProviderContext {
  env: EnvironmentVariables
  production: boolean
  /** Relative file paths are read from here. */
  configDir: string
}

const providerPath = '/stateServices/provider'

function checkOidcProvider(provider: OidcProviderFile, context: ProviderContext, problems: Problem[]): OidcProviderConfig {
  const issuerProblem = checkHttpUrl(provider.issuer, context)
  if (issuerProblem) problems.push({ path: `${providerPath}/issuer`, message: issuerProblem })
  if (!provider.scopes.includes('openid')) problems.push({ path: `${providerPath}/scopes`, message: 'must include "openid"' })
  if (provider.tokenEndpointAuthMethod === 'private_key_jwt') {
    if (provider.privateKeyEnv === undefined) {
      problems.push({ path: `${providerPath}/privateKeyEnv`, message: 'is required for private_key_jwt' })
      return provider
    }
    return { ...provider, privateKey: readSecretEnv(context.env, provider.privateKeyEnv, `${providerPath}/privateKeyEnv`, problems) }
  }
  if (provider.clientSecretEnv === undefined) {
    problems.push({ path: `${providerPath}/clientSecretEnv`, message: `is required for ${provider.tokenEndpointAuthMethod}` })
    return provider
  }
  return { ...provider, clientSecret: readSecretEnv(context.env, provider.clientSecretEnv, `${providerPath}/clientSecretEnv`, problems) }
}

/** The contents of a file named in the configuration (relative to the configuration directory). */
function readConfiguredFile(configDir: string, file: string, path: string, problems: Problem[]): string | undefined {
  const absolute = resolve(configDir, file)
  try {
    return readFileSync(absolute, 'utf8')
  } catch (error) {
    // The absolute path: a relative one is read from the configuration directory, not the working directory.
    const code = (error as NodeJS.ErrnoException).code
    problems.push({ path, message: `cannot read ${absolute}: ${code === 'ENOENT' ? 'file not found' : (code ?? (error as Error).message)}` })
    return undefined
  }
}

/** PEM text from exactly one of `<name>File` or `<name>Env`. */
function pemFrom(
  source: { file?: string; env?: string },
  name: string,
  base: string,
  context: ProviderContext,
  problems: Problem[],
): string | undefined {
  if ((source.file === undefined) === (source.env === undefined)) {
    problems.push({ path: `${base}/${name}File`, message: `give exactly one of ${name}File or ${name}Env` })
    return undefined
  }
  return source.file !== undefined
    ? readConfiguredFile(context.configDir, source.file, `${base}/${name}File`, problems)
    : readSecretEnv(context.env, source.env as string, `${base}/${name}Env`, problems)?.reveal()
}

function checkCertificate(pem: string | undefined, path: string, problems: Problem[]): string | undefined {
  if (pem === undefined) return undefined
  try {
    new X509Certificate(pem)
    return pem
  } catch {
    problems.push({ path, message: 'is not a PEM certificate' })
    return undefined
  }
}

function checkEsiaSigner(signer: EsiaProviderFile['signer'], context: ProviderContext, problems: Problem[]): EsiaSignerConfig | undefined {
  const base = `${providerPath}/signer`
  const unexpected = (keys: (keyof typeof signer)[]) =>
    keys.filter((key) => signer[key] !== undefined).forEach((key) => problems.push({ path: `${base}/${key}`, message: `is not used by the ${signer.type} signer` }))
  if (signer.type === 'openssl-gost') {
    unexpected(['url', 'authorizationEnv'])
    const pem = pemFrom({ file: signer.privateKeyFile, env: signer.privateKeyEnv }, 'privateKey', base, context, problems)
    if (pem !== undefined && !pem.includes('-----BEGIN PRIVATE KEY-----')) {
      problems.push({ path: `${base}/privateKey${signer.privateKeyFile === undefined ? 'Env' : 'File'}`, message: 'is not an unencrypted PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)' })
      return undefined
    }
    return pem === undefined ? undefined : { type: 'openssl-gost', privateKey: new Secret(pem) }
  }
  unexpected(['privateKeyFile', 'privateKeyEnv'])
  if (signer.url === undefined) {
    problems.push({ path: `${base}/url`, message: 'is required for the http signer' })
    return undefined
  }
  const urlProblem = checkHttpUrl(signer.url, context)
  if (urlProblem) problems.push({ path: `${base}/url`, message: urlProblem })
  const authorization = signer.authorizationEnv === undefined ? undefined : readSecretEnv(context.env, signer.authorizationEnv, `${base}/authorizationEnv`, problems)
  return { type: 'http', url: signer.url, authorization, reversed: signer.reversed, timeoutMs: signer.timeoutMs }
}

const pemCertificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/** ESIA's certificates: each file, or every certificate of the variable's PEM bundle. */
function esiaCertificates(provider: EsiaProviderFile, context: ProviderContext, problems: Problem[]): (string | undefined)[] {
  const { esiaCertificateFiles: files, esiaCertificatesEnv: env } = provider
  if ((files === undefined) === (env === undefined)) {
    problems.push({ path: `${providerPath}/esiaCertificateFiles`, message: 'give exactly one of esiaCertificateFiles or esiaCertificatesEnv' })
    return []
  }
  if (env !== undefined) {
    const path = `${providerPath}/esiaCertificatesEnv`
    const bundle = readSecretEnv(context.env, env, path, problems)?.reveal()
    if (bundle === undefined) return [undefined]
    const pems = bundle.match(pemCertificate) ?? []
    if (pems.length === 0) problems.push({ path, message: 'holds no PEM certificate' })
    return pems.map((pem) => checkCertificate(pem, path, problems))
  }
  return (files ?? []).map((file, index) => {
    const path = `${providerPath}/esiaCertificateFiles/${index}`
    return checkCertificate(readConfiguredFile(context.configDir, file, path, problems), path, problems)
  })
}

function checkEsiaProvider(provider: EsiaProviderFile, context: ProviderContext, problems: Problem[]): EsiaProviderConfig | undefined {
  const portalProblem = checkHttpUrl(provider.portalUrl, context) ?? (provider.portalUrl.endsWith('/') ? undefined : 'must end with /')
  if (portalProblem) problems.push({ path: `${providerPath}/portalUrl`, message: portalProblem })
  if (!provider.scopes.includes('openid')) problems.push({ path: `${providerPath}/scopes`, message: 'must include "openid"' })
  const certificatePem = checkCertificate(
    pemFrom({ file: provider.certificateFile, env: provider.certificateEnv }, 'certificate', providerPath, context, problems),
    `${providerPath}/certificate${provider.certificateFile === undefined ? 'Env' : 'File'}`,
    problems,
  )
  const esiaCertificatePems = esiaCertificates(provider, context, problems)
  const signerConfig = checkEsiaSigner(provider.signer, context, problems)
  if (portalProblem !== undefined || certificatePem === undefined || signerConfig === undefined || esiaCertificatePems.length === 0 || esiaCertificatePems.some((pem) => pem === undefined)) return undefined
  return {
    type: 'esia',
    portalUrl: provider.portalUrl,
    clientId: provider.clientId,
    scopes: provider.scopes,
    tokenSigningAlg: provider.tokenSigningAlg,
    timeoutMs: provider.timeoutMs,
    clockToleranceSeconds: provider.clockToleranceSeconds,
    issuer: provider.issuer ?? `http://${new URL(provider.portalUrl).host}/`,
    certificatePem,
    signer: signerConfig,
    esiaCertificatePems: esiaCertificatePems as string[],
  }
}

export function checkRegion(
  region: RegionFile,
  context: ProviderContext,
): { problems: Problem[]; provider?: ProviderConfig } {
  const problems: Problem[] = []
  checkSchedule('/passwordLogin', region.passwordLogin, problems)
  checkSchedule('/stateServices', region.stateServices, problems)
  const file = region.stateServices.provider
  const provider =
    file === undefined ? undefined : file.type === 'esia' ? checkEsiaProvider(file, context, problems) : checkOidcProvider(file, context, problems)
  if (file === undefined && region.stateServices.enabled) {
    problems.push({ path: providerPath, message: 'is required when state-services login is enabled' })
  }
  // The default needs no check: checking loads ICU's time zone data (~5 MiB resident) at every start.
  if (region.timeZone !== defaultTimeZone && !isTimeZone(region.timeZone)) problems.push({ path: '/timeZone', message: `unknown time zone "${region.timeZone}" (an IANA name such as Europe/Moscow)` })
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
  for (const key of ['jwksUri', 'homeUrl', 'backchannelLogoutUri'] as const) {
    const value = client[key]
    const problem = value === undefined ? undefined : checkHttpUrl(value, { production })
    if (problem) problems.push({ path: `/${key}`, message: problem })
  }
  return { problems, clientSecret }
}
