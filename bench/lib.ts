/*
 * Shared pieces of the benchmarks: a throw-away PostgreSQL database, a production-configured bridge
 * started from the build (node dist/src/server.js) in a child process, and autocannon runs reduced to
 * requests/s and latency percentiles.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import pg from 'pg'

export const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export async function createBenchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `bridge_bench_${process.pid}_${randomBytes(3).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const cleanup = new pg.Client({ connectionString: serverUrl })
      await cleanup.connect()
      await cleanup.query(`drop database if exists ${name} with (force)`)
      await cleanup.end()
    },
  }
}

export const benchSecrets = {
  SESSION_KEYS: randomBytes(32).toString('base64'),
  SNILS_PEPPER: randomBytes(32).toString('base64'),
  KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  BENCH_CLIENT_SECRET: randomBytes(24).toString('base64url'),
  BENCH_SYNC_SECRET: randomBytes(24).toString('base64url'),
}

export function writeBenchConfig(port: number, extra: { regions?: Record<string, unknown> } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-bench-'))
  mkdirSync(join(dir, 'regions'))
  mkdirSync(join(dir, 'clients'))
  // Every request comes from one address and one client: request limits stay on (their cost is measured) but out of reach.
  const rateLimits = { perClient: 100_000_000, perAddress: 100_000_000 }
  writeFileSync(
    join(dir, 'bridge.json'),
    JSON.stringify({ publicUrl: `http://127.0.0.1:${port}`, database: { poolSize: 20 }, rateLimits }),
  )
  writeFileSync(
    join(dir, 'regions', '29.json'),
    JSON.stringify({ name: { ru: 'Архангельская область', en: 'Arkhangelsk Oblast' } }),
  )
  for (const [code, region] of Object.entries(extra.regions ?? {}))
    writeFileSync(join(dir, 'regions', `${code}.json`), JSON.stringify(region))
  writeFileSync(
    join(dir, 'clients', 'bench.json'),
    JSON.stringify({
      name: 'Benchmark module',
      redirectUris: ['https://bench.example/callback'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      clientSecretEnv: 'BENCH_CLIENT_SECRET',
      scopes: ['openid', 'profile', 'offline_access'],
      audience: 'https://bench.example/api',
      regions: Object.keys({ 29: 1, ...extra.regions }),
    }),
  )
  // The diary system's SCIM client (bench/scim.ts).
  writeFileSync(
    join(dir, 'clients', 'bench-sync.json'),
    JSON.stringify({
      name: 'Benchmark diary system',
      grantTypes: ['client_credentials'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      clientSecretEnv: 'BENCH_SYNC_SECRET',
      scopes: ['scim'],
      audience: 'https://bench.example/provisioning',
      regions: ['29'],
    }),
  )
  return dir
}

/** A region file whose State Services are the fake OIDC provider at `issuer` (client bridge-sso, secret in SSO_CLIENT_SECRET). */
export function fakeIdpRegion(issuer: string, name: { ru: string; en: string }): Record<string, unknown> {
  return {
    name,
    stateServices: {
      enabled: true,
      provider: {
        issuer,
        clientId: 'bridge-sso',
        clientSecretEnv: 'SSO_CLIENT_SECRET',
        scopes: ['openid'],
        claims: {
          familyName: 'family_name',
          givenName: 'given_name',
          patronymic: 'middle_name',
          birthDate: 'birthdate',
          snils: 'snils',
          verified: 'trusted',
        },
      },
    },
  }
}

export function cleanupDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

export interface RunningBridge {
  url: string
  child: ChildProcess
  stop(): Promise<void>
}

