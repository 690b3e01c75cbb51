/* The operator's tool: its help, and `config check` on the shipped demo configuration in development. */
import t from 'tap'
import { allowProcessStarts, spawnEntry } from '../helpers/spawn.js'

const cli = 'src/cli.ts'

allowProcessStarts(t)

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

t.test(
  'in development, config check on the shipped demo configuration works out of the box and speaks of development secrets only when it makes them',
  async (t) => {
    const data = t.testdir()
    const first = await spawnEntry('bin/diary-bridge.js', ['config', 'check'], { DATA_DIR: data }).exited
    t.equal(first.code, 0, first.stderr)
    t.match(first.stdout, /^configuration is valid: 2 regions, 2 clients\n/)
    // Region 29 logs in through ESIA: the GOST line, a warning where the engine is missing (JavaScript then).
    const gostLine = /^(warning: )?GOST R 34\.10\/34\.11-2012 for ESIA: .*\(regions 29\).*\n/m
    t.match(`${first.stdout}${first.stderr}`, gostLine)
    t.match(first.stderr, /made the demo's GOST keys \(demo values\)/)
    t.match(
      first.stderr,
      /warning: SESSION_KEYS, SNILS_PEPPER, KEY_ENCRYPTION_KEY not set: generated development values into .*dev-secrets\.json/,
    )
    const second = await spawnEntry('bin/diary-bridge.js', ['config', 'check'], { DATA_DIR: data }).exited
    t.equal(second.code, 0)
    t.equal(second.stderr.replace(gostLine, ''), '', 'nothing made, nothing said (but a GOST fallback)')
    // From source: in production the tool runs dist/, which a clone has only after a build.
    const elsewhere = await spawnEntry(cli, ['config', 'check'], { DATA_DIR: data, NODE_ENV: 'production' }).exited
    t.equal(elsewhere.code, 1, 'production never gets the demo values')
    t.match(elsewhere.stderr, /environment variable REGION_78_CLIENT_SECRET is not set/)
  },
)
