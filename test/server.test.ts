import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { freePort, spawnEntry, waitForOk } from './helpers/spawn.js'
import { testSecrets, validEnv, validFiles, writeConfigDir } from './helpers/test-config.js'
import { createServerDatabase, serverUrl } from './helpers/test-database.js'

const server = 'src/server.ts'
const cli = 'src/cli.ts'

t.test('broken configuration: one line per problem, exit 1, nothing listens', async (t) => {
  const dir = writeConfigDir(t, { ...validFiles, 'bridge.json': { tokens: { accessTokenTtlSeconds: 'ten' }, colour: 'blue' } })
  const port = await freePort()
  const env = { ...validEnv, REGION_29_CLIENT_SECRET: undefined, BRIDGE_CONFIG_DIR: dir, DATA_DIR: join(dir, 'data'), PORT: String(port) }
  const { code, stderr } = await spawnEntry(server, [], env).exited
  t.equal(code, 1)
  t.same(stderr.trim().split('\n'), [
    'Configuration is invalid (3 problems):',
    `  ${dir}/bridge.json: /colour: unknown key`,
    `  ${dir}/bridge.json: /tokens/accessTokenTtlSeconds: must be an integer, got string "ten"`,
    `  ${dir}/regions/29.json: /stateServices/provider/clientSecretEnv: environment variable REGION_29_CLIENT_SECRET is not set`,
  ])
  await t.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'nothing started')
})

t.test('production refuses to start without its secrets', async (t) => {
  const dir = writeConfigDir(t, validFiles)
  const env = { REGION_29_CLIENT_SECRET: 's', WEB_DIARY_SECRET: 's', NODE_ENV: 'production', BRIDGE_CONFIG_DIR: dir, DATA_DIR: join(dir, 'data') }
  const { code, stderr } = await spawnEntry(server, [], env).exited
  t.equal(code, 1)
  t.match(stderr, /env: SESSION_KEYS: is required when NODE_ENV=production/)
  t.match(stderr, /env: SNILS_PEPPER: is required when NODE_ENV=production/)
  t.match(stderr, /env: KEY_ENCRYPTION_KEY: is required when NODE_ENV=production/)
})

