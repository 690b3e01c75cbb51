/*
 * `npm run bench`: builds the service, starts it from dist/ in production mode on a throw-away
 * PostgreSQL database with a fast local fake state-services provider and the ESIA simulator, runs every
 * scenario with bounded load on loopback, and writes bench/results.md: per scenario requests/s, p50/p99
 * and the CPU the bridge and PostgreSQL spent per operation (read from /proc), against issue 14's targets.
 */
import { findAccountByLogin } from '../src/accounts/account.repository.js'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { importAccounts } from '../src/accounts/import/import-accounts.js'
import { createPasswordHasher } from '../src/accounts/password-hash.js'
import { loadConfig } from '../src/config/load.js'
import { connectors } from '../src/upstream/connectors.js'
import { openDatabase } from '../src/db/open-database.js'
import { signAccessToken } from '../src/tokens/issue.js'
import { createKeyStore } from '../src/tokens/key-store.js'
import { keyPolicy } from '../src/tokens/signing-keys.js'
import { esiaKeys, esiaRegionFile, passEsia, startEsiaPeer } from '../peers/esia-peer.js'
import { startFakeIdp } from '../peers/fake-idp.js'
import {
  benchSecrets,
  cleanupDir,
  fakeIdpRegion,
  type CpuPerOperation,
  cpuPerOperation,
  createBenchDatabase,
  type LoadResult,
  load,
  type Measure,
  residentMiB,
  startBridge,
  writeBenchConfig,
} from './lib.js'
import { benchPassword, benchPasswords } from './password.js'
import { basicAuth, followRedirects } from './flows.js'
import { benchRefresh, benchStateServicesLogin, benchStatic, benchVerifier, refreshTokens } from './scenarios.js'
import { benchScim } from './scim.js'
import { benchSecondFactor, seedSecondFactorAccounts } from './second-factor.js'

const started = Date.now()
const port = 3900
const ssoSecret = 'bench-sso-secret'
const idp = await startFakeIdp({ clientId: 'bridge-sso', clientSecret: ssoSecret })
const database = await createBenchDatabase()
const keys = esiaKeys(mkdtempSync(join(tmpdir(), 'bench-esia-')))
const esia = await startEsiaPeer({ teardown: () => {} }, keys, `http://127.0.0.1:${port}/login/state-services/callback`)
const configDir = writeBenchConfig(port, {
  regions: {
    esia: { ...esiaRegionFile(esia, keys), name: { ru: 'Регион с ЕСИА', en: 'Region with ESIA' } },
    sso: fakeIdpRegion(idp.issuer, { ru: 'Регион с Госуслугами', en: 'Region with State Services' }),
  },
})
const env = { SSO_CLIENT_SECRET: ssoSecret }
const bridge = await startBridge({ port, configDir, databaseUrl: database.url, env })
const lines: string[] = []
const say = (line = '') => {
  lines.push(line)
  process.stdout.write(`${line}\n`)
}
const rate = (result: LoadResult) => `${result.okPerSecond.toFixed(0)}/s, p50 ${result.p50} ms, p99 ${result.p99} ms`
const check = (ok: boolean) => (ok ? '✔' : '✘')
const total = ({ cpu }: { cpu: CpuPerOperation }) => cpu.bridgeMs + cpu.postgresMs
const passes = Number(process.env.BENCH_PASSES ?? 3)

