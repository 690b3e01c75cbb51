/*
 * `npm run bench:mixed`: the first school day. The built bridge in production mode on a throw-away
 * PostgreSQL database with MIXED_ACCOUNTS (100,000) diary accounts of one region, its State Services
 * played by the fast fake OIDC provider (a person per account, chosen by the benchmark's browser).
 * - calibration: the mix below, closed loop (8 users) for MIXED_CALIBRATION_SECONDS (30): its rate is
 *   the capacity
 * - the run: a fixed arrival rate of half that capacity (or MIXED_RATE per second) for MIXED_MINUTES
 *   (10), open loop: an operation starts on schedule whether the earlier ones have finished or not
 * - the mix: federated logins of linked persons and of new ones (their first login links them by
 *   SNILS), password logins, refreshes, /userinfo and /introspect with the tokens the logins gave
 * - short lifetimes and retention (below) with the maintenance job every minute, so that every
 *   expiring table reaches its steady state within the run: the row counts each minute show it bounded
 * Reports p50/p99 and errors per operation, bridge and PostgreSQL CPU per operation (from /proc), the
 * resident memory at start, middle and end, and the table sizes; writes bench/mixed-results.md.
 */
import { availableParallelism, cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { readFileSync, writeFileSync } from 'node:fs'
import pg from 'pg'
import { importAccounts } from '../src/accounts/import/import-accounts.js'
import { createPasswordHasher } from '../src/accounts/password-hash.js'
import { snilsCheckNumber } from '../src/person/snils.js'
import { startFakeIdp } from '../peers/fake-idp.js'
import {
  basicAuth,
  followRedirectsWith,
  type ModuleOptions,
  type ModuleTokens,
  passwordLogin,
  stateServicesLogin,
} from './flows.js'
import {
  benchSecrets,
  cleanupDir,
  fakeIdpRegion,
  cpuPerOperation,
  createBenchDatabase,
  residentMiB,
  startBridge,
  writeBenchConfig,
} from './lib.js'

const minutes = Number(process.env.MIXED_MINUTES ?? 10)
const accountCount = Number(process.env.MIXED_ACCOUNTS ?? 100_000)
const calibrationSeconds = Number(process.env.MIXED_CALIBRATION_SECONDS ?? 30)
const fixedRate = process.env.MIXED_RATE === undefined ? undefined : Number(process.env.MIXED_RATE)
const port = 3910
const password = 'first-school-day-1'
const region = 'sso'

/** Lifetimes short enough that every expiring table turns over within the run. */
const shortLifetimes = {
  loginTransactionTtlSeconds: 60,
  tokens: { accessTokenTtlSeconds: 60, idTokenTtlSeconds: 60, refreshTokenTtlSeconds: 300 },
  session: { idleTimeoutSeconds: 60, absoluteLifetimeSeconds: 300 },
  maintenance: { intervalSeconds: 60, marginSeconds: 0 },
  audit: { retentionDays: 0.003 },
}

const families = [
  'Иванов',
  'Петров',
  'Смирнов',
  'Кузнецов',
  'Попов',
  'Васильев',
  'Соколов',
  'Михайлов',
  'Новиков',
  'Фёдоров',
]
const givenNames = [
  'Александр',
  'Дмитрий',
  'Максим',
  'Сергей',
  'Андрей',
  'Алексей',
  'Артём',
  'Илья',
  'Кирилл',
  'Михаил',
]
const patronymics = [
  'Иванович',
  'Петрович',
  'Сергеевич',
  'Андреевич',
  'Олегович',
  'Павлович',
  'Юрьевич',
  'Игоревич',
  'Романович',
  'Львович',
]

/** Account n's person: a unique, valid SNILS and a name; the same data in the diary and at State Services. */
function person(n: number) {
  const nine = String(200_000_000 + n)
  const check = String(snilsCheckNumber(nine)).padStart(2, '0')
  return {
    login: `pupil-${n}`,
    family: families[n % 10] as string,
    given: givenNames[Math.floor(n / 10) % 10] as string,
    patronymic: patronymics[Math.floor(n / 100) % 10] as string,
    birthDate: `20${String(10 + (n % 8)).padStart(2, '0')}-0${1 + (n % 9)}-1${n % 10}`,
    snils: `${nine.slice(0, 3)}-${nine.slice(3, 6)}-${nine.slice(6, 9)} ${check}`,
  }
}

const personOfSub = (sub: string) => {
  const p = person(Number(sub.slice(2)))
  return {
    family_name: p.family,
    given_name: p.given,
    middle_name: p.patronymic,
    birthdate: p.birthDate,
    snils: p.snils,
    trusted: true,
  }
}

type Operation = 'login_linked' | 'login_new' | 'login_password' | 'refresh' | 'userinfo' | 'introspect'

/** Shares of the mix: a module signs in, then refreshes and calls the API many times per session. */
const mix: [Operation, number][] = [
  ['login_linked', 0.1],
  ['login_new', 0.05],
  ['login_password', 0.02],
  ['refresh', 0.33],
  ['userinfo', 0.3],
  ['introspect', 0.2],
]

function pick(): Operation {
  let r = Math.random()
  for (const [operation, share] of mix) if ((r -= share) < 0) return operation
  return 'userinfo'
}

const idp = await startFakeIdp({ clientId: 'bridge-sso', clientSecret: 'bench-sso-secret', persons: personOfSub })
const database = await createBenchDatabase()
const configDir = writeBenchConfig(port, {
  regions: {
    [region]: fakeIdpRegion(idp.issuer, { ru: 'Регион первого учебного дня', en: 'First school day region' }),
  },
})
const bridgeFile = join(configDir, 'bridge.json')
writeFileSync(bridgeFile, JSON.stringify({ ...JSON.parse(readFileSync(bridgeFile, 'utf8')), ...shortLifetimes }))
const bridge = await startBridge({
  port,
  configDir,
  databaseUrl: database.url,
  env: { SSO_CLIENT_SECRET: 'bench-sso-secret' },
})
const lines: string[] = []
const say = (line = '') => {
  lines.push(line)
  process.stdout.write(`${line}\n`)
}
// The benchmark's own connection (table counts): named, so that its CPU is not charged to the bridge.
const admin = new pg.Client({ connectionString: database.url, application_name: 'bench-admin' })

try {
  await admin.connect()
  const started = performance.now()
  const hasher = createPasswordHasher({ workers: 1 })
  const hash = await hasher.hash(password)
  const csv = join(configDir, 'accounts.csv')
  const rows = Array.from({ length: accountCount }, (_, n) => {
    const p = person(n)
    return `${p.login},"${hash}",pupil,${p.family},${p.given},${p.patronymic},${p.birthDate},${p.snils}`
  })
  writeFileSync(
    csv,
    `login,password_hash,role,family_name,given_name,patronymic,birth_date,snils\n${rows.join('\n')}\n`,
  )
  const { loadConfig } = await import('../src/config/load.js')
  const { connectors } = await import('../src/upstream/connectors.js')
  const { openDatabase } = await import('../src/db/open-database.js')
  const { config } = loadConfig({
    connectors,
    env: {
      ...benchSecrets,
      SSO_CLIENT_SECRET: 'x',
      BRIDGE_CONFIG_DIR: configDir,
      DATABASE_URL: database.url,
      NODE_ENV: 'production',
      PUBLIC_URL: bridge.url,
    },
  })
  const db = await openDatabase({ databaseUrl: database.url })
  const report = await importAccounts(db, {
    file: csv,
    format: 'csv',
    region,
    snilsPepper: config.secrets.snilsPepper.reveal(),
    hasher,
  })
  await db.destroy()
  await hasher.close()
  if (report.rejected.length > 0) throw new Error(`import problems: ${JSON.stringify(report.rejected.slice(0, 3))}`)
  say(
    `Imported ${accountCount.toLocaleString('en')} accounts in ${((performance.now() - started) / 1000).toFixed(0)} s.`,
  )

  const module: ModuleOptions = {
    bridgeUrl: bridge.url,
    clientId: 'bench',
    clientSecret: benchSecrets.BENCH_CLIENT_SECRET,
    redirectUri: 'https://bench.example/callback',
    region,
    scope: 'openid profile offline_access',
  }
  const basic = basicAuth(module)
  const unlinked = Array.from({ length: accountCount }, (_, n) => n)
  for (let i = unlinked.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[unlinked[i], unlinked[j]] = [unlinked[j] as number, unlinked[i] as number]
  }
  const linked: number[] = []
  /** The diary modules' token sets; a module keeps the newest 2,000 and forgets older ones (they expire). */
  const tokens: (ModuleTokens & { obtainedAt: number })[] = []
  const keep = (set: ModuleTokens) => {
    tokens.push({ ...set, obtainedAt: Date.now() })
    if (tokens.length > 2000) tokens.shift()
  }
  /** An access token a module would still use: younger than its lifetime, with 10 s to spare. */
  const anyAccessToken = () => {
    const fresh = tokens.filter(
      (set) => set.obtainedAt > Date.now() - (shortLifetimes.tokens.accessTokenTtlSeconds - 10) * 1000,
    )
    return fresh[Math.floor(Math.random() * fresh.length)]?.accessToken
  }

  const expectOk = async (response: Response, what: string) => {
    if (response.status !== 200) throw new Error(`${what} answered ${response.status}`)
    return response.json() as Promise<Record<string, unknown>>
  }
  const operations: Record<Operation, () => Promise<void>> = {
    login_linked: async () => {
      const n = linked[Math.floor(Math.random() * linked.length)]
      if (n === undefined) return operations.login_new()
      keep(await stateServicesLogin(module, followRedirectsWith({ 'x-fake-person': `p-${n}` })))
    },
    login_new: async () => {
      const n = unlinked.pop()
      if (n === undefined) throw new Error('every person is linked')
      keep(await stateServicesLogin(module, followRedirectsWith({ 'x-fake-person': `p-${n}` })))
      linked.push(n)
    },
    login_password: async () =>
      keep(await passwordLogin(module, `pupil-${Math.floor(Math.random() * accountCount)}`, password)),
    refresh: async () => {
      // Taken out of the pool while in flight: a refresh token is used once.
      const index = tokens.findIndex((set) => set.refreshToken !== undefined)
      const [set] = index === -1 ? [] : tokens.splice(index, 1)
      if (set?.refreshToken === undefined) return operations.userinfo()
      const answer = await expectOk(
        await fetch(`${bridge.url}/token`, {
          method: 'POST',
          headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: set.refreshToken }).toString(),
        }),
        'refresh',
      )
      keep({ accessToken: String(answer.access_token), refreshToken: String(answer.refresh_token) })
    },
    userinfo: async () => {
      await expectOk(
        await fetch(`${bridge.url}/userinfo`, { headers: { authorization: `Bearer ${anyAccessToken()}` } }),
        'userinfo',
      )
    },
    introspect: async () => {
      const answer = await expectOk(
        await fetch(`${bridge.url}/introspect`, {
          method: 'POST',
          headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token: anyAccessToken() ?? '' }).toString(),
        }),
        'introspect',
      )
      if (answer.active !== true) throw new Error('introspect: inactive')
    },
  }

  interface Stats {
    latencies: number[]
    errors: number
    firstError?: string
  }
  const newStats = () =>
    Object.fromEntries(mix.map(([operation]) => [operation, { latencies: [] as number[], errors: 0 }])) as Record<
      Operation,
      Stats
    >
  async function run(operation: Operation, stats: Record<Operation, Stats>): Promise<void> {
    const begun = performance.now()
    try {
      await operations[operation]()
      stats[operation].latencies.push(performance.now() - begun)
    } catch (error) {
      stats[operation].errors++
      stats[operation].firstError ??= error instanceof Error ? error.message : String(error)
    }
  }
  const completed = (stats: Record<Operation, Stats>) =>
    Object.values(stats).reduce((sum, s) => sum + s.latencies.length, 0)

  // Warm-up: a few logins so that refreshes and API calls have tokens.
  const warm = newStats()
  for (let i = 0; i < 40; i++) await run('login_new', warm)

  // Calibration: closed loop, 8 users.
  const calibration = newStats()
  const calibrationEnd = performance.now() + calibrationSeconds * 1000
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (performance.now() < calibrationEnd) await run(pick(), calibration)
    }),
  )
  const capacity = completed(calibration) / calibrationSeconds
  const rate = fixedRate ?? capacity / 2
  say(
    `Capacity of the mix (closed loop, 8 users, ${calibrationSeconds} s): ${capacity.toFixed(0)} operations/s; the run arrives at ${rate.toFixed(0)}/s for ${minutes} min.`,
  )

  const tables = (
    await admin.query<{ name: string }>(
      `select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not like 'kysely_%' order by 1`,
    )
  ).rows.map((row) => row.name)
  const tableCounts = async () => {
    const { rows } = await admin.query<Record<string, string>>(
      `select ${tables.map((name) => `(select count(*) from ${name}) as ${name}`).join(', ')}`,
    )
    return Object.fromEntries(Object.entries(rows[0] ?? {}).map(([name, count]) => [name, Number(count)]))
  }
  const snapshots: { minute: number; rssMiB: number; counts: Record<string, number> }[] = [
    { minute: 0, rssMiB: residentMiB(bridge.child.pid), counts: await tableCounts() },
  ]

  // The run: open loop at a fixed arrival rate; at most 1,000 operations in flight (more counts as an error).
  const stats = newStats()
  let dropped = 0
  const { cpu } = await cpuPerOperation(
    { pid: bridge.child.pid, databaseUrl: database.url },
    async () => {
      const inFlight = new Set<Promise<void>>()
      const begin = performance.now()
      const end = begin + minutes * 60_000
      let launched = 0
      let nextSnapshot = begin + 60_000
      while (performance.now() < end) {
        const due = Math.floor(((performance.now() - begin) / 1000) * rate)
        for (; launched < due; launched++) {
          if (inFlight.size >= 1000) {
            dropped++
            continue
          }
          const promise = run(pick(), stats).finally(() => inFlight.delete(promise))
          inFlight.add(promise)
        }
        if (performance.now() >= nextSnapshot) {
          // Taken beside the schedule, not in it: a pause here would send the next arrivals in a burst.
          nextSnapshot += 60_000
          const minute = Math.round((performance.now() - begin) / 60_000)
          const rssMiB = residentMiB(bridge.child.pid)
          void tableCounts().then((counts) => {
            snapshots.push({ minute, rssMiB, counts })
            process.stdout.write(
              `minute ${minute}: ${completed(stats)} operations, ${inFlight.size} in flight, RSS ${rssMiB.toFixed(0)} MiB\n`,
            )
          })
        }
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      await Promise.all(inFlight)
      return completed(stats)
    },
    (count) => count,
  )
  snapshots.push({ minute: minutes, rssMiB: residentMiB(bridge.child.pid), counts: await tableCounts() })
  snapshots.sort((a, b) => a.minute - b.minute)

  say()
  say(`| operation | completed | errors | p50 ms | p99 ms | target |`)
  say('| --- | --- | --- | --- | --- | --- |')
  const quantile = (sorted: number[], q: number) =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN)
  for (const [operation] of mix) {
    const { latencies, errors, firstError } = stats[operation]
    const sorted = [...latencies].sort((a, b) => a - b)
    const p99 = quantile(sorted, 0.99)
    const target = operation === 'login_password' ? '' : `p99 ≤ 250 ms ${p99 <= 250 ? '✔' : '✘'}`
    say(
      `| ${operation} | ${latencies.length} | ${errors}${firstError ? ` (${firstError})` : ''} | ${quantile(sorted, 0.5)} | ${p99} | ${target} |`,
    )
  }
  const total = completed(stats)
  const errors = Object.values(stats).reduce((sum, s) => sum + s.errors, 0) + dropped
  say()
  say(
    `${total} operations in ${minutes} min (${(total / (minutes * 60)).toFixed(0)}/s), ${errors} errors (${dropped} not started: too many in flight) ${errors === 0 ? '✔' : '✘'}.`,
  )
  say(
    `CPU per operation of the mix: bridge ${cpu.bridgeMs.toFixed(2)} ms + PostgreSQL ${cpu.postgresMs.toFixed(2)} ms.`,
  )
  const [first, middle, last] = [snapshots[0], snapshots[Math.floor(snapshots.length / 2)], snapshots.at(-1)]
  const growth = (last?.rssMiB ?? Number.NaN) / (first?.rssMiB ?? Number.NaN) - 1
  say(
    `Resident memory: start ${first?.rssMiB.toFixed(0)} MiB, middle ${middle?.rssMiB.toFixed(0)} MiB, end ${last?.rssMiB.toFixed(0)} MiB (${(growth * 100).toFixed(0)} %; ≤ 20 % ${growth <= 0.2 ? '✔' : '✘'}).`,
  )
  say()
  say(`Table rows each minute (lifetimes ${JSON.stringify(shortLifetimes)}; the maintenance job runs every minute):`)
  say()
  say(`| table | ${snapshots.map((s) => `min ${s.minute}`).join(' | ')} |`)
  say(`| --- | ${snapshots.map(() => '---').join(' | ')} |`)
  for (const table of tables) say(`| ${table} | ${snapshots.map((s) => s.counts[table] ?? '').join(' | ')} |`)
  const metrics = await (await fetch(`${bridge.url}/metrics`)).text()
  const deleted = [...metrics.matchAll(/^bridge_maintenance_deleted_rows_total\{table="(\w+)"\} (\d+)/gm)].map(
    ([, table, count]) => `${table} ${count}`,
  )
  say()
  say(`Deleted by the maintenance job during the run: ${deleted.join(', ') || 'nothing'}.`)
} finally {
  await admin.end().catch(() => undefined)
  await bridge.stop()
  await idp.close()
  await database.drop()
  cleanupDir(configDir)
}
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, PostgreSQL and the load generator on the same machine`
writeFileSync(
  'bench/mixed-results.md',
  `# The first school day: mixed run\n\nMachine: ${machine}. Run: ${new Date().toISOString()}.\n\n${lines.join('\n')}\n`,
)
