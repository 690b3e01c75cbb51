/*
 * The embedded database across processes: the data and the generated development secrets stay, and
 * one process at a time holds it.
 */
import { join } from 'node:path'
import t from 'tap'
import { allowProcessStarts, freePort, spawnEntry, waitForOk } from '../helpers/spawn.js'
import { validFiles, writeConfigDir } from '../helpers/test-config.js'

const server = 'src/server.ts'
const cli = 'src/cli.ts'

allowProcessStarts(t)

t.test('the embedded database keeps its data across processes and is locked to one of them', async (t) => {
  const dir = writeConfigDir(t, {
    ...validFiles,
    'accounts.csv':
      'login,password,role,family_name,given_name,snils\nivanova.m,temp-pass-1,pupil,Иванова,Мария,112-233-445 95\n',
  })
  // No SNILS_PEPPER etc.: development generates them once into DATA_DIR and must reuse them.
  const env = {
    REGION_29_CLIENT_SECRET: 's',
    WEB_DIARY_SECRET: 's',
    BRIDGE_CONFIG_DIR: dir,
    DATA_DIR: join(dir, 'data'),
  }
  const args = ['accounts', 'import', join(dir, 'accounts.csv'), '--region', '29']
  const first = await spawnEntry(cli, args, env).exited
  t.equal(first.code, 0, first.stderr)
  t.match(first.stdout, /accounts\.csv: 1 rows: 1 created, 0 updated, 0 unchanged, 0 rejected/)
  t.match(
    first.stderr,
    /warning: SESSION_KEYS, SNILS_PEPPER, KEY_ENCRYPTION_KEY not set: generated development values into/,
  )

  const port = await freePort()
  const running = spawnEntry(server, [], { ...env, PORT: String(port) })
  await waitForOk(`http://127.0.0.1:${port}/readyz`, running)
  const locked = await spawnEntry(cli, args, env).exited
  t.equal(locked.code, 1)
  t.match(
    locked.stderr,
    /the embedded database in .* is in use by process \d+; stop it, or set DATA_DIR or DATABASE_URL/,
  )
  running.child.kill('SIGTERM')
  t.equal((await running.exited).code, 0)

  const second = await spawnEntry(cli, args, env).exited
  t.equal(second.code, 0, second.stderr)
  t.match(second.stdout, /1 rows: 0 created, 0 updated, 1 unchanged, 0 rejected/, 'same data, same pepper')
  t.notMatch(second.stderr, /development values/, 'reused silently')
  t.notOk(`${first.stdout}${first.stderr}${second.stdout}`.includes('112-233-445'), 'no SNILS in the output')
})