try {
  // Accounts, an access token and refresh-token families, straight in the database.
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
  const passwordHash = await hasher.hash(benchPassword)
  const csv = join(configDir, 'accounts.csv')
  writeFileSync(
    csv,
    `login,password_hash,role,family_name,given_name,patronymic,birth_date,snils\nbench-1,"${passwordHash}",pupil,Тестов,Тест,,,\n`,
  )
  await importAccounts(db, {
    file: csv,
    format: 'csv',
    region: '29',
    snilsPepper: config.secrets.snilsPepper.reveal(),
    hasher,
  })
  writeFileSync(
    csv,
    'login,password_hash,role,family_name,given_name,patronymic,birth_date,snils\n' +
      `sso-1,"${passwordHash}",pupil,Иванова,Мария,Петровна,2012-03-14,112-233-445 95\n`,
  )
  await importAccounts(db, {
    file: csv,
    format: 'csv',
    region: 'sso',
    snilsPepper: config.secrets.snilsPepper.reveal(),
    hasher,
  })
  await importAccounts(db, {
    file: csv,
    format: 'csv',
    region: 'esia',
    snilsPepper: config.secrets.snilsPepper.reveal(),
    hasher,
  })
  const secondFactor = {
    ...(await seedSecondFactorAccounts(db, {
      dir: configDir,
      passwordHash,
      snilsPepper: config.secrets.snilsPepper.reveal(),
      keyEncryptionKey: config.secrets.keyEncryptionKey.reveal(),
      hasher,
    })),
    next: 0,
  }
  await hasher.close()
  const account = await findAccountByLogin(db, '29', 'bench-1')
  if (account === undefined) throw new Error('bench-1 was not imported')
  const keys = createKeyStore(db, {
    kek: config.secrets.keyEncryptionKey.reveal(),
    policy: keyPolicy(config),
    now: () => new Date(),
  })
  const { token } = await signAccessToken(keys, {
    issuer: bridge.url,
    audience: 'https://bench.example/api',
    clientId: 'bench',
    scope: 'openid profile',
    account,
    ttlSeconds: 3600,
    now: new Date(),
    authentication: { authTime: new Date(), acr: 'password', amr: 'pwd' },
  })
  const families = await refreshTokens(db, account, 8 * (passes + 1))
  await db.destroy()
  const basic = basicAuth({ clientId: 'bench', clientSecret: benchSecrets.BENCH_CLIENT_SECRET })

  // Idle: a minute without a request (V8 shrinks its heap after some 10-30 s of idleness).
  await new Promise((resolve) => setTimeout(resolve, 60_000))
  const idleMemory = residentMiB(bridge.child.pid)

  // Each scenario runs `passes` times and reports its median pass by CPU per operation: this machine's
  // neighbours move single runs by a third either way.
  const measure: Measure = async (work) => {
    const runs = []
    for (let pass = 0; pass < passes; pass++)
      runs.push(
        await cpuPerOperation({ pid: bridge.child.pid, databaseUrl: database.url }, work, (result) => result.completed),
      )
    runs.sort((a, b) => total(a) - total(b))
    return runs[Math.floor(runs.length / 2)] as (typeof runs)[number]
  }
  const healthz = await measure(() => benchStatic(`${bridge.url}/healthz`))
  const jwks = await measure(() => benchStatic(`${bridge.url}/.well-known/jwks.json`))
  const discovery = await measure(() => benchStatic(`${bridge.url}/.well-known/openid-configuration`))
  const verifier = await benchVerifier(bridge.url, token)
  const introspect = await measure(() =>
    load({
      url: `${bridge.url}/introspect`,
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${token}`,
      connections: 8,
      duration: 5,
    }),
  )
  const refresh = await measure(() => benchRefresh(bridge.url, basic, families))
  const passwords = await benchPasswords(bridge, { passwordHash, accessToken: token }, measure)
  const factors = await benchSecondFactor(bridge.url, secondFactor, benchPassword, measure)
  const login = (region: string, pass: Parameters<typeof benchStateServicesLogin>[1]['pass']) =>
    measure(() =>
      benchStateServicesLogin(bridge.url, {
        clientSecret: benchSecrets.BENCH_CLIENT_SECRET,
        region,
        pass,
        users: 8,
        seconds: 8,
      }),
    )
  const sso = await login('sso', followRedirects)
  const esiaLogin = await login('esia', async (url) => (await passEsia(new URL(url), { person: 'maria' })).href)
  const scim = await benchScim(bridge.url, benchSecrets.BENCH_SYNC_SECRET, measure)
  const afterMemory = residentMiB(bridge.child.pid)

  const floor = total(healthz)
  const cpuCells = ({ cpu }: { cpu: CpuPerOperation }) =>
    `${cpu.bridgeMs.toFixed(2)} ms | ${cpu.postgresMs.toFixed(2)} ms | ${(1000 / (cpu.bridgeMs + cpu.postgresMs)).toFixed(0)}/s`
  const row = (name: string, measured: { result: LoadResult; cpu: CpuPerOperation }, target = '') =>
    say(`| ${name} | ${rate(measured.result)} | ${cpuCells(measured)} | ${target} |`)
  const within = (measured: { cpu: CpuPerOperation }, limitMs: number) =>
    `≤ ${limitMs} ms ${check(total(measured) <= limitMs)}`
  say(
    `CPU per operation: the bridge process and the PostgreSQL backends of the bench database, read from \`/proc\` before and after each bounded load and divided by the operations completed; each row is the median of ${passes} runs (BENCH_PASSES); "per core" is 1 s of CPU divided by their sum. Requests/s share the 2 cores with the load generator and mostly measure it.`,
  )
  say()
  say(
    '| scenario | requests/s, latency | bridge CPU/op | PostgreSQL CPU/op | per core | target (bridge + PostgreSQL) |',
  )
  say('| --- | --- | --- | --- | --- | --- |')
  row('GET /healthz (the floor)', healthz)
  row(
    'GET /.well-known/jwks.json',
    jwks,
    `≤ 1.2× the floor (${(total(jwks) / floor).toFixed(2)}×) ${check(total(jwks) <= 1.2 * floor)}`,
  )
  row(
    'GET /.well-known/openid-configuration',
    discovery,
    `≤ 1.2× the floor (${(total(discovery) / floor).toFixed(2)}×) ${check(total(discovery) <= 1.2 * floor)}`,
  )
  row('POST /introspect', introspect, within(introspect, 0.3))
  row('GET /userinfo', passwords.userinfoIdle, within(passwords.userinfoIdle, 0.3))
  row('refresh grant (rotating)', refresh, within(refresh, 0.8))
  const signInShare = passwords.signIn.result.okPerSecond / passwords.rawVerifyPerSecond
  row(
    'password sign-in',
    passwords.signIn,
    `≥ 85 % of raw argon2id verify (${passwords.rawVerifyPerSecond.toFixed(1)}/s, ${passwords.workers} worker): ${(signInShare * 100).toFixed(0)} % ${check(signInShare >= 0.85)}`,
  )
  const factorLimit = total(passwords.signIn) + 1
  say(
    `| password + one-time code sign-in (two requests; each another teacher with a code app), 4 users | ${factors.signIn.result.okPerSecond.toFixed(1)}/s, p50 ${factors.signIn.result.p50} ms, p99 ${factors.signIn.result.p99} ms, ${factors.signIn.result.failures} failures | ${cpuCells(factors.signIn)} | ≤ the password sign-in + 1 ms (${factorLimit.toFixed(2)} ms) ${check(total(factors.signIn) <= factorLimit)} |`,
  )
  const loginRow = (name: string, measured: Awaited<ReturnType<typeof login>>, target: string) =>
    say(
      `| ${name}, 8 users | ${measured.result.perSecond.toFixed(1)}/s, p50 ${measured.result.p50} ms, p99 ${measured.result.p99} ms, ${measured.result.failures} failures | ${cpuCells(measured)} | ${target} |`,
    )
  loginRow(
    'State Services login of a linked person through standard OIDC (authorize → region page → start → provider → callback → code → token)',
    sso,
    within(sso, 5),
  )
  loginRow(
    'the same login through ESIA (GOST-signed requests, GOST ID token, person resource)',
    esiaLogin,
    within(esiaLogin, 5),
  )
  row('SCIM create without a password', scim.createWithout, within(scim.createWithout, 1))
  row('SCIM create with a password (argon2id)', scim.createWith, 'argon2id is the cost')
  row('SCIM get by filter (userName eq)', scim.getByFilter, within(scim.getByFilter, 0.5))
  row('SCIM PATCH active (deactivate / reactivate)', scim.patchActive, within(scim.patchActive, 1))
  say(
    `| SCIM Bulk of 1,000 creates without passwords | ${scim.bulkSeconds.toFixed(2)} s (median of ${passes}) | ${(scim.bulk.cpu.bridgeMs * 1000).toFixed(0)} ms | ${(scim.bulk.cpu.postgresMs * 1000).toFixed(0)} ms | | ≤ 3 s ${check(scim.bulkSeconds <= 3)} |`,
  )
  say()
  say('| other checks | result | target |')
  say('| --- | --- | --- |')
  say(
    `| verifier (src/verify) on a bearer token, in process | ${verifier.verifier.toFixed(0)}/s vs raw jose ${verifier.raw.toFixed(0)}/s (${((verifier.verifier / verifier.raw) * 100).toFixed(0)} %) | ≥ 80 % ${check(verifier.verifier / verifier.raw >= 0.8)} |`,
  )
  const slowdown = passwords.userinfoIdle.result.okPerSecond / passwords.userinfoLoaded.okPerSecond
  say(
    `| /userinfo idle → with password workers and queue saturated | ${passwords.userinfoIdle.result.okPerSecond.toFixed(0)}/s → ${passwords.userinfoLoaded.okPerSecond.toFixed(0)}/s (p99 ${passwords.userinfoLoaded.p99} ms), ${slowdown.toFixed(2)}× slower | ≤ 2× ${check(slowdown <= 2)} |`,
  )
  say(
    `| /userinfo during a 64-connection sign-in flood | ${passwords.userinfoFlooded.okPerSecond.toFixed(0)}/s (p99 ${passwords.userinfoFlooded.p99} ms); sign-ins ${passwords.signInFlood.okPerSecond.toFixed(1)}/s, ${passwords.signInFlood.statusCodes['503'] ?? 0} shed with 503 | |`,
  )
  say(
    `| passkey assertion verified (factors/passkey.ts, ES256), in process | ${factors.passkeyMs.toFixed(2)} ms each | ≤ 2 ms ${check(factors.passkeyMs <= 2)} |`,
  )
  say(
    `| resident memory | idle (a minute without requests) ${idleMemory.toFixed(0)} MiB, after the run ${afterMemory.toFixed(0)} MiB | idle ≤ 100 MiB ${check(idleMemory <= 100)} |`,
  )
  const missed: string[] = []
  for (const [name, measured, limit] of [
    ['introspection', introspect, 0.3],
    ['userinfo', passwords.userinfoIdle, 0.3],
    ['refresh', refresh, 0.8],
    ['OIDC login', sso, 5],
    ['ESIA login', esiaLogin, 5],
    ['SCIM create without a password', scim.createWithout, 1],
    ['SCIM get by filter', scim.getByFilter, 0.5],
    ['SCIM PATCH active', scim.patchActive, 1],
  ] as const) {
    if (total(measured) > limit)
      missed.push(
        `${name}: ${total(measured).toFixed(2)} ms of CPU per operation (target ${limit} ms): see "Where the time goes" below.`,
      )
  }
  if (total(factors.signIn) > factorLimit)
    missed.push(
      `password + one-time code sign-in: ${total(factors.signIn).toFixed(2)} ms of CPU per sign-in, ${(total(factors.signIn) - total(passwords.signIn)).toFixed(2)} ms above the password sign-in (target 1 ms): a second HTTP request (cookies decrypted and sealed again, CSRF, a log line) and about ten statements (the step's use mark, the factor throttle read and reset, the code app read and its step spent, the audit event, the session) — to fold into fewer statements.`,
    )
  if (total(jwks) > 1.2 * floor || total(discovery) > 1.2 * floor)
    missed.push(
      'JWKS or discovery above 1.2× the /healthz floor in CPU per request: at the production level (info) each of them writes its request log line (~0.05 ms) and /healthz, a probe, logs only at debug; at BENCH_LOG_LEVEL=warn they stay within 1.2×.',
    )
  if (verifier.verifier / verifier.raw < 0.8)
    missed.push(
      'Verifier below 80 % of raw jose: run-to-run noise on this machine has ranged 80–109 %; the verifier resolves each key once per JWKS fetch.',
    )
  if (signInShare < 0.85) {
    missed.push(
      'Password sign-in below 85 % of raw argon2id: the raw rate is measured while the bridge is idle, the sign-ins while its main thread, PostgreSQL and the load generator compete with the worker for 2 cores; runs have ranged 82–109 %.',
    )
  }
  if (slowdown > 2)
    missed.push(
      '/userinfo slowed more than 2×: see the flood row; the pool refuses excess work at the door, before cookies or bodies are read.',
    )
  if (idleMemory > 100)
    missed.push('Idle memory above 100 MiB: start with `--max-semi-space-size=4` (npm start and the Docker image do).')
  if (missed.length > 0) {
    say()
    say('### Targets missed, why, and what would fix it')
    say()
    for (const line of missed) say(`- ${line}`)
  }
} finally {
  await bridge.stop()
  await idp.close()
  await esia.close()
  await database.drop()
  cleanupDir(configDir)
  cleanupDir(keys.dir)
}
// The first school day (bench:mixed takes 13 minutes on its own): its last results, as they were written.
say()
say(mixedSummary())
// The profiles' reading (bench:profile), kept by hand beside the numbers it explains.
say()
say(readFileSync('bench/where-the-time-goes.md', 'utf8').trim())
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, PostgreSQL on the same machine, load generator (autocannon) in the same machine`
say()
say(`Whole run: ${((Date.now() - started) / 1000).toFixed(0)} s.`)
writeFileSync(
  'bench/results.md',
  `# Benchmark results\n\nMachine: ${machine}. Run: ${new Date().toISOString()}.\n\n${lines.join('\n')}\n`,
)

/** The operations table and the totals of the last `npm run bench:mixed` (bench/mixed-results.md), without its table counts. */
function mixedSummary(): string {
  let text: string
  try {
    text = readFileSync('bench/mixed-results.md', 'utf8')
  } catch {
    return '## The first school day\n\nNo mixed run yet: `npm run bench:mixed` writes bench/mixed-results.md.'
  }
  const run = /Run: (\S+)\.$/m.exec(text)?.[1] ?? 'unknown'
  const body = text.slice(text.indexOf('\n\n', text.indexOf('Run:')) + 2, text.indexOf('Table rows each minute')).trim()
  return `## The first school day (the last \`npm run bench:mixed\`, ${run}; its table sizes are in bench/mixed-results.md)\n\n${body}`
}
