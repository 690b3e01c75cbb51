/* `diary-bridge serve`: ready, its PID written, a clean stop on SIGTERM. */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { allowProcessStarts, freePort, spawnEntry, waitForOk } from '../helpers/spawn.js'
import { testSecrets, validEnv, validFiles, writeConfigDir } from '../helpers/test-config.js'
import { createServerDatabase, serverUrl } from '../helpers/test-database.js'

allowProcessStarts(t)

t.test('diary-bridge serve starts, serves /readyz, writes its PID, and shuts down cleanly on SIGTERM', async (t) => {
  const dir = writeConfigDir(t, validFiles)
  const port = await freePort()
  const databaseUrl = serverUrl === undefined ? undefined : await createServerDatabase(t, serverUrl)
  const pidFile = join(dir, 'bridge.pid')
  const env = {
    ...validEnv,
    LOG_LEVEL: 'info',
    BRIDGE_CONFIG_DIR: dir,
    DATA_DIR: join(dir, 'data'),
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    PID_FILE: pidFile,
  }
  const running = spawnEntry('bin/diary-bridge.js', ['serve'], env)
  await waitForOk(`http://127.0.0.1:${port}/readyz`, running)
  t.equal(
    readFileSync(pidFile, 'utf8'),
    `${running.child.pid}\n`,
    'PID_FILE holds the server process itself (kill -HUP reaches it)',
  )
  t.match(
    running.output().stdout,
    new RegExp(`"pid":${running.child.pid},.*"msg":"bridge is ready"`),
    'and so does the ready line of the log',
  )
  running.child.kill('SIGTERM')
  const { code, stdout } = await running.exited
  t.equal(code, 0)
  t.notOk(existsSync(pidFile), 'the PID file is removed at shutdown')
  t.match(stdout, /"msg":"migration applied"/)
  t.match(stdout, /"signal":"SIGTERM","msg":"shutting down"/)
  t.match(stdout, /"msg":"shutdown complete"/)
  for (const secret of Object.values(testSecrets)) t.notOk(stdout.includes(secret), 'no secret in the log')
})
