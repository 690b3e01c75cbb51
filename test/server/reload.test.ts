/* SIGHUP: the configuration read again without a restart, a broken one refused with the old one kept. */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { allowProcessStarts, freePort, spawnEntry, waitForOk, waitUntil } from '../helpers/spawn.js'
import { validEnv, validFiles, writeConfigDir } from '../helpers/test-config.js'
import { createServerDatabase, serverUrl } from '../helpers/test-database.js'

const server = 'src/server.ts'

allowProcessStarts(t)

t.test(
  'SIGHUP reloads regions without a restart; a broken file is refused and logged, the old configuration stays',
  async (t) => {
    const dir = writeConfigDir(t, validFiles)
    const port = await freePort()
    const databaseUrl = serverUrl === undefined ? undefined : await createServerDatabase(t, serverUrl)
    const env = {
      ...validEnv,
      LOG_LEVEL: 'info',
      BRIDGE_CONFIG_DIR: dir,
      DATA_DIR: join(dir, 'data'),
      PORT: String(port),
      DATABASE_URL: databaseUrl,
    }
    const running = spawnEntry(server, [], env)
    t.teardown(() => running.child.kill('SIGTERM'))
    await waitForOk(`http://127.0.0.1:${port}/readyz`, running)
    const regionsPage = () => fetch(`http://127.0.0.1:${port}/login?choose=1`).then((r) => r.text())
    t.notMatch(await regionsPage(), /Вологодская область/)

    writeFileSync(
      join(dir, 'regions', '35.json'),
      JSON.stringify({ name: { ru: 'Вологодская область', en: 'Vologda Oblast' } }),
    )
    running.child.kill('SIGHUP')
    await waitUntil(async () => /Вологодская область/.test(await regionsPage()), 'the new region on the page')
    // The log line is written asynchronously: wait for it rather than read the output at once.
    await waitUntil(() => running.output().stdout.includes('"msg":"configuration reloaded"'), 'the reload log line')
    t.match(running.output().stdout, /"regions":\["35"\].*"msg":"configuration reloaded"/)

    writeFileSync(join(dir, 'regions', '36.json'), '{ "name": { "ru": 1 } }')
    running.child.kill('SIGHUP')
    await waitUntil(
      () => running.output().stdout.includes('configuration reload refused: the previous configuration stays in force'),
      'the refusal log line',
    )
    t.match(running.output().stdout, /regions\/36\.json: \/name\/ru: must be a string/)
    t.match(await regionsPage(), /Вологодская область/, 'still serving')
    t.equal(running.child.exitCode, null, 'SIGHUP does not stop the service')
  },
)
