import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { accountThrottleKey } from '../../src/accounts/throttle.js'
import { commands } from '../../src/cli/run-cli.js'
import { openCliWorld } from '../helpers/cli-world.js'

const { config, db, cli, accountOf, auditOf } = await openCliWorld(t)

t.test('--help lists every command; -h after a command prints its usage and options, and nothing runs', async (t) => {
  for (const flag of ['--help', '-h']) {
    const run = await cli([flag])
    t.equal(run.code, 0)
    for (const command of commands)
      t.ok(
        run.stdout.some((line) => line.startsWith(`  diary-bridge ${command.name}`)),
        `${flag} lists ${command.name}`,
      )
  }
  t.equal(
    commands.length,
    25,
    'fifteen, then accounts deactivate, reactivate, erase, schools list and set-contact, accounts factors and reset-factors, operators grant, list and revoke',
  )
  for (const command of commands) {
    const run = await cli([...command.name.split(' '), '--help'])
    t.equal(run.code, 0)
    t.match(run.stdout[0], `Usage: diary-bridge ${command.name}`)
    for (const option of Object.keys(command.options ?? {}))
      t.ok(
        run.stdout.some((line) => line.startsWith(`  --${option} `)),
        `${command.name} explains --${option}`,
      )
  }
  const before = await accountOf('ivanova.m')
  const help = await cli(['accounts', 'reset-password', 'ivanova.m', '--region', '29', '--operator', 'Петрова', '-h'])
  t.same(
    [help.code, help.stdout[0]],
    [0, 'Usage: diary-bridge accounts reset-password LOGIN --region R --operator NAME'],
  )
  t.equal((await accountOf('ivanova.m')).password_hash, before.password_hash, 'help runs nothing')
  const group = await cli(['links', '--help'])
  t.same(
    group.stdout.filter((line) => line.startsWith('  ')),
    [
      '  diary-bridge links list (--login L --region R | --subject S)',
      '  diary-bridge links remove ID --reason TEXT --operator NAME',
    ],
  )
})

t.test('an unknown command, option or argument prints the usage on stderr and exits 1', async (t) => {
  const unknown = await cli(['accounts', 'delete', 'ivanova.m'])
  t.equal(unknown.code, 1)
  t.same(unknown.stdout, [])
  t.equal(unknown.stderr[0], 'unknown command "accounts delete ivanova.m"')
  t.ok(unknown.stderr.includes('  diary-bridge accounts show LOGIN --region R'))
  const refusals: [string[], RegExp][] = [
    [['accounts', 'show', 'ivanova.m', '--region', '29', '--force'], /^accounts show: Unknown option '--force'/],
    [['accounts', 'show', '--region', '29'], /^accounts show: LOGIN is missing$/],
    [
      ['accounts', 'show', 'ivanova.m', 'ivanov.p', '--region', '29'],
      /^accounts show: unexpected argument "ivanov.p"$/,
    ],
    [
      ['accounts', 'show', 'ivanova.m'],
      /^accounts show: --region R is required: a login is unique only within its region$/,
    ],
  ]
  for (const [argv, message] of refusals) {
    const run = await cli(argv)
    t.equal(run.code, 1, argv.join(' '))
    t.match(run.stderr[0], message)
  }
  const region = await cli(['accounts', 'unblock', 'ivanova.m', '--region', '99', '--operator', 'Петрова'])
  t.same([region.code, region.stderr], [1, ['unknown region "99"; configured: 29, 78']])
})

t.test('every change is refused without --operator, and nothing changes', async (t) => {
  const account = await accountOf('smirnov.a')
  const key = accountThrottleKey(config.secrets.snilsPepper.reveal(), '29', 'smirnov.a')
  await db
    .insertInto('login_throttle')
    .values({ key, failures: 10, window_started_at: new Date(), blocked_until: new Date(Date.now() + 600_000) })
    .execute()
  for (const argv of [
    ['accounts', 'unblock', 'smirnov.a', '--region', '29'],
    ['accounts', 'reset-password', 'smirnov.a', '--region', '29'],
    ['accounts', 'reset-password', 'smirnov.a', '--region', '29', '--operator='],
  ]) {
    const run = await cli(argv)
    t.equal(run.code, 1)
    t.same(run.stderr, [
      `${argv.slice(0, 2).join(' ')}: --operator NAME is required: every change is recorded with the name of the operator who made it`,
    ])
  }
  const after = await accountOf('smirnov.a')
  t.equal(after.password_hash, account.password_hash)
  t.equal(after.must_change_password, false)
  t.ok(await db.selectFrom('login_throttle').select('key').where('key', '=', key).executeTakeFirst(), 'still blocked')
  t.same(await auditOf('smirnov.a', 'password_reset'), [])
  t.same(await auditOf('smirnov.a', 'account_unblocked'), [])
})

t.test('the operator commands run on the injected database too', async (t) => {
  t.same(await cli(['config', 'check']), {
    code: 0,
    stdout: ['configuration is valid: 2 regions, 1 client'],
    stderr: [],
    all: 'configuration is valid: 2 regions, 1 client',
  })
  t.same((await cli(['migrate'])).stdout, ['database is up to date'])
  t.same((await cli(['keys', 'list'])).stdout, ['no signing keys yet: the service creates the first one at start-up'])

  const dir = t.testdir({})
  writeFileSync(
    join(dir, 'two.csv'),
    'login,password,role,family_name,given_name\nsokolov.s,first-password,parent,Соколов,Сергей\nbad,x,pupil,,\n',
  )
  const imported = await cli(['accounts', 'import', join(dir, 'two.csv'), '--region', '78'])
  t.equal(imported.code, 2, 'some rows were rejected')
  t.equal(imported.stdout[0], 'two.csv: 2 rows: 1 created, 0 updated, 0 unchanged, 1 rejected')
  t.match(imported.stdout[1], /^ {2}line 3: /)
  writeFileSync(join(dir, 'broken.csv'), 'login,colour\nx,red\n')
  const broken = await cli(['accounts', 'import', join(dir, 'broken.csv'), '--region', '78'])
  t.equal(broken.code, 1)
  t.match(broken.stderr[0], /colour/)
})
