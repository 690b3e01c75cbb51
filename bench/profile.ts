/*
 * `npm run bench:profile [-- login|refresh|introspect|userinfo|scim-create|scim-get|scim-patch]`: where one
 * operation spends its time.
 * Starts the built bridge with `--cpu-prof` against the fast fake provider, runs the operation under
 * load for PROFILE_SECONDS (default 10) — the state-services login of one linked person by default —
 * and prints its CPU per operation, the socket writes by caller, the self time by package and the
 * heaviest functions of the bridge, then the SQL statements one operation sends to PostgreSQL (from
 * the server's statement log, for one operation made alone). The SCIM scenarios (bench/scim.ts's
 * requests, as the bench-sync client): a create without a password, a get by `userName eq`, a PATCH of
 * `active` (deactivation and reactivation in turn).
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { importAccounts } from '../src/accounts/import/import-accounts.js'
import { createPasswordHasher } from '../src/accounts/password-hash.js'
import { loadConfig } from '../src/config/load.js'
import { connectors } from '../src/upstream/connectors.js'
import { openDatabase } from '../src/db/open-database.js'
import { startFakeIdp } from '../peers/fake-idp.js'
import { basicAuth, followRedirects, stateServicesLogin } from './flows.js'
import {
  benchSecrets,
  cleanupDir,
  cpuPerOperation,
  createBenchDatabase,
  fakeIdpRegion,
  load,
  startBridge,
  writeBenchConfig,
} from './lib.js'
import { benchRefresh, benchStateServicesLogin } from './scenarios.js'
import { patchActiveBody, scimHeaders, scimUser } from './scim.js'

const port = 3901
const seconds = Number(process.env.PROFILE_SECONDS ?? 10)
const scenarios = ['login', 'refresh', 'introspect', 'userinfo', 'scim-create', 'scim-get', 'scim-patch'] as const
const scenario = (process.argv[2] ?? 'login') as (typeof scenarios)[number]
if (!scenarios.includes(scenario)) throw new Error(`usage: npm run bench:profile [-- ${scenarios.join('|')}]`)
const idp = await startFakeIdp({ clientId: 'bridge-sso', clientSecret: 'bench-sso-secret' })
const database = await createBenchDatabase()
const configDir = writeBenchConfig(port, {
  regions: { sso: fakeIdpRegion(idp.issuer, { ru: 'Регион', en: 'Region' }) },
})
const profileDir = mkdtempSync(join(tmpdir(), 'bridge-profile-'))
const env = { SSO_CLIENT_SECRET: 'bench-sso-secret' }
const bridge = await startBridge({
  port,
  configDir,
  databaseUrl: database.url,
  env,
  nodeOptions: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
})
const module = {
  bridgeUrl: bridge.url,
  clientSecret: benchSecrets.BENCH_CLIENT_SECRET,
  region: 'sso',
  pass: followRedirects,
}
const basic = basicAuth({ clientId: 'bench', clientSecret: benchSecrets.BENCH_CLIENT_SECRET })

/** A diary module's tokens from one login (with offline_access, so a refresh token too). */
const tokensFrom = (bridgeUrl: string) =>
  stateServicesLogin(
    {
      bridgeUrl,
      clientId: 'bench',
      clientSecret: module.clientSecret,
      redirectUri: 'https://bench.example/callback',
      region: 'sso',
      scope: 'openid offline_access',
    },
    followRedirects,
  )

/** Each scenario: the measured load, and one operation alone (for the statement log). */
const operations: Record<
  (typeof scenarios)[number],
  (bridgeUrl: string) => Promise<{ load: () => Promise<{ completed: number }>; once: () => Promise<unknown> }>