t.test('an unreachable database stops the start with a clear line', async (t) => {
  const dir = writeConfigDir(t, validFiles)
  const env = { ...validEnv, BRIDGE_CONFIG_DIR: dir, DATA_DIR: join(dir, 'data'), DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', PORT: String(await freePort()) }
  const { code, stderr } = await spawnEntry(server, [], env).exited
  t.equal(code, 1)
  t.match(stderr, /^Cannot start: the database is not reachable .*check DATABASE_URL/m)
})

t.test('diary-bridge serve starts, serves /readyz, writes its PID, and shuts down cleanly on SIGTERM', async (t) => {
  const dir = writeConfigDir(t, validFiles)
  const port = await freePort()
  const databaseUrl = serverUrl === undefined ? undefined : await createServerDatabase(t, serverUrl)
  const pidFile = join(dir, 'bridge.pid')
  const env = { ...validEnv, LOG_LEVEL: 'info', BRIDGE_CONFIG_DIR: dir, DATA_DIR: join(dir, 'data'), PORT: String(port), DATABASE_URL: databaseUrl, PID_FILE: pidFile }
  const running = spawnEntry('bin/diary-bridge.js', ['serve'], env)
  await waitForOk(`http://127.0.0.1:${port}/readyz`, running)
  t.equal(readFileSync(pidFile, 'utf8'), `${running.child.pid}\n`, 'PID_FILE holds the server process itself (kill -HUP reaches it)')
  t.match(running.output().stdout, new RegExp(`"pid":${running.child.pid},.*"msg":"bridge is ready"`), 'and so does the ready line of the log')
  running.child.kill('SIGTERM')
  const { code, stdout } = await running.exited
  t.equal(code, 0)
  t.notOk(existsSync(pidFile), 'the PID file is removed at shutdown')
  t.match(stdout, /"msg":"migration applied"/)
  t.match(stdout, /"signal":"SIGTERM","msg":"shutting down"/)
  t.match(stdout, /"msg":"shutdown complete"/)
  for (const secret of Object.values(testSecrets)) t.notOk(stdout.includes(secret), 'no secret in the log')
})

t.test('the embedded database keeps its data across processes and is locked to one of them', async (t) => {
  const dir = writeConfigDir(t, {
    ...validFiles,
    'accounts.csv': 'login,password,role,family_name,given_name,snils\nivanova.m,temp-pass-1,pupil,Иванова,Мария,112-233-445 95\n',
  })
  // No SNILS_PEPPER etc.: development generates them once into DATA_DIR and must reuse them.
  const env = { REGION_29_CLIENT_SECRET: 's', WEB_DIARY_SECRET: 's', BRIDGE_CONFIG_DIR: dir, DATA_DIR: join(dir, 'data') }
  const args = ['accounts', 'import', join(dir, 'accounts.csv'), '--region', '29']
  const first = await spawnEntry(cli, args, env).exited
  t.equal(first.code, 0, first.stderr)
  t.match(first.stdout, /accounts\.csv: 1 rows: 1 created, 0 updated, 0 unchanged, 0 rejected/)
  t.match(first.stderr, /warning: SESSION_KEYS, SNILS_PEPPER, KEY_ENCRYPTION_KEY not set: generated development values into/)

  const port = await freePort()
  const running = spawnEntry(server, [], { ...env, PORT: String(port) })
  await waitForOk(`http://127.0.0.1:${port}/readyz`, running)
  const locked = await spawnEntry(cli, args, env).exited
  t.equal(locked.code, 1)
  t.match(locked.stderr, /the embedded database in .* is in use by process \d+; stop it, or set DATA_DIR or DATABASE_URL/)
  running.child.kill('SIGTERM')
  t.equal((await running.exited).code, 0)

  const second = await spawnEntry(cli, args, env).exited
  t.equal(second.code, 0, second.stderr)
  t.match(second.stdout, /1 rows: 0 created, 0 updated, 1 unchanged, 0 rejected/, 'same data, same pepper')
  t.notMatch(second.stderr, /development values/, 'reused silently')
  t.notOk(`${first.stdout}${first.stderr}${second.stdout}`.includes('112-233-445'), 'no SNILS in the output')
})

t.test('SIGHUP reloads regions without a restart; a broken file is refused and logged, the old configuration stays', async (t) => {
  const dir = writeConfigDir(t, validFiles)
  const port = await freePort()
  const databaseUrl = serverUrl === undefined ? undefined : await createServerDatabase(t, serverUrl)
  const env = { ...validEnv, LOG_LEVEL: 'info', BRIDGE_CONFIG_DIR: dir, DATA_DIR: join(dir, 'data'), PORT: String(port), DATABASE_URL: databaseUrl }
  const running = spawnEntry(server, [], env)
  t.teardown(() => running.child.kill('SIGTERM'))
  await waitForOk(`http://127.0.0.1:${port}/readyz`, running)
  const regionsPage = () => fetch(`http://127.0.0.1:${port}/login?choose=1`).then((r) => r.text())
  t.notMatch(await regionsPage(), /Вологодская область/)

  writeFileSync(join(dir, 'regions', '35.json'), JSON.stringify({ name: { ru: 'Вологодская область', en: 'Vologda Oblast' } }))
  running.child.kill('SIGHUP')
  await waitFor(async () => /Вологодская область/.test(await regionsPage()))
  // The log line is written asynchronously: wait for it rather than read the output at once.
  await waitFor(() => running.output().stdout.includes('"msg":"configuration reloaded"'))
  t.match(running.output().stdout, /"regions":\["35"\].*"msg":"configuration reloaded"/)

  writeFileSync(join(dir, 'regions', '36.json'), '{ "name": { "ru": 1 } }')
  running.child.kill('SIGHUP')
  await waitFor(async () => running.output().stdout.includes('configuration reload refused: the previous configuration stays in force'))
  t.match(running.output().stdout, /regions\/36\.json: \/name\/ru: must be a string/)
  t.match(await regionsPage(), /Вологодская область/, 'still serving')
  t.equal(running.child.exitCode, null, 'SIGHUP does not stop the service')
})

async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

t.test('diary-bridge --help lists every command, serve included; serve --help explains it', async (t) => {
  const all = await spawnEntry('bin/diary-bridge.js', ['--help'], {}).exited
  t.equal(all.code, 0)
  t.match(all.stdout, /^Running the service:\n {2}diary-bridge serve\n {2}diary-bridge migrate\n/)
  t.match(all.stdout, /diary-bridge accounts import FILE --region CODE/)
  const serve = await spawnEntry('bin/diary-bridge.js', ['serve', '--help'], {}).exited
  t.equal(serve.code, 0)
  t.match(serve.stdout, /^Usage: diary-bridge serve\n\nStarts the service/)
  t.match(serve.stdout, /PID_FILE/)
  const wrong = await spawnEntry('bin/diary-bridge.js', ['serve', '--port', '80'], {}).exited
  t.equal(wrong.code, 1)
  t.match(wrong.stderr, /^serve takes no arguments \(got "--port 80"\)/)
})

t.test('in development, config check on the shipped demo configuration works out of the box and speaks of development secrets only when it makes them', async (t) => {
  const data = t.testdir()
  const first = await spawnEntry('bin/diary-bridge.js', ['config', 'check'], { DATA_DIR: data }).exited
  t.equal(first.code, 0, first.stderr)
  t.match(first.stdout, /^configuration is valid: 2 regions, 1 client\n/)
  // Region 29 logs in through ESIA: the GOST line, a warning where the engine is missing (JavaScript then).
  const gostLine = /^(warning: )?GOST R 34\.10\/34\.11-2012 for ESIA: .*\(regions 29\).*\n/m
  t.match(`${first.stdout}${first.stderr}`, gostLine)
  t.match(first.stderr, /made the demo's GOST keys \(demo values\)/)
  t.match(first.stderr, /warning: SESSION_KEYS, SNILS_PEPPER, KEY_ENCRYPTION_KEY not set: generated development values into .*dev-secrets\.json/)
  const second = await spawnEntry('bin/diary-bridge.js', ['config', 'check'], { DATA_DIR: data }).exited
  t.equal(second.code, 0)
  t.equal(second.stderr.replace(gostLine, ''), '', 'nothing made, nothing said (but a GOST fallback)')
  // From source: in production the tool runs dist/, which a clone has only after a build.
  const elsewhere = await spawnEntry(cli, ['config', 'check'], { DATA_DIR: data, NODE_ENV: 'production' }).exited
  t.equal(elsewhere.code, 1, 'production never gets the demo values')
  t.match(elsewhere.stderr, /environment variable REGION_78_CLIENT_SECRET is not set/)
})

t.test('a PID_FILE that cannot be written stops the start with one line', async (t) => {
  const dir = writeConfigDir(t, validFiles)
  const databaseUrl = serverUrl === undefined ? undefined : await createServerDatabase(t, serverUrl)
  const env = { ...validEnv, BRIDGE_CONFIG_DIR: dir, DATA_DIR: join(dir, 'data'), PORT: String(await freePort()), DATABASE_URL: databaseUrl, PID_FILE: join(dir, 'missing', 'bridge.pid') }
  const { code, stderr } = await spawnEntry('bin/diary-bridge.js', ['serve'], env).exited
  t.equal(code, 1)
  t.match(stderr, /^Cannot start: PID_FILE .*missing\/bridge\.pid cannot be written \(ENOENT.*\): does its folder exist\?$/m)
})
