/*
 * Loads the configuration directory and the environment into one validated `Config`.
 * - every file is checked against its schema (defaults applied), then against the rules in checks.ts
 * - a region's provider is checked by its kind, from the table the caller hands in (`connectors`:
 *   upstream/connectors.ts in the service and the CLI); config/ knows no login protocol itself
 * - all problems of all files are collected and thrown together as one ConfigError: one line each
 * - nothing is partially loaded: either the whole Config is valid, or loading throws
 */
import { existsSync, readdirSync } from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'
import type { TSchema } from 'typebox'
import Value from 'typebox/value'
import { checkClient, checkHttpUrl, checkRegion } from './checks.js'
import { type Checked, checkMail, checkSms, type MailConfig, type SmsConfig } from './notify.js'
import { ConfigError, type ConfigProblem, formatProblem, schemaProblems } from './problems.js'
import type { ProviderKinds, ProviderOf, ProviderSettings } from './provider-kind.js'
import { readJsonFile } from './read-json.js'
import {
  type BridgeFile,
  BridgeFileSchema,
  type ClientFile,
  clientFileSchemaFor,
  type Env,
  EnvSchema,
  type EnvironmentVariables,
  type RegionFile,
  regionFileSchemaFor,
} from './schema.js'
import { type BridgeSecrets, type DevelopmentSecrets, resolveBridgeSecrets } from './secrets.js'
import { Secret } from './secret.js'

export type { MailConfig, SmsConfig } from './notify.js'
export type { ProviderKind, ProviderKinds, ProviderSettings } from './provider-kind.js'

/** A region; `P`: the settings its provider kinds produce (opaque to config/: `{ type }`). */
export type RegionConfig<P extends ProviderSettings = ProviderSettings> = Omit<
  RegionFile,
  'stateServices' | 'passwordRecovery'
> & {
  code: string
  stateServices: Omit<RegionFile['stateServices'], 'provider'> & { provider?: P }
  /** Always set by the loader (default: every way); absent in a hand-built region means the same. */
  passwordRecovery?: RegionFile['passwordRecovery']
}
/** `name` is always per language: a single name in the file stands for both. */
export type ClientConfig = Omit<ClientFile, 'name'> & {
  name: { ru: string; en: string }
  clientId: string
  clientSecret?: Secret<string>
}
export type LogLevel = NonNullable<Env['LOG_LEVEL']>

export interface Config<P extends ProviderSettings = ProviderSettings> {
  production: boolean
  configDir: string
  dataDir: string
  server: { host: string; port: number }
  /** The issuer: an absolute URL without a trailing slash. */
  publicUrl: string
  logLevel: LogLevel
  /** `pretty`: readable lines for development; production is always JSON lines. */
  logFormat: 'json' | 'pretty'
  /** Absent: the embedded database in `<dataDir>/pglite`. */
  databaseUrl: Secret<string> | undefined
  bridge: BridgeFile
  regions: ReadonlyMap<string, RegionConfig<P>>
  clients: ReadonlyMap<string, ClientConfig>
  secrets: BridgeSecrets
  /** bridge.json `mail` with its password read; absent: no e-mail is sent. */
  mail: MailConfig | undefined
  /** bridge.json `sms` with its Authorization read; absent: no SMS is sent. */
  sms: SmsConfig | undefined
}

export interface LoadedConfig<P extends ProviderSettings = ProviderSettings> {
  config: Config<P>
  /** Things an operator must see (a region no client serves, production on the embedded database). */
  warnings: string[]
  /** Secrets taken from `<DATA_DIR>/dev-secrets.json` because the environment does not set them (development only). */
  developmentSecrets: DevelopmentSecrets | undefined
}

const regionCode = /^[0-9a-z][0-9a-z-]{0,31}$/
const clientId = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

function validated<T>(
  schema: TSchema | ((raw: unknown) => TSchema),
  path: string,
  displayName: string,
  problems: ConfigProblem[],
): T | undefined {
  const read = readJsonFile(path, displayName)
  if ('problem' in read) {
    problems.push(read.problem)
    return undefined
  }
  if (typeof read.value !== 'object' || read.value === null || Array.isArray(read.value)) {
    problems.push({ file: displayName, path: '', message: 'must contain a JSON object' })
    return undefined
  }
  const chosen: TSchema = typeof schema === 'function' ? (schema as (raw: unknown) => TSchema)(read.value) : schema
  const value = Value.Default(chosen, structuredClone(read.value))
  const errors = Value.Errors(chosen, value)
  if (errors.length === 0) return value as T
  problems.push(...schemaProblems(displayName, value, errors))
  return undefined
}