> = {
  login: async (bridgeUrl) => ({
    load: () => benchStateServicesLogin(bridgeUrl, { ...module, users: 8, seconds }),
    once: () => tokensFrom(bridgeUrl),
  }),
  refresh: async (bridgeUrl) => {
    const families = await Promise.all(
      Array.from({ length: 9 }, async () => String((await tokensFrom(bridgeUrl)).refreshToken)),
    )
    const spare = families.pop()
    return {
      load: () => benchRefresh(bridgeUrl, basic, families),
      once: () =>
        fetch(`${bridgeUrl}/token`, {
          method: 'POST',
          headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
          body: `grant_type=refresh_token&refresh_token=${String(spare)}`,
        }),
    }
  },
  introspect: async (bridgeUrl) => {
    const { accessToken } = await tokensFrom(bridgeUrl)
    const request = {
      url: `${bridgeUrl}/introspect`,
      method: 'POST' as const,
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${accessToken}`,
    }
    return {
      load: () => load({ ...request, connections: 8, duration: seconds }),
      once: () => fetch(request.url, request),
    }
  },
  userinfo: async (bridgeUrl) => {
    const { accessToken } = await tokensFrom(bridgeUrl)
    const request = { url: `${bridgeUrl}/userinfo`, headers: { authorization: `Bearer ${accessToken}` } }
    return {
      load: () => load({ ...request, connections: 8, duration: seconds }),
      once: () => fetch(request.url, request),
    }
  },
  'scim-create': async (bridgeUrl) => {
    const { created, request } = await scimCreates(bridgeUrl)
    return {
      load: () => load({ ...request, connections: 8, duration: seconds, expectStatus: 201, requests: [created] }),
      once: () => fetch(request.url, { ...request, body: created.setupRequest(request).body }),
    }
  },
  'scim-get': async (bridgeUrl) => {
    const { created, request } = await scimCreates(bridgeUrl)
    const [user] = await scimAccounts(bridgeUrl, request, created, 1)
    const get = {
      url: `${bridgeUrl}/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${String(user?.userName)}"`)}`,
      headers: request.headers,
    }
    return {
      load: () => load({ ...get, connections: 8, duration: seconds }),
      once: () => fetch(get.url, get),
    }
  },
  'scim-patch': async (bridgeUrl) => {
    const { created, request } = await scimCreates(bridgeUrl)
    const ids = (await scimAccounts(bridgeUrl, request, created, 200)).map((user) => user.id)
    let turn = 0
    const patch = () => {
      const at = turn++
      return {
        path: `/scim/v2/Users/${ids[at % ids.length]}`,
        body: patchActiveBody(Math.floor(at / ids.length) % 2 === 1),
      }
    }
    return {
      load: () =>
        load({
          url: `${bridgeUrl}/scim/v2/Users`,
          method: 'PATCH',
          headers: request.headers,
          connections: 8,
          duration: seconds,
          requests: [{ setupRequest: (r) => ({ ...r, ...patch() }) }],
        }),
      once: () => {
        const { path, body } = patch()
        return fetch(`${bridgeUrl}${path}`, { method: 'PATCH', headers: request.headers, body })
      },
    }
  },
}

let scimRun = 0

/** POST /scim/v2/Users of a new userName at each call, as bench/scim.ts creates. */
async function scimCreates(bridgeUrl: string) {
  const headers = await scimHeaders(bridgeUrl, benchSecrets.BENCH_SYNC_SECRET)
  const prefix = `profile-${Date.now().toString(36)}-${scimRun++}`
  let made = 0
  const created = {
    setupRequest: <R extends object>(request: R) => ({
      ...request,
      body: JSON.stringify(scimUser(`${prefix}-${made++}`)),
    }),
  }
  return { created, request: { url: `${bridgeUrl}/scim/v2/Users`, method: 'POST' as const, headers } }
}

/** `count` accounts made for the scenario. */
async function scimAccounts(
  bridgeUrl: string,
  request: { url: string; method: 'POST'; headers: Record<string, string> },
  created: { setupRequest: (request: object) => { body: string } },
  count: number,
): Promise<{ id: string; userName: string }[]> {
  const users: { id: string; userName: string }[] = []
  for (let i = 0; i < count; i++) {
    const response = await fetch(request.url, { ...request, body: created.setupRequest({}).body })
    if (response.status !== 201) throw new Error(`SCIM create: ${response.status}`)
    users.push((await response.json()) as { id: string; userName: string })
  }
  return users
}

try {
  const { config } = loadConfig({
    connectors,
    env: {
      ...benchSecrets,
      ...env,
      BRIDGE_CONFIG_DIR: configDir,
      DATABASE_URL: database.url,
      NODE_ENV: 'production',
      PUBLIC_URL: bridge.url,
    },
  })
  const db = await openDatabase({ databaseUrl: database.url })
  const hasher = createPasswordHasher({ workers: 1 })
  const csv = join(configDir, 'accounts.csv')
  writeFileSync(
    csv,
    `login,password_hash,role,family_name,given_name,patronymic,birth_date,snils\nsso-1,"${await hasher.hash('x'.repeat(12))}",pupil,Иванова,Мария,Петровна,2012-03-14,112-233-445 95\n`,
  )
  await importAccounts(db, {
    file: csv,
    format: 'csv',
    region: 'sso',
    snilsPepper: config.secrets.snilsPepper.reveal(),
    hasher,
  })
  await hasher.close()
  await db.destroy()

  // Warm up (the first login links the person), then the profiled load.
  await benchStateServicesLogin(bridge.url, { ...module, users: 4, seconds: 3 })
  const operation = await operations[scenario](bridge.url)
  const { result, cpu } = await cpuPerOperation(
    { pid: bridge.child.pid, databaseUrl: database.url },
    operation.load,
    (r) => r.completed,
  )
  process.stdout.write(
    `${scenario}: ${result.completed} in ${seconds} s; CPU per operation (profiler on): bridge ${cpu.bridgeMs.toFixed(2)} ms, PostgreSQL ${cpu.postgresMs.toFixed(2)} ms\n`,
  )
} finally {
  await bridge.stop()
}
summarize()

