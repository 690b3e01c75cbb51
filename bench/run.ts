/*
 * `npm run bench`: builds the service, starts it from dist/ in production mode on a throw-away
 * PostgreSQL database with a fast local fake state-services provider and the ESIA simulator, runs every
 * scenario with bounded load on loopback, and writes bench/results.md. Every ratio is measured in the
 * same run; logins also report the CPU the bridge and PostgreSQL spent per login (read from /proc).
 */
import { findAccountByLogin } from '../src/accounts/account.repository.js'
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { importAccounts } from '../src/accounts/import/import-accounts.js'
import { createPasswordHasher } from '../src/accounts/password-hash.js'
import { loadConfig } from '../src/config/load.js'
import { openDatabase } from '../src/db/open-database.js'
import { signAccessToken } from '../src/tokens/issue.js'
import { createKeyStore } from '../src/tokens/key-store.js'
import { keyPolicy } from '../src/tokens/signing-keys.js'
import { esiaKeys, esiaRegionFile, passEsia, startTestEsia } from '../test/helpers/esia-world.js'
import { startFakeIdp } from '../test/helpers/fake-idp.js'
import { benchSecrets, cleanupDir, cpuPerOperation, createBenchDatabase, type LoadResult, load, residentMiB, startBridge, writeBenchConfig } from './lib.js'
import { benchPassword, benchPasswords } from './password.js'
import { followRedirects } from './flows.js'
import { benchRefresh, benchStateServicesLogin, benchStatic, benchVerifier, refreshTokens } from './scenarios.js'

const started = Date.now()
const port = 3900
const helloPort = 3901
const ssoSecret = 'bench-sso-secret'
const idp = await startFakeIdp({ clientId: 'bridge-sso', clientSecret: ssoSecret })
const database = await createBenchDatabase()
const keys = esiaKeys(mkdtempSync(join(tmpdir(), 'bench-esia-')))
const esia = await startTestEsia({ teardown: () => {} }, keys, `http://127.0.0.1:${port}/login/state-services/callback`)
const configDir = writeBenchConfig(port, {
  regions: {
    esia: { ...esiaRegionFile(esia, keys), name: { ru: 'Регион с ЕСИА', en: 'Region with ESIA' } },
    sso: {
      name: { ru: 'Регион с Госуслугами', en: 'Region with State Services' },
      stateServices: {
        enabled: true,
        provider: {
          issuer: idp.issuer,
          clientId: 'bridge-sso',
          clientSecretEnv: 'SSO_CLIENT_SECRET',
          scopes: ['openid'],
          claims: { familyName: 'family_name', givenName: 'given_name', patronymic: 'middle_name', birthDate: 'birthdate', snils: 'snils', verified: 'trusted' },
        },
      },
    },
  },
})
const env = { SSO_CLIENT_SECRET: ssoSecret }
const hello = spawn(process.execPath, ['--import', 'tsx', 'bench/hello-world.ts', String(helloPort)], { stdio: 'ignore' })
const bridge = await startBridge({ port, configDir, databaseUrl: database.url, env })
const lines: string[] = []
const say = (line = '') => {
  lines.push(line)
  process.stdout.write(`${line}\n`)
}
const rate = (result: LoadResult) => `${result.okPerSecond.toFixed(0)}/s, p50 ${result.p50} ms, p99 ${result.p99} ms`
const check = (ok: boolean) => (ok ? '✔' : '✘')

