/*
 * The demo's world for flow tests: the state-services simulator, a config whose region 29 uses it,
 * a migrated database with the demo accounts of region 29 (password "diary-demo"), and the app.
 */
import { fileURLToPath } from 'node:url'
import { importAccounts } from '../../src/accounts/import/import-accounts.js'
import { createPasswordHasher } from '../../src/accounts/password-hash.js'
import type { Config } from '../../src/config/load.js'
import { type RunningSimulator, startSimulator } from '../../demo/state-services-simulator.js'
import { logoutDonePath } from '../../src/login/logout.js'
import type { Senders } from '../../src/notify/senders.js'
import { stateServicesCallbackPath } from '../../src/regions/registry.js'
import { buildTestApp, type TestApp } from './test-app.js'
import { loadTestConfig, passwordOnlyRegion, validClient, validEnv } from './test-config.js'
import { openTestDatabase, type TestDatabase } from './test-database.js'

export const publicUrl = 'http://localhost:3000'
export const demoPassword = 'diary-demo'

export const demoClaims = {
  familyName: 'family_name',
  givenName: 'given_name',
  patronymic: 'middle_name',
  birthDate: 'birthdate',
  snils: 'snils',
  verified: 'trusted',
}

export function regionWithProvider(issuer: string, provider: Record<string, unknown> = {}) {
  return {
    name: { ru: 'Архангельская область', en: 'Arkhangelsk Oblast' },
    stateServices: {
      enabled: true,
      provider: {
        issuer,
        clientId: 'diary-bridge-29',
        clientSecretEnv: 'REGION_29_CLIENT_SECRET',
        scopes: ['openid', 'profile', 'snils', 'birthdate'],
        claims: demoClaims,
        timeoutMs: 2000,
        ...provider,
      },
    },
  }
}

/** The demo accounts of these regions (demo/accounts-<code>.csv), password "diary-demo". */
export async function importDemoAccounts(
  database: TestDatabase,
  config: Config,
  regions: readonly string[] = ['29'],
): Promise<void> {
  // The demo accounts carry argon2id hashes already: the hasher is there for the signature, not used.
  const hasher = createPasswordHasher({ workers: 1 })
  try {
    for (const region of regions) {
      await importAccounts(database.db, {
        file: fileURLToPath(new URL(`../../demo/accounts-${region}.csv`, import.meta.url)),
        format: 'csv',
        region,
        snilsPepper: config.secrets.snilsPepper.reveal(),
        hasher,
      })
    }
  } finally {
    await hasher.close()
  }
}

interface Teardown {
  teardown(fn: () => unknown): void
}

/** The demo's state-services simulator, with region 29's client registered for a bridge at `bridgeUrl`. */
export async function startDemoSimulator(t: Teardown, bridgeUrl: string): Promise<RunningSimulator> {
  const simulator = await startSimulator({
    port: 0,
    clients: [
      {
        clientId: 'diary-bridge-29',
        clientSecret: validEnv.REGION_29_CLIENT_SECRET,
        redirectUris: [`${bridgeUrl}${stateServicesCallbackPath}`],
        postLogoutRedirectUris: [`${bridgeUrl}${logoutDonePath}`],
      },
    ],
  })
  t.teardown(() => simulator.close())
  return simulator
}

/** The demo world; `clock.offsetMs` moves the bridge's clock (the simulator keeps real time). */
export async function startDemoWorld(
  t: Teardown,
  deps: { senders?: Senders } = {},
  options: { stateServicesIn78?: boolean; behindProxy?: boolean; region29?: Record<string, unknown> } = {},
): Promise<TestApp & { config: Config; database: TestDatabase; issuer: string; clock: { offsetMs: number } }> {
  const clock = { offsetMs: 0 }
  const simulator = await startDemoSimulator(t, publicUrl)
  // `stateServicesIn78`: region 78 signs in through the same provider as 29 (one issuer for both, as
  // the real ESIA is), with the demo accounts of 78 imported too.
  const region78 = options.stateServicesIn78
    ? { ...regionWithProvider(simulator.issuer), name: { ru: 'Санкт-Петербург', en: 'Saint Petersburg' } }
    : passwordOnlyRegion
  // `behindProxy`: the bridge trusts `X-Forwarded-For` from 127.0.0.1 (app.inject), so a test can be many client addresses.
  const config = loadTestConfig(t, {
    'bridge.json': { publicUrl, ...(options.behindProxy && { trustProxy: ['127.0.0.1'] }) },
    'regions/29.json': { ...regionWithProvider(simulator.issuer), ...options.region29 },
    'regions/78.json': region78,
    'clients/web-diary.json': validClient,
  })
  const database = await openTestDatabase(t)
  await importDemoAccounts(database, config, options.stateServicesIn78 ? ['29', '78'] : ['29'])
  const app = await buildTestApp(t, config, database.db, { now: () => new Date(Date.now() + clock.offsetMs), ...deps })
  return { ...app, config, database, issuer: simulator.issuer, clock }
}