export async function startBridge(options: {
  port: number
  configDir: string
  databaseUrl: string
  env?: Record<string, string>
  nodeOptions?: string[]
}): Promise<RunningBridge> {
  const log = openSync(join(options.configDir, 'bridge.log'), 'w')
  // Started exactly as `npm start` and the Docker image start it (plus `nodeOptions`, e.g. a CPU profile).
  const child = spawn(
    process.execPath,
    [...(options.nodeOptions ?? []), '--max-semi-space-size=4', 'dist/src/server.js'],
    {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        PORT: String(options.port),
        HOST: '127.0.0.1',
        // Production's level: a login's log lines cost 15-25 % of its CPU, so a bench at warn flatters.
        LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
        BRIDGE_CONFIG_DIR: options.configDir,
        DATABASE_URL: options.databaseUrl,
        PUBLIC_URL: `http://127.0.0.1:${options.port}`,
        ...benchSecrets,
        ...options.env,
      },
      // The log goes to a file, as a service's journal would take it (not to /dev/null, which costs nothing).
      stdio: ['ignore', log, 'inherit'],
    },
  )
  closeSync(log)
  const url = `http://127.0.0.1:${options.port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the bridge exited with ${child.exitCode}`)
    if (
      await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break
    if (Date.now() > deadline) throw new Error('the bridge did not become ready')
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  return {
    url,
    child,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

export interface LoadResult {
  requestsPerSecond: number
  /** Requests per second that got the expected status. */
  okPerSecond: number
  /** Requests that got the expected status. */
  completed: number
  p50: number
  p99: number
  statusCodes: Record<string, number>
}

export async function load(options: autocannon.Options & { expectStatus?: number }): Promise<LoadResult> {
  const result = await autocannon({ duration: 5, connections: 8, ...options })
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, (stat as { count: number }).count]),
  )
  const expected = statusCodes[String(options.expectStatus ?? 200)] ?? 0
  const seconds = result.duration
  return {
    requestsPerSecond: result.requests.total / seconds,
    okPerSecond: expected / seconds,
    completed: expected,
    p50: result.latency.p50,
    p99: result.latency.p99,
    statusCodes,
  }
}

export function residentMiB(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024
  } catch {
    return Number.NaN
  }
}

const clockTicks = 100 // USER_HZ on Linux

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may hold spaces) start at the state, field 3; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / clockTicks
  } catch {
    return 0
  }
}

/** The PostgreSQL backends serving `databaseUrl`'s database, by pid. */
async function backendPids(databaseUrl: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ pid: number }>(
      "select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and application_name <> 'bench-admin'",
    )
    return rows.map((row) => row.pid)
  } finally {
    await client.end()
  }
}

export interface CpuPerOperation {
  /** Bridge CPU milliseconds per completed operation. */
  bridgeMs: number
  /** CPU milliseconds per completed operation of the PostgreSQL backends serving the bench database (sampled every second: a backend that ends between two samples loses at most its last second). */
  postgresMs: number
}

export type Measure = <T extends { completed: number }>(
  work: () => Promise<T>,
) => Promise<{ result: T; cpu: CpuPerOperation }>

/** Runs `work` and divides the CPU the bridge process and its PostgreSQL backends used meanwhile by the operations it completed. */
export async function cpuPerOperation<T>(
  bridge: { pid: number | undefined; databaseUrl: string },
  work: () => Promise<T>,
  operations: (result: T) => number,
): Promise<{ result: T; cpu: CpuPerOperation }> {
  const { pid } = bridge
  if (pid === undefined) throw new Error('the bridge process has no pid')
  // Backends come and go during a long run (the pool closes idle connections): sampled every second,
  // each backend counts from its first sample (0 when it started during the run) to its last.
  const first = new Map<number, number>()
  const last = new Map<number, number>()
  const sample = async (starting: boolean) => {
    for (const backend of await backendPids(bridge.databaseUrl)) {
      const seconds = processCpuSeconds(backend)
      if (!first.has(backend)) first.set(backend, starting ? seconds : 0)
      if (seconds > 0) last.set(backend, seconds)
    }
  }
  const bridgeBefore = processCpuSeconds(pid)
  await sample(true)
  const sampler = setInterval(() => void sample(false).catch(() => {}), 1000)
  let result: T
  try {
    result = await work()
  } finally {
    clearInterval(sampler)
  }
  const bridgeAfter = processCpuSeconds(pid)
  await sample(false)
  const postgres = [...last].reduce((sum, [backend, seconds]) => sum + seconds - (first.get(backend) ?? 0), 0)
  const count = Math.max(1, operations(result))
  return {
    result,
    cpu: { bridgeMs: ((bridgeAfter - bridgeBefore) * 1000) / count, postgresMs: (postgres * 1000) / count },
  }
}