try {
  // Accounts, an access token and refresh-token families, straight in the database.
  const { config } = loadConfig({ env: { ...benchSecrets, ...env, BRIDGE_CONFIG_DIR: configDir, DATABASE_URL: database.url, NODE_ENV: 'production', PUBLIC_URL: bridge.url } })
  const db = await openDatabase({ databaseUrl: database.url })
  const hasher = createPasswordHasher({ workers: 1 })
  const passwordHash = await hasher.hash(benchPassword)
  const csv = join(configDir, 'accounts.csv')
  writeFileSync(csv, `login,password_hash,role,family_name,given_name,patronymic,birth_date,snils\nbench-1,"${passwordHash}",pupil,Тестов,Тест,,,\n`)
  await importAccounts(db, { file: csv, format: 'csv', region: '29', snilsPepper: config.secrets.snilsPepper.reveal(), hasher })
  writeFileSync(csv, 'login,password_hash,role,family_name,given_name,patronymic,birth_date,snils\n' + `sso-1,"${passwordHash}",pupil,Иванова,Мария,Петровна,2012-03-14,112-233-445 95\n`)
  await importAccounts(db, { file: csv, format: 'csv', region: 'sso', snilsPepper: config.secrets.snilsPepper.reveal(), hasher })
  await importAccounts(db, { file: csv, format: 'csv', region: 'esia', snilsPepper: config.secrets.snilsPepper.reveal(), hasher })
  await hasher.close()
  const account = await findAccountByLogin(db, '29', 'bench-1')
  if (account === undefined) throw new Error('bench-1 was not imported')
  const keys = createKeyStore(db, { kek: config.secrets.keyEncryptionKey.reveal(), policy: keyPolicy(config), now: () => new Date() })
  const { token } = await signAccessToken(keys, { issuer: bridge.url, audience: 'https://bench.example/api', clientId: 'bench', scope: 'openid profile', account, ttlSeconds: 3600, now: new Date() })
  const families = await refreshTokens(db, account.id, 8)
  await db.destroy()
  const basic = `Basic ${Buffer.from(`bench:${benchSecrets.BENCH_CLIENT_SECRET}`).toString('base64')}`

  await new Promise((resolve) => setTimeout(resolve, 2000))
  const idleMemory = residentMiB(bridge.child.pid)

  const helloWorld = await benchStatic(`http://127.0.0.1:${helloPort}/`)
  const jwks = await benchStatic(`${bridge.url}/.well-known/jwks.json`)
  const discovery = await benchStatic(`${bridge.url}/.well-known/openid-configuration`)
  const verifier = await benchVerifier(bridge.url, token)
  const introspect = await load({
    url: `${bridge.url}/introspect`,
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: `token=${token}`,
    connections: 8,
    duration: 5,
  })
  const refresh = await benchRefresh(bridge.url, basic, families)
  const passwords = await benchPasswords(bridge, { passwordHash, accessToken: token })
  const login = (region: string, pass: Parameters<typeof benchStateServicesLogin>[1]['pass']) =>
    cpuPerOperation({ pid: bridge.child.pid, databaseUrl: database.url }, () => benchStateServicesLogin(bridge.url, { clientSecret: benchSecrets.BENCH_CLIENT_SECRET, region, pass, users: 8, seconds: 8 }), (result) => result.completed)
  const sso = await login('sso', followRedirects)
  const esiaLogin = await login('esia', async (url) => (await passEsia(new URL(url), { person: 'maria' })).href)
  const afterMemory = residentMiB(bridge.child.pid)

  const ofHello = (result: LoadResult) => result.okPerSecond / helloWorld.okPerSecond
  const cores = availableParallelism()
  say('| scenario | result | ratio | target |')
  say('| --- | --- | --- | --- |')
  say(`| Fastify hello world (baseline) | ${rate(helloWorld)} | 100 % | |`)
  say(`| GET /.well-known/jwks.json | ${rate(jwks)} | ${(ofHello(jwks) * 100).toFixed(0)} % of hello world | ≥ 90 % ${check(ofHello(jwks) >= 0.9)} |`)
  say(`| GET /.well-known/openid-configuration | ${rate(discovery)} | ${(ofHello(discovery) * 100).toFixed(0)} % of hello world | ≥ 90 % ${check(ofHello(discovery) >= 0.9)} |`)
  say(`| verifier (src/verify) on a bearer token, in process | ${verifier.verifier.toFixed(0)}/s vs raw jose ${verifier.raw.toFixed(0)}/s | ${((verifier.verifier / verifier.raw) * 100).toFixed(0)} % of raw jose verify | ≥ 80 % ${check(verifier.verifier / verifier.raw >= 0.8)} |`)
  say(`| POST /introspect | ${rate(introspect)} | ${(ofHello(introspect) * 100).toFixed(0)} % of hello world | |`)
  say(`| refresh grant (rotating) | ${rate(refresh)} | ${(refresh.okPerSecond / cores).toFixed(0)}/s per core (${cores} cores) | ≥ 1,200/s per core ${check(refresh.okPerSecond / cores >= 1200)} |`)
  say(`| password sign-in | ${rate(passwords.signIn)} | ${((passwords.signIn.okPerSecond / passwords.rawVerifyPerSecond) * 100).toFixed(0)} % of raw argon2id verify (${passwords.rawVerifyPerSecond.toFixed(1)}/s, ${passwords.workers} worker) | ≥ 85 % ${check(passwords.signIn.okPerSecond / passwords.rawVerifyPerSecond >= 0.85)} |`)
  const slowdown = passwords.userinfoIdle.okPerSecond / passwords.userinfoLoaded.okPerSecond
  say(`| /userinfo idle → with password workers and queue saturated | ${passwords.userinfoIdle.okPerSecond.toFixed(0)}/s → ${passwords.userinfoLoaded.okPerSecond.toFixed(0)}/s (p99 ${passwords.userinfoLoaded.p99} ms) | ${slowdown.toFixed(2)}× slower | ≤ 2× ${check(slowdown <= 2)} |`)
  say(`| /userinfo during a 64-connection sign-in flood | ${passwords.userinfoFlooded.okPerSecond.toFixed(0)}/s (p99 ${passwords.userinfoFlooded.p99} ms); sign-ins ${passwords.signInFlood.okPerSecond.toFixed(1)}/s, ${passwords.signInFlood.statusCodes['503'] ?? 0} shed with 503 | | |`)
  const loginRow = (name: string, { result, cpu }: Awaited<ReturnType<typeof login>>, target = '') =>
    say(`| ${name}, 8 users | ${result.perSecond.toFixed(1)}/s, p50 ${result.p50} ms, p99 ${result.p99} ms, ${result.failures} failures | bridge ${cpu.bridgeMs.toFixed(1)} ms + PostgreSQL ${cpu.postgresMs.toFixed(1)} ms CPU per login | ${target} |`)
  loginRow('state-services login through standard OIDC (authorize → provider → callback → code → token)', sso)
  const esiaExtra = esiaLogin.cpu.bridgeMs - sso.cpu.bridgeMs
  loginRow('the same login through ESIA (GOST-signed requests, GOST ID token, person resource)', esiaLogin, `bridge ≤ OIDC + 2 ms (${esiaExtra >= 0 ? '+' : ''}${esiaExtra.toFixed(1)} ms) ${check(esiaExtra <= 2)}`)
  say(`| resident memory | idle ${idleMemory.toFixed(0)} MiB, after the run ${afterMemory.toFixed(0)} MiB | | idle ≤ 100 MiB ${check(idleMemory <= 100)} |`)
  const missed: string[] = []
  if (ofHello(jwks) < 0.9 || ofHello(discovery) < 0.9) {
    missed.push(
      'JWKS / discovery below 90 % of hello world: both are served as prepared text, but every bridge request also pays for a request id, a pino child logger, the password-form shedding check and a metrics observation, which the bare hello-world route does not; on 2 shared cores the load generator takes much of the rest, and the ratio has ranged from 46 to 76 % between runs of the same code. Fix: let the TLS proxy or a CDN cache them (they are sent with Cache-Control public), or skip the per-request metrics for these two routes.',
    )
  }
  if (refresh.okPerSecond / cores < 1200) {
    missed.push(
      'Refresh below 1,200/s per core: each refresh is one PostgreSQL statement (spend, issue and read the account together) and two ES256 signatures (access and ID token); here PostgreSQL, the bridge and autocannon share the same 2 cores. Fix (not measured here): PostgreSQL on its own host, and an option to skip the ID token on refresh for modules that do not use it.',
    )
  }
  if (verifier.verifier / verifier.raw < 0.8) missed.push('Verifier below 80 % of raw jose: run-to-run noise on this machine has ranged 80–109 %; the verifier resolves each key once per JWKS fetch.')
  if (passwords.signIn.okPerSecond / passwords.rawVerifyPerSecond < 0.85) {
    missed.push('Password sign-in below 85 % of raw argon2id: the raw rate is measured while the bridge is idle, the sign-ins while its main thread, PostgreSQL and the load generator compete with the worker for 2 cores; runs have ranged 82–109 %.')
  }
  if (slowdown > 2) missed.push('/userinfo slowed more than 2×: see the flood row; the pool refuses excess work at the door, before cookies or bodies are read.')
  if (idleMemory > 100) missed.push('Idle memory above 100 MiB: start with `--max-semi-space-size=4` (npm start and the Docker image do).')
  if (missed.length > 0) {
    say()
    say('### Targets missed, why, and what would fix it')
    say()
    for (const line of missed) say(`- ${line}`)
  }
} finally {
  await bridge.stop()
  hello.kill('SIGTERM')
  await idp.close()
  await esia.close()
  await database.drop()
  cleanupDir(configDir)
  cleanupDir(keys.dir)
}
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, PostgreSQL on the same machine, load generator (autocannon) in the same machine`
say()
say(`Whole run: ${((Date.now() - started) / 1000).toFixed(0)} s.`)
writeFileSync('bench/results.md', `# Benchmark results\n\nMachine: ${machine}. Run: ${new Date().toISOString()}.\n\n${lines.join('\n')}\n`)
