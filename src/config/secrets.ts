/*
 * The bridge's own secrets, from the environment.
 * - SESSION_KEYS: comma-separated base64 keys of exactly 32 bytes, newest first
 * - SNILS_PEPPER: base64, at least 32 bytes (changing it orphans every stored SNILS HMAC)
 * - KEY_ENCRYPTION_KEY: base64, exactly 32 bytes (encrypts signing keys at rest)
 * - production: a missing secret is a problem; development: it is generated once, kept in
 *   `<DATA_DIR>/dev-secrets.json` (so data stays readable across restarts) and loudly warned about
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ConfigProblem } from './problems.js'
import type { Env } from './schema.js'
import { Secret } from './secret.js'

export interface BridgeSecrets {
  sessionKeys: Secret<Buffer[]>
  snilsPepper: Secret<Buffer>
  keyEncryptionKey: Secret<Buffer>
}

type SecretName = 'SESSION_KEYS' | 'SNILS_PEPPER' | 'KEY_ENCRYPTION_KEY'

const base64 = /^[A-Za-z0-9+/_-]+={0,2}$/

function decodeKey(text: string, exact: boolean): Buffer | string {
  const trimmed = text.trim()
  if (!base64.test(trimmed)) return 'must be base64'
  const bytes = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64')
  if (exact && bytes.length !== 32) return `must decode to exactly 32 bytes, got ${bytes.length}`
  if (!exact && bytes.length < 32) return `must decode to at least 32 bytes, got ${bytes.length}`
  return bytes
}

function generated(): string {
  return randomBytes(32).toString('base64')
}

function readDevSecrets(file: string): Partial<Record<SecretName, string>> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<SecretName, string>>
  } catch {
    return {}
  }
}

/** Development values used for secrets the environment does not set (never in production). */
export interface DevelopmentSecrets {
  file: string
  used: SecretName[]
  /** Made just now (the first start, or a deleted file). */
  generated: SecretName[]
}

export interface ResolvedSecrets {
  secrets: BridgeSecrets | undefined
  problems: ConfigProblem[]
  development: DevelopmentSecrets | undefined
}

export function resolveBridgeSecrets(env: Env, options: { production: boolean; dataDir: string }): ResolvedSecrets {
  const problems: ConfigProblem[] = []
  const used: SecretName[] = []
  const generatedNow: SecretName[] = []
  const devFile = join(options.dataDir, 'dev-secrets.json')
  const devSecrets = options.production ? {} : readDevSecrets(devFile)
  let devSecretsChanged = false

  const source = (name: SecretName): string | undefined => {
    const value = env[name]
    if (value !== undefined && value.trim() !== '') return value
    if (options.production) {
      problems.push({ file: 'env', path: name, message: 'is required when NODE_ENV=production' })
      return undefined
    }
    if (devSecrets[name] === undefined) {
      devSecrets[name] = generated()
      devSecretsChanged = true
      generatedNow.push(name)
    }
    used.push(name)
    return devSecrets[name]
  }

  const single = (name: SecretName, exact: boolean): Buffer | undefined => {
    const text = source(name)
    if (text === undefined) return undefined
    const key = decodeKey(text, exact)
    if (typeof key === 'string') {
      problems.push({ file: 'env', path: name, message: key })
      return undefined
    }
    return key
  }

  const sessionKeysText = source('SESSION_KEYS')
  const sessionKeys: Buffer[] = []
  sessionKeysText?.split(',').forEach((part, index) => {
    const key = decodeKey(part, true)
    if (typeof key === 'string') problems.push({ file: 'env', path: `SESSION_KEYS[${index}]`, message: key })
    else sessionKeys.push(key)
  })
  const snilsPepper = single('SNILS_PEPPER', false)
  const keyEncryptionKey = single('KEY_ENCRYPTION_KEY', true)

  if (devSecretsChanged) {
    mkdirSync(options.dataDir, { recursive: true })
    writeFileSync(devFile, `${JSON.stringify(devSecrets, null, 2)}\n`, { mode: 0o600 })
  }
  const development = used.length === 0 ? undefined : { file: devFile, used, generated: generatedNow }
  if (problems.length > 0 || snilsPepper === undefined || keyEncryptionKey === undefined || sessionKeys.length === 0) {
    return { secrets: undefined, problems, development }
  }
  return {
    secrets: {
      sessionKeys: new Secret(sessionKeys),
      snilsPepper: new Secret(snilsPepper),
      keyEncryptionKey: new Secret(keyEncryptionKey),
    },
    problems,
    development,
  }
}
