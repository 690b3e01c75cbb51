/*
 * The world of the real-browser tests: the bridge listening on a free port (with the demo accounts and
 * the state-services simulator: OIDC, or ESIA when asked), the demo diary module registered as
 * `demo-diary`, and Debian's Chromium driven by playwright-core. `chromiumPath` is absent on machines
 * without Chromium: the tests are then skipped with the reason printed (.ci/run installs it).
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Kysely } from 'kysely'
import { type Browser, chromium, type Page } from 'playwright-core'
import type { Config } from '../../src/config/load.js'
import type { Database } from '../../src/db/schema.js'
import { startDiaryModule } from '../../demo/diary-module.js'
import type { Senders } from '../../src/notify/senders.js'
import type { RunningEsiaSimulator } from '../../demo/esia-simulator.js'
import { stateServicesCallbackPath } from '../../src/regions/registry.js'
import { importDemoAccounts, regionWithProvider, startDemoSimulator } from './demo-world.js'
import { esiaKeys, esiaRegionFile, startEsiaPeer } from './esia-world.js'
import { freePort } from './spawn.js'
import { buildTestApp } from './test-app.js'
import { loadTestConfig, passwordOnlyRegion, validEnv } from './test-config.js'
import { openTestDatabase } from './test-database.js'

export const chromiumPath = '/usr/bin/chromium'

/** A regular file there: scripts/fresh-machine.sh hides the browser behind /dev/null, which exists too. */
export const chromiumInstalled = (): boolean => statSync(chromiumPath, { throwIfNoEntry: false })?.isFile() === true

/**
 * True where Chromium is installed; elsewhere the file's tests are skipped with the reason printed
 * (a plan of none) and false. `if (requireChromium(t)) await run()` at the top of a browser test.
 */
export function requireChromium(t: {
  comment(message: string): void
  plan(count: number, reason: string): void
}): boolean {
  if (chromiumInstalled()) return true
  t.comment(`browser tests skipped: no Chromium at ${chromiumPath} (apt-get install -y chromium)`)
  t.plan(0, 'no Chromium installed')
  return false
}

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface ChromiumWorld {
  bridgeUrl: string
  diaryUrl: string
  db: Kysely<Database>
  /** The bridge's running configuration (throttling limits, secrets). */
  config: Config
  /** Region 29's ESIA simulator, when the world was started with `stateServices: 'esia'`. */
  esia: RunningEsiaSimulator | undefined
  /** A page in a new browser context: its own cookies at the bridge, the simulator and the diary module. */
  newPage: (options?: { locale?: string; width?: number }) => Promise<Page>
  /** A full-page screenshot into test-results/<name>.png. */
  shot: (page: Page, name: string) => Promise<unknown>
  /** The tokens each module received at each sign-in, by client id. */
  tokens: Record<string, { accessToken: string; refreshToken: string | undefined }[]>
  /** With `secondDiary`: the second module (`demo-diary-2`), its URL and how many sessions it holds. */
  secondDiary: { url: string; signedIn: () => number } | undefined
  /** How many sessions the first module holds. */
  diarySignedIn: () => number
}

export interface ChromiumWorldOptions {
  /** The protocol of region 29's State Services login: the OIDC simulator (the default) or the ESIA one. */
  stateServices?: 'oidc' | 'esia'
  /** E-mail and SMS: none unless given (the recovery tests give real ones). */
  senders?: Senders
  /** Region 78 signs in through region 29's OIDC simulator too (one issuer for both); its demo accounts are imported. */
  stateServicesIn78?: boolean
  /**
   * A second diary module (`demo-diary-2`, its own port and cookie), both with back-channel logout, and
   * the diary system's SCIM client `diary-sync` (client_credentials, scope scim, regions 29 and 78;
   * secret `scimSecret`).
   */
  secondDiary?: boolean
  /** Region 29's second-factor policy (regions/<code>.json `secondFactor`). */
  secondFactor?: Record<string, unknown>
}

export const scimSecret = 'browser-test-scim-secret'

