/*
 * The service refuses to start, with one clear line and exit 1: a broken configuration, production
 * without its secrets, an unreachable database, a PID_FILE that cannot be written.
 */
import { join } from 'node:path'
import t from 'tap'
import { allowProcessStarts, freePort, spawnEntry } from '../helpers/spawn.js'
import { validEnv, validFiles, writeConfigDir } from '../helpers/test-config.js'
import { createServerDatabase, serverUrl } from '../helpers/test-database.js'

const server = 'src/server.ts'

allowProcessStarts(t)

t.test('broken configuration: one line per problem, exit 1, nothing listens', async (t) => {
  const dir = writeConfigDir(t, {
    ...validFiles,
    'bridge.json': { tokens: { accessTokenTtlSeconds: 'ten' }, colour: 'blue' },
  })
  const port = await freePort()
  const env = {
    ...validEnv,
    REGION_29_CLIENT_SECRET: undefined,
    BRIDGE_CONFIG_DIR: dir,
    DATA_DIR: join(dir, 'data'),
    PORT: String(port),
  }
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
  const env = {
    REGION_29_CLIENT_SECRET: 's',
    WEB_DIARY_SECRET: 's',
    NODE_ENV: 'production',
    BRIDGE_CONFIG_DIR: dir,
    DATA_DIR: join(dir, 'data'),
  }
  const { code, stderr } = await spawnEntry(server, [], env).exited
  t.equal(code, 1)
  t.match(stderr, /env: SESSION_KEYS: is required when NODE_ENV=production/)
  t.match(stderr, /env: SNILS_PEPPER: is required when NODE_ENV=production/)
  t.match(stderr, /env: KEY_ENCRYPTION_KEY: is required when NODE_ENV=production/)
})

t.test('an unreachable database stops the start with a clear line', async (t) => {
  const dir = writeConfigDir(t, validFiles)
  const env = {
    ...validEnv,
    BRIDGE_CONFIG_DIR: dir,
    DATA_DIR: join(dir, 'data'),
    DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
    PORT: String(await freePort()),
  }
  const { code, stderr } = await spawnEntry(server, [], env).exited
  t.equal(code, 1)
  t.match(stderr, /^Cannot start: the database is not reachable .*check DATABASE_URL/m)
})

t.test('a PID_FILE that cannot be written stops the start with one line', async (t) => {
  const dir = writeConfigDir(t, validFiles)
  const databaseUrl = serverUrl === undefined ? undefined : await createServerDatabase(t, serverUrl)
  const env = {
    ...validEnv,
    BRIDGE_CONFIG_DIR: dir,
    DATA_DIR: join(dir, 'data'),
    PORT: String(await freePort()),
    DATABASE_URL: databaseUrl,
    PID_FILE: join(dir, 'missing', 'bridge.pid'),
  }
  const { code, stderr } = await spawnEntry('bin/diary-bridge.js', ['serve'], env).exited
  t.equal(code, 1)
  t.match(
    stderr,
    /^Cannot start: PID_FILE .*missing\/bridge\.pid cannot be written \(ENOENT.*\): does its folder exist\?$/m,
  )
})
