/*
 * Configuration for tests: a temporary config directory written from plain objects, loaded through
 * the real loader, with fixed secrets in the environment.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { type Config, loadConfig } from '../../src/config/load.js'
import { connectors } from '../../src/upstream/connectors.js'

export const testSecrets = {
  SESSION_KEYS: randomBytes(32).toString('base64'),
  SNILS_PEPPER: randomBytes(32).toString('base64'),
  KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
}

export const validRegion = {
  name: { ru: 'Архангельская область', en: 'Arkhangelsk Oblast' },
  passwordLogin: { enabled: true },
  stateServices: {
    enabled: true,
    provider: {
      issuer: 'http://127.0.0.1:4001',
      clientId: 'bridge-29',
      clientSecretEnv: 'REGION_29_CLIENT_SECRET',
      scopes: ['openid', 'snils'],
      claims: { snils: 'snils', verified: 'trusted' },
    },
  },
}

export const passwordOnlyRegion = {
  name: { ru: 'Санкт-Петербург', en: 'Saint Petersburg' },
  stateServices: { enabled: false },
}

export const validClient = {
  name: 'Web diary',
  redirectUris: ['https://diary.example/callback'],
  tokenEndpointAuthMethod: 'client_secret_basic',
  clientSecretEnv: 'WEB_DIARY_SECRET',
  scopes: ['openid', 'profile'],
  audience: 'https://diary.example/api',
  regions: ['29', '78'],
}

export const validFiles: Record<string, unknown> = {
  'bridge.json': { publicUrl: 'http://localhost:3000' },
  'regions/29.json': validRegion,
  'regions/78.json': passwordOnlyRegion,
  'clients/web-diary.json': validClient,
}

export const validEnv = {
  ...testSecrets,
  REGION_29_CLIENT_SECRET: 'upstream-secret',
  WEB_DIARY_SECRET: 'web-diary-secret',
  LOG_LEVEL: 'silent',
}

interface Teardown {
  teardown(fn: () => unknown): void
}

/** Writes `files` (path → JSON value, or raw string) into a new temporary directory. */
export function writeConfigDir(t: Teardown, files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-config-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const [path, content] of Object.entries(files)) {
    if (content === undefined) continue
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), typeof content === 'string' ? content : JSON.stringify(content, null, 2))
  }
  mkdirSync(join(dir, 'regions'), { recursive: true })
  mkdirSync(join(dir, 'clients'), { recursive: true })
  return dir
}

export function loadTestConfig(
  t: Teardown,
  files: Record<string, unknown> = validFiles,
  env: Record<string, string | undefined> = validEnv,
): Config {
  const dir = writeConfigDir(t, files)
  return loadConfig({ connectors, env: { ...env, BRIDGE_CONFIG_DIR: dir, DATA_DIR: join(dir, 'data') } }).config
}