/**
 * Reads every `<id>.json` of a directory against its schema. A file whose name is not a valid id is a
 * problem; `value` is undefined for a file with problems (already recorded).
 */
function readDirectory<T>(
  dir: string,
  schema: TSchema | ((raw: unknown) => TSchema),
  idPattern: RegExp,
  idRule: string,
  display: (path: string) => string,
  problems: ConfigProblem[],
): { id: string; file: string; value: T | undefined }[] {
  let names: string[]
  try {
    names = readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .sort()
  } catch {
    problems.push({ file: display(dir), path: '', message: 'directory not found' })
    return []
  }
  return names.flatMap((name) => {
    const id = name.slice(0, -'.json'.length)
    const file = display(join(dir, name))
    if (!idPattern.test(id)) {
      problems.push({ file, path: '', message: `file name must be ${idRule}` })
      return []
    }
    return [{ id, file, value: validated<T>(schema, join(dir, name), file, problems) }]
  })
}

/** `connectors`: the login protocols a region's provider may use, by `type` (upstream/connectors.ts). */
export function loadConfig<K extends ProviderKinds>(options: {
  env: EnvironmentVariables
  cwd?: string
  connectors: K
}): LoadedConfig<ProviderOf<K>> {
  const cwd = options.cwd ?? process.cwd()
  const problems: ConfigProblem[] = []
  const knownEnv = Object.fromEntries(
    Object.keys(EnvSchema.properties)
      .filter((name) => options.env[name] !== undefined)
      .map((name) => [name, options.env[name]]),
  )
  const envErrors = Value.Errors(EnvSchema, knownEnv)
  for (const problem of schemaProblems('env', knownEnv, envErrors)) {
    problems.push({ ...problem, path: problem.path.replace(/^\//, '') })
  }
  const invalidNames = new Set(envErrors.map((error) => error.instancePath.split('/')[1]))
  const env = Object.fromEntries(Object.entries(knownEnv).filter(([name]) => !invalidNames.has(name))) as Env
  const production = env.NODE_ENV === 'production'
  const configDir = resolve(cwd, env.BRIDGE_CONFIG_DIR ?? 'config')
  const dataDir = resolve(cwd, env.DATA_DIR ?? 'data')
  const display = (path: string) => {
    const inside = relative(cwd, path)
    return inside.startsWith('..') || isAbsolute(inside) ? path : inside || '.'
  }

  if (!existsSync(configDir)) {
    throw new ConfigError([
      { file: display(configDir), path: '', message: 'configuration directory not found (set BRIDGE_CONFIG_DIR)' },
    ])
  }
  const bridgeFile = display(join(configDir, 'bridge.json'))
  const bridge = validated<BridgeFile>(BridgeFileSchema, join(configDir, 'bridge.json'), bridgeFile, problems)

  const directory = <T>(
    name: string,
    schema: TSchema | ((raw: unknown) => TSchema),
    idPattern: RegExp,
    idRule: string,
  ) => readDirectory<T>(join(configDir, name), schema, idPattern, idRule, display, problems)

  const regions = new Map<string, RegionConfig<ProviderOf<K>>>()
  const regionFiles = directory<RegionFile>(
    'regions',
    regionFileSchemaFor(options.connectors),
    regionCode,
    'a region code: lower-case letters, digits and -',
  )
  if (regionFiles.length === 0 && !problems.some((p) => p.file === display(join(configDir, 'regions')))) {
    problems.push({
      file: display(join(configDir, 'regions')),
      path: '',
      message: 'holds no region files (<code>.json)',
    })
  }
  for (const { id: code, file, value: region } of regionFiles) {
    if (region === undefined) continue
    const checked = checkRegion(region, options.connectors, { env: options.env, production, configDir })
    problems.push(...checked.problems.map((p) => ({ file, ...p })))
    // The kind of `type` made this provider: it is that kind's settings.
    regions.set(code, {
      ...region,
      code,
      stateServices: { ...region.stateServices, provider: checked.provider as ProviderOf<K> | undefined },
    })
  }

  const clients = new Map<string, ClientConfig>()
  const regionCodes = new Set(regionFiles.map(({ id }) => id))
  const clientFiles = directory<ClientFile>(
    'clients',
    clientFileSchemaFor,
    clientId,
    'a client id: letters, digits, ".", "_" and "-"',
  )
  for (const { id, file, value: client } of clientFiles) {
    if (client === undefined) continue
    const checked = checkClient(client, options.env, regionCodes, production)
    problems.push(...checked.problems.map((p) => ({ file, ...p })))
    const name = typeof client.name === 'string' ? { ru: client.name, en: client.name } : client.name
    clients.set(id, { ...client, name, clientId: id, clientSecret: checked.clientSecret })
  }

  if (bridge !== undefined && bridge.tokens.keyPublishSeconds < bridge.tokens.jwksMaxAgeSeconds + 60) {
    problems.push({
      file: bridgeFile,
      path: '/tokens/keyPublishSeconds',
      message: 'must be at least jwksMaxAgeSeconds + 60 (verifiers must see a key before it signs)',
    })
  }
  if (bridge !== undefined && bridge.rateLimits.syncSeconds >= bridge.rateLimits.windowSeconds) {
    problems.push({
      file: bridgeFile,
      path: '/rateLimits/syncSeconds',
      message: 'must be less than windowSeconds (instances share their counts once per sync)',
    })
  }
  if (production && env.LOG_FORMAT === 'pretty')
    problems.push({
      file: 'env',
      path: 'LOG_FORMAT',
      message: 'must be json when NODE_ENV=production (log collectors read JSON lines)',
    })
  const port = env.PORT === undefined ? 3000 : Number(env.PORT)
  if (port < 1 || port > 65535) problems.push({ file: 'env', path: 'PORT', message: 'must be between 1 and 65535' })
  const publicUrl = resolvePublicUrl(env, bridge && { file: bridgeFile, ...bridge }, port, production, problems)

  const resolvedSecrets = resolveBridgeSecrets(env, { production, dataDir })
  problems.push(...resolvedSecrets.problems)
  const warnings: string[] = []
  const channel = <T>(checked: Checked<T> | undefined): T | undefined => {
    problems.push(...(checked?.problems ?? []).map((p) => ({ file: bridgeFile, ...p })))
    warnings.push(...(checked?.warnings ?? []).map((p) => formatProblem({ file: bridgeFile, ...p })))
    return checked?.value
  }
  const mail = channel(bridge?.mail && checkMail(bridge.mail, { env: options.env, production }))
  const sms = channel(bridge?.sms && checkSms(bridge.sms, { env: options.env, production }))
  for (const { id: code, file } of regionFiles) {
    if (clientFiles.length > 0 && ![...clients.values()].some((client) => client.regions.includes(code))) {
      warnings.push(
        `${file}: no client serves region "${code}": add it to the "regions" of the diary modules that should offer it`,
      )
    }
  }
  if (production && env.DATABASE_URL === undefined && bridge !== undefined) {
    // A container's own folder goes with the container: production must ask for the embedded database.
    if (!bridge.database.embedded) {
      problems.push({
        file: 'env',
        path: 'DATABASE_URL',
        message:
          'is required when NODE_ENV=production (or set database.embedded: true in bridge.json to keep the data in DATA_DIR)',
      })
    } else if (!existsSync(dataDir)) {
      problems.push({
        file: 'env',
        path: 'DATA_DIR',
        message: `${display(dataDir)} does not exist: the embedded database needs a folder that outlives the process (a volume)`,
      })
    } else {
      warnings.push(
        `production runs on the embedded database in ${display(dataDir)}: one instance only, and the data is only as safe as that folder`,
      )
    }
  }

  if (problems.length > 0 || bridge === undefined || resolvedSecrets.secrets === undefined) {
    throw new ConfigError(problems)
  }
  return {
    config: {
      production,
      configDir,
      dataDir,
      server: { host: env.HOST ?? '127.0.0.1', port },
      publicUrl,
      logLevel: env.LOG_LEVEL ?? 'info',
      logFormat: env.LOG_FORMAT ?? 'json',
      databaseUrl: env.DATABASE_URL === undefined ? undefined : new Secret(env.DATABASE_URL),
      bridge,
      regions,
      clients,
      secrets: resolvedSecrets.secrets,
      mail,
      sms,
    },
    warnings,
    developmentSecrets: resolvedSecrets.development,
  }
}

function resolvePublicUrl(
  env: Env,
  bridge: (BridgeFile & { file: string }) | undefined,
  port: number,
  production: boolean,
  problems: ConfigProblem[],
): string {
  const [text, file, path] =
    env.PUBLIC_URL !== undefined
      ? [env.PUBLIC_URL, 'env', 'PUBLIC_URL']
      : bridge?.publicUrl !== undefined
        ? [bridge.publicUrl, bridge.file, '/publicUrl']
        : [undefined, 'env', 'PUBLIC_URL']
  if (text === undefined) {
    if (production)
      problems.push({ file, path, message: 'is required when NODE_ENV=production (or publicUrl in bridge.json)' })
    return `http://localhost:${port}`
  }
  const problem =
    checkHttpUrl(text, { production }) ?? (new URL(text).search !== '' ? 'must not contain a query' : undefined)
  if (problem) problems.push({ file, path, message: problem })
  return text.replace(/\/+$/, '')
}