// One login alone, with every statement the server receives for the bench database logged.
const logFile = process.env.POSTGRES_LOG ?? '/var/log/postgresql/postgresql-15-main.log'
const admin = new pg.Client({ connectionString: database.url, application_name: 'bench-admin' })
await admin.connect()
const databaseName = new URL(database.url).pathname.slice(1)
await admin.query(`alter database ${databaseName} set log_statement = 'all'`)
await admin.end()
const logged = await startBridge({ port, configDir, databaseUrl: database.url, env })
try {
  await operations.login(logged.url).then(({ once }) => once())
  const { once } = await operations[scenario](logged.url)
  const offset = statSync(logFile).size
  await once()
  await new Promise((resolve) => setTimeout(resolve, 500))
  const statements = readFileSync(logFile)
    .subarray(offset)
    .toString()
    .split('\n')
    // A statement's first line carries the LOG prefix; a multi-line statement goes on in lines of its own.
    .join('\n')
    .split(/\n(?=\S)/)
    .filter((entry) => entry.includes(`@${databaseName} `) && /LOG: {2}(statement|execute [^:]*):/.test(entry))
    .map((entry) =>
      entry
        .replace(/^.*LOG: {2}(statement|execute [^:]*): /, '')
        .replace(/\s+/g, ' ')
        .trim()
        .slice(0, 150),
    )
  process.stdout.write(
    `\nSQL statements of one ${scenario === 'login' ? 'login of a linked person' : scenario} (${statements.length}):\n${statements.map((s) => `  ${s}`).join('\n')}\n`,
  )
} finally {
  await logged.stop()
  await idp.close()
  await database.drop()
  cleanupDir(configDir)
  cleanupDir(profileDir)
}

function summarize(): void {
  const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'))
  if (file === undefined) throw new Error('no CPU profile was written')
  const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as {
    nodes: {
      id: number
      callFrame: { functionName: string; url: string; lineNumber: number }
      hitCount: number
      children?: number[]
    }[]
    samples: number[]
    timeDeltas: number[]
  }
  const self = new Map<number, number>()
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  const byPackage = new Map<string, number>()
  const byFunction = new Map<string, number>()
  let total = 0
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0
    const { url, functionName, lineNumber } = node.callFrame
    if (functionName === '(idle)') continue
    total += us
    const pkg =
      url === ''
        ? functionName
        : (/node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
          (url.startsWith('node:') ? url : url.includes('/dist/') ? 'bridge' : url))
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us)
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/')}:${lineNumber + 1}`
    byFunction.set(key, (byFunction.get(key) ?? 0) + us)
  }
  const top = (map: Map<string, number>, n: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `${((us / total) * 100).toFixed(1).padStart(5)} %  ${k}`)
      .join('\n')
  // Who asks for the socket writes: the first caller outside node's internals.
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const nodeById = new Map(profile.nodes.map((node) => [node.id, node]))
  const writers = new Map<string, number>()
  for (const node of profile.nodes) {
    if (
      node.callFrame.functionName !== 'writev' &&
      node.callFrame.functionName !== 'writeBuffer' &&
      node.callFrame.functionName !== 'writeLatin1String'
    )
      continue
    let at = parent.get(node.id)
    while (at !== undefined && /^node:|^$/.test(nodeById.get(at)?.callFrame.url ?? '')) at = parent.get(at)
    const caller = at === undefined ? '(unknown)' : nodeById.get(at)?.callFrame
    const key =
      typeof caller === 'string' || caller === undefined
        ? '(unknown)'
        : `${caller.functionName} ${caller.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/')}:${caller.lineNumber + 1}`
    writers.set(key, (writers.get(key) ?? 0) + (self.get(node.id) ?? 0))
  }
  process.stdout.write(`\nSocket writes by caller:\n${top(writers, 10)}\n`)
  process.stdout.write(
    `\nSelf time by package (busy time ${(total / 1e6).toFixed(1)} s):\n${top(byPackage, 25)}\n\nHeaviest functions:\n${top(byFunction, 40)}\n`,
  )
}