/** Region 29's file and, for ESIA, its simulator (GOST keys made in a folder removed at teardown). */
async function startRegion29(t: Teardown, bridgeUrl: string, protocol: 'oidc' | 'esia') {
  if (protocol === 'oidc')
    return { file: regionWithProvider((await startDemoSimulator(t, bridgeUrl)).issuer), esia: undefined }
  const dir = mkdtempSync(join(tmpdir(), 'esia-keys-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const keys = esiaKeys(dir)
  const esia = await startEsiaPeer(t, keys, `${bridgeUrl}${stateServicesCallbackPath}`)
  return { file: esiaRegionFile(esia, keys), esia }
}

export async function startChromiumWorld(t: Teardown, options: ChromiumWorldOptions = {}): Promise<ChromiumWorld> {
  const [bridgePort, diaryPort, secondPort] = [await freePort(), await freePort(), await freePort()]
  const bridgeUrl = `http://localhost:${bridgePort}`
  const diaryUrl = `http://localhost:${diaryPort}`
  const secondUrl = `http://localhost:${secondPort}`
  const module = (url: string) => ({
    redirectUris: [`${url}/callback`],
    postLogoutRedirectUris: [`${url}/`],
    tokenEndpointAuthMethod: 'client_secret_basic',
    clientSecretEnv: 'DEMO_DIARY_CLIENT_SECRET',
    scopes: ['openid', 'profile', 'offline_access'],
    audience: 'https://diary.example/api',
    regions: ['29', '78'],
    ...(options.secondDiary ? { backchannelLogoutUri: `${url}/backchannel-logout` } : {}),
  })
  const more = options.secondDiary
    ? {
        'clients/demo-diary-2.json': { name: 'Second diary module', ...module(secondUrl) },
        'clients/diary-sync.json': {
          name: 'Diary system',
          grantTypes: ['client_credentials'],
          tokenEndpointAuthMethod: 'client_secret_basic',
          clientSecretEnv: 'DIARY_SYNC_SECRET',
          scopes: ['scim'],
          audience: 'https://diary.example/provisioning',
          regions: ['29', '78'],
        },
      }
    : {}
  const diarySecret = 'browser-test-diary-secret'
  const region29 = await startRegion29(t, bridgeUrl, options.stateServices ?? 'oidc')
  const config = loadTestConfig(
    t,
    {
      'bridge.json': { publicUrl: bridgeUrl },
      'regions/29.json': options.secondFactor
        ? { ...region29.file, secondFactor: options.secondFactor }
        : region29.file,
      'regions/78.json': options.stateServicesIn78
        ? { ...region29.file, name: { ru: 'Санкт-Петербург', en: 'Saint Petersburg' } }
        : passwordOnlyRegion,
      'clients/demo-diary.json': { name: 'Demo diary', ...module(diaryUrl) },
      ...more,
    },
    { ...validEnv, DEMO_DIARY_CLIENT_SECRET: diarySecret, DIARY_SYNC_SECRET: scimSecret },
  )
  const database = await openTestDatabase(t)
  await importDemoAccounts(database, config, options.stateServicesIn78 ? ['29', '78'] : ['29'])
  const { app } = await buildTestApp(t, config, database.db, {
    senders: options.senders,
    backgroundJobs: options.secondDiary,
  })
  await app.listen({ port: bridgePort, host: 'localhost' })
  const tokens: ChromiumWorld['tokens'] = { 'demo-diary': [], 'demo-diary-2': [] }
  const startModule = async (clientId: string, port: number) => {
    const started = await startDiaryModule({
      port,
      bridgeUrl,
      clientId,
      clientSecret: diarySecret,
      host: 'localhost',
      cookieName: clientId,
      onTokens: (received) => tokens[clientId]?.push(received),
    })
    t.teardown(() => started.app.close())
    return started
  }
  const diary = await startModule('demo-diary', diaryPort)
  const second = options.secondDiary ? await startModule('demo-diary-2', secondPort) : undefined

  const browser: Browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  t.teardown(() => browser.close())
  mkdirSync('test-results', { recursive: true })
  return {
    bridgeUrl,
    diaryUrl,
    db: database.db,
    config,
    esia: region29.esia,
    newPage: async (options = {}) => {
      const context = await browser.newContext({
        locale: options.locale ?? 'ru-RU',
        viewport: { width: options.width ?? 1024, height: 800 },
      })
      return context.newPage()
    },
    shot: (page, name) => page.screenshot({ path: `test-results/${name}.png`, fullPage: true }),
    tokens,
    secondDiary: second && { url: second.url, signedIn: second.signedIn },
    diarySignedIn: diary.signedIn,
  }
}
