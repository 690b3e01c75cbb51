import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { importAccounts } from '../../src/accounts/import/import-accounts.js'
import { createPasswordHasher } from '../../src/accounts/password-hash.js'
import { identifyLogin } from '../../src/accounts/credentials.js'
import { accountThrottleKey, attemptKeys, recordFailure } from '../../src/accounts/throttle.js'
import { recordAuditEvent } from '../../src/audit/record-audit-event.js'
import { demoPassword } from '../helpers/demo-world.js'
import { openCliWorld, snilsForms } from '../helpers/cli-world.js'

const world = await openCliWorld(t)
const { db, cli, accountOf, addLink, addSession, sessionRow, familyRow, auditOf } = world
const pepper = world.config.secrets.snilsPepper.reveal()
/** The throttle's key of a login: a keyed hash, as sign-in writes it. */
const blockKey = (login: string) => accountThrottleKey(pepper, '29', login)

function assertNoSecrets(
  t: Test,
  output: string,
  account: { password_hash: string | null; snils_hmac: string | null },
) {
  for (const form of snilsForms) t.notMatch(output, form, `the SNILS is never printed (${form})`)
  if (account.snils_hmac !== null) t.notMatch(output, account.snils_hmac, 'the SNILS HMAC is never printed')
  if (account.password_hash !== null) t.notMatch(output, account.password_hash, 'the password hash is never printed')
}

t.test(
  'accounts show: the person, block, links, sessions and last sign-in, with only the last four SNILS digits',
  async (t) => {
    const account = await accountOf('ivanova.m')
    const link = await addLink('ivanova.m', { subject: 'maria' })
    await addSession('ivanova.m', { method: 'state_services', browser: 'Chrome · Android' })
    await recordAuditEvent(db, { type: 'password_sign_in', outcome: 'success', accountId: account.id, region: '29' })

    const run = await cli(['accounts', 'show', 'IVANOVA.M', '--region', '29'])
    t.equal(run.code, 0)
    t.same(run.stderr, [])
    const field = (label: string) => run.stdout.find((line) => line.startsWith(`${label}:`))?.slice(22)
    t.equal(field('login'), 'ivanova.m')
    t.equal(field('region'), '29')
    t.equal(field('role'), 'pupil')
    t.equal(field('full name'), 'Иванова Мария Петровна')
    t.equal(field('birth date'), '2012-03-14')
    t.equal(field('SNILS'), '***-***-*45 95')
    t.equal(field('school'), 'Школа № 1')
    t.equal(field('class'), '7А')
    t.equal(field('must change password'), 'no')
    t.equal(field('blocked'), 'no')
    t.match(field('last sign-in'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    t.equal(field('links'), '1')
    const linkLine = run.stdout.find((line) => line.includes(link.id))
    t.match(
      linkLine,
      new RegExp(
        `^ {2}${link.id} {2}${link.issuer} {2}maria {2}auto_snils {2}verified {2}\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`,
      ),
    )
    t.equal(field('active sessions'), '1')
    t.match(run.stdout.at(-1), /^ {2}started \S+Z {2}last used \S+Z {2}Chrome · Android {2}state_services$/)
    assertNoSecrets(t, run.all, account)
  },
)

t.test('accounts show: a block from too many wrong passwords, with its end', async (t) => {
  const until = new Date(Date.now() + 600_000)
  await db
    .insertInto('login_throttle')
    .values({ key: blockKey('smirnov.a'), failures: 10, window_started_at: new Date(), blocked_until: until })
    .execute()
  const run = await cli(['accounts', 'show', 'smirnov.a', '--region', '29'])
  t.equal(run.code, 0)
  t.ok(
    run.stdout.includes(`blocked:              yes, until ${until.toISOString().replace(/\.\d{3}Z$/, 'Z')}`),
    run.stdout.join('\n'),
  )
  t.ok(run.stdout.includes('SNILS:                ***-***-*12 08'))
  t.ok(run.stdout.includes('links:                0'))

  const started = new Date(Date.now() - 60_000)
  await db
    .insertInto('login_throttle')
    .values({ key: blockKey('morozova.t'), failures: 3, window_started_at: started, blocked_until: null })
    .execute()
  const counting = await cli(['accounts', 'show', 'morozova.t', '--region', '29'])
  t.ok(
    counting.stdout.includes(
      `blocked:              no (3 failed attempts since ${started.toISOString().replace(/\.\d{3}Z$/, 'Z')})`,
    ),
    counting.stdout.join('\n'),
  )
})

t.test('accounts show: no such login, or an unknown region, is a one-line refusal', async (t) => {
  const missing = await cli(['accounts', 'show', 'nobody', '--region', '29'])
  t.equal(missing.code, 1)
  t.same(missing.stdout, [])
  t.same(missing.stderr, ['no account with login "nobody" in region 29'])
  const wrongRegion = await cli(['accounts', 'show', 'ivanova.m', '--region', '78'])
  t.equal(wrongRegion.code, 1, 'the login exists only in region 29')
  const unknownRegion = await cli(['accounts', 'show', 'ivanova.m', '--region', '99'])
  t.equal(unknownRegion.code, 1)
  t.same(unknownRegion.stderr, ['unknown region "99"; configured: 29, 78'])
})

t.test('accounts find: family name in any case and ё = е, given name and patronymic by their beginning', async (t) => {
  const file = join(t.testdir({}), 'more.csv')
  writeFileSync(
    file,
    'login,password,role,family_name,given_name,patronymic,birth_date\n' +
      'semenova.a,temporary-1,pupil,Семёнова,Анна,Ивановна,2013-02-01\n' +
      'semenova.b,temporary-2,parent,Семенова,Белла,,1985-06-07\n',
  )
  const hasher = createPasswordHasher({ workers: 1 })
  await importAccounts(db, {
    file,
    format: 'csv',
    region: '29',
    snilsPepper: world.config.secrets.snilsPepper.reveal(),
    hasher,
  }).finally(() => hasher.close())

  const both = await cli(['accounts', 'find', '--name', 'СЕМЕНОВА', '--region', '29'])
  t.equal(both.code, 0)
  t.same(both.stdout, [
    'semenova.a  Семёнова Анна Ивановна  pupil  2013-02-01  —  —',
    'semenova.b  Семенова Белла  parent  1985-06-07  —  —',
  ])

  const withYo = await cli(['accounts', 'find', '--name', 'семёнова ан', '--region', '29'])
  t.same(withYo.stdout, ['semenova.a  Семёнова Анна Ивановна  pupil  2013-02-01  —  —'])

  const petr = await cli(['accounts', 'find', '--name', 'Иванов Петр Серг', '--region', '29'])
  t.same(petr.stdout, ['ivanov.p  Иванов Пётр Сергеевич  parent  1984-07-02  Школа № 1  —'], 'Пётр is found as Петр')
  t.notMatch(petr.all, /Иванова/, 'the family name is matched in full, not as a prefix')

  const none = await cli(['accounts', 'find', '--name', 'Иванова Анна', '--region', '29'])
  t.equal(none.code, 0)
  t.same(none.stdout, ['no account in region 29 matches "Иванова Анна"'])

  const tooMany = await cli(['accounts', 'find', '--name', 'Иванова Мария Петровна Лишнее', '--region', '29'])
  t.equal(tooMany.code, 1)
  t.match(tooMany.stderr[0], /--name takes a family name/)
})

t.test('accounts find: at most 50 accounts, and says how many more', async (t) => {
  const { password_hash: hash } = await accountOf('ivanova.m')
  const rows = Array.from(
    { length: 53 },
    (_, i) => `petrov.${String(i).padStart(2, '0')},"${hash}",pupil,Петров,Ученик${String(i).padStart(2, '0')}`,
  )
  const file = join(t.testdir({}), 'many.csv')
  writeFileSync(file, `login,password_hash,role,family_name,given_name\n${rows.join('\n')}\n`)
  const hasher = createPasswordHasher({ workers: 1 })
  const report = await importAccounts(db, {
    file,
    format: 'csv',
    region: '29',
    snilsPepper: world.config.secrets.snilsPepper.reveal(),
    hasher,
  }).finally(() => hasher.close())
  t.equal(report.created, 53)
  const run = await cli(['accounts', 'find', '--name', 'Петров', '--region', '29'])
  t.equal(run.code, 0)
  t.equal(run.stdout.length, 51)
  t.match(run.stdout[0], /^petrov\.00 {2}Петров Ученик00 {2}pupil/)
  t.equal(run.stdout[50], '… and 3 more: give more of the name')
})

t.test(
  'accounts import --contacts-verified: the file’s contacts are stored verified; without it, unverified',
  async (t) => {
    const { password_hash: hash } = await accountOf('ivanova.m')
    const dir = t.testdir({})
    const header = 'login,password_hash,role,family_name,given_name,email,phone'
    writeFileSync(
      join(dir, 'verified.csv'),
      `${header}\nlebedev.k,"${hash}",parent,Лебедев,Кирилл,Lebedev.K@Example.RU,8 900 111-22-33\n`,
    )
    writeFileSync(
      join(dir, 'unverified.csv'),
      `${header}\nlebedeva.n,"${hash}",parent,Лебедева,Нина,lebedeva.n@example.ru,+7 900 111-22-44\n`,
    )
    const now = new Date('2026-11-29T10:00:00.000Z')

    const verified = await cli(
      ['accounts', 'import', join(dir, 'verified.csv'), '--region', '29', '--contacts-verified'],
      { now },
    )
    t.equal(verified.code, 0)
    t.same(verified.stdout, [
      'verified.csv: 1 rows: 1 created, 0 updated, 0 unchanged, 0 rejected',
      'no school: 1 created, 0 updated, 0 deactivated, 0 reactivated',
    ])
    t.match(await accountOf('lebedev.k'), {
      email: 'lebedev.k@example.ru',
      email_verified_at: now,
      phone: '+79001112233',
      phone_verified_at: now,
    })

    const unverified = await cli(['accounts', 'import', join(dir, 'unverified.csv'), '--region', '29'], { now })
    t.equal(unverified.code, 0)
    t.match(await accountOf('lebedeva.n'), {
      email: 'lebedeva.n@example.ru',
      email_verified_at: null,
      phone: '+79001112244',
      phone_verified_at: null,
    })

    const help = await cli(['accounts', 'import', '--help'])
    t.match(
      help.stdout[0],
      /^Usage: diary-bridge accounts import FILE --region CODE \[--format csv\|jsonl\] \[--contacts-verified\] \[--sync school \[--allow-mass-deactivation\]\] \[--dry-run\]$/,
    )
    t.ok(
      help.stdout.some((line) => line.startsWith('  --contacts-verified  ')),
      'the flag is explained',
    )
    const withValue = await cli([
      'accounts',
      'import',
      join(dir, 'verified.csv'),
      '--region',
      '29',
      '--contacts-verified=yes',
    ])
    t.equal(withValue.code, 1, 'the flag takes no value')
  },
)

t.test(
  'accounts unblock: the throttle row goes, the operator is audited (masked), and the password works again',
  async (t) => {
    const until = new Date(Date.now() + 600_000)
    await db
      .insertInto('login_throttle')
      .values({ key: blockKey('kuznetsova.e'), failures: 10, window_started_at: new Date(), blocked_until: until })
      .execute()
    await db
      .insertInto('login_throttle')
      .values({ key: blockKey('novikova.o'), failures: 3, window_started_at: new Date(), blocked_until: null })
      .execute()

    const run = await cli([
      'accounts',
      'unblock',
      'kuznetsova.e',
      '--region',
      '29',
      '--operator',
      'Петрова 112-233-445 95',
    ])
    t.equal(run.code, 0)
    t.same(run.stdout, [
      `kuznetsova.e (29) is unblocked (the block would have lasted until ${until.toISOString().replace(/\.\d{3}Z$/, 'Z')})`,
    ])
    const left = (await db.selectFrom('login_throttle').select('key').execute()).map((row) => row.key)
    t.notOk(left.includes(blockKey('kuznetsova.e')), 'the account’s throttle row is gone')
    t.ok(left.includes(blockKey('novikova.o')), 'another account’s row stays')
    const [event, ...more] = await auditOf('kuznetsova.e', 'account_unblocked')
    t.same(more, [])
    t.equal(event?.outcome, 'unblocked')
    t.same(event?.details, { operator: 'Петрова ***-***-*** **', failures: 10 })
    t.notMatch(run.all, /112-233-445/)

    const again = await cli(['accounts', 'unblock', 'kuznetsova.e', '--region', '29', '--operator', 'Петрова'])
    t.equal(again.code, 0)
    t.same(again.stdout, ['kuznetsova.e (29) was not blocked; its count of failed attempts is cleared'])
    t.equal((await auditOf('kuznetsova.e', 'account_unblocked'))[1]?.outcome, 'not_blocked')
  },
)

t.test(
  'accounts unblock lifts the block that failures typed as the SNILS or in capitals made (the key is a keyed hash)',
  async (t) => {
    const policy = { accountFailures: 3, ipFailures: 100, windowSeconds: 900, blockSeconds: 900 }
    for (const typed of ['145-678-912 08', 'SMIRNOV.A', ' smirnov.a ']) {
      const { throttleKey } = await identifyLogin(db, '29', typed, pepper)
      await recordFailure(db, attemptKeys('29', throttleKey, '192.0.2.7'), policy, new Date())
    }
    const keys = (await db.selectFrom('login_throttle').select('key').execute()).map((row) => row.key)
    t.ok(
      keys.includes(blockKey('smirnov.a')),
      'the three writings were counted on one key, the one the support desk computes',
    )
    t.notOk(
      keys.some((key) => key.includes('smirnov') || key.includes('14567891208')),
      'no login or SNILS in clear',
    )
    const shown = await cli(['accounts', 'show', 'smirnov.a', '--region', '29'])
    t.ok(
      shown.stdout.some((line) => /^blocked: +yes, until /.test(line)),
      'accounts show finds the block',
    )
    const run = await cli(['accounts', 'unblock', 'smirnov.a', '--region', '29', '--operator', 'Петрова'])
    t.match(run.stdout[0], /^smirnov\.a \(29\) is unblocked/)
    t.notOk(
      (await db.selectFrom('login_throttle').select('key').execute()).some((row) => row.key === blockKey('smirnov.a')),
      'the block is gone',
    )
  },
)

t.test(
  'accounts reset-password: a temporary password shown once, must change, old password dead, every session ended',
  async (t) => {
    const before = await accountOf('novikova.o')
    const first = await addSession('novikova.o', { method: 'password' })
    const second = await addSession('novikova.o', { method: 'state_services' })
    const now = new Date()

    const run = await cli(['accounts', 'reset-password', 'novikova.o', '--region', '29', '--operator', 'Петрова'], {
      now,
    })
    t.equal(run.code, 0)
    const password = /^temporary password for novikova\.o \(29\): ([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})$/.exec(
      run.stdout[0] ?? '',
    )?.[1]
    t.ok(password, run.stdout.join('\n'))
    t.same(run.stdout.slice(1), [
      'it is shown only this once; the person must choose a new password at the next sign-in',
      'every session of the account has ended',
    ])

    const after = await accountOf('novikova.o')
    t.equal(after.must_change_password, true)
    t.not(after.password_hash, before.password_hash)
    const hasher = createPasswordHasher({ workers: 1 })
    t.teardown(() => hasher.close())
    t.equal(await hasher.verify(after.password_hash!, demoPassword), false, 'the old password no longer works')
    t.equal(await hasher.verify(after.password_hash!, password!), true, 'the printed password is the new one')
    t.notMatch(run.all, after.password_hash!)

    for (const { sessionId, familyId } of [first, second]) {
      t.match(await sessionRow(sessionId), { ended_at: Date, ended_reason: 'password_reset' })
      t.match(await familyRow(familyId), { revoked_at: Date, revoked_reason: 'password_reset' })
    }
    const events = await auditOf('novikova.o', 'password_reset')
    t.same(
      events.map((event) => event.details),
      [{ operator: 'Петрова', linksEnded: 0 }],
    )
  },
)

t.test(
  'accounts reset-password ends the State Services links made with the password from unconfirmed accounts, and says which',
  async (t) => {
    const unverified = await addLink('ivanov.p', { subject: 'stranger', method: 'password', verified: false })
    await addLink('ivanov.p', { subject: 'owner', method: 'password', verified: true, issuer: 'https://other.example' })
    const run = await cli(['accounts', 'reset-password', 'ivanov.p', '--region', '29', '--operator', 'Петрова'])
    t.equal(run.code, 0)
    t.equal(run.stdout[3], '1 State Services link made by password from an unverified account ended:')
    t.match(run.stdout[4], new RegExp(`^ {2}${unverified.id} {2}\\S+ {2}stranger {2}password {2}unverified {2}`))
    const links = await db
      .selectFrom('identity_link')
      .innerJoin('diary_account', 'diary_account.id', 'identity_link.account_id')
      .select('subject')
      .where('login', '=', 'ivanov.p')
      .execute()
    t.same(links, [{ subject: 'owner' }], 'the binding of a confirmed account stays')
    const removed = await auditOf('ivanov.p', 'link_removed')
    t.match(
      removed.map((event) => event.details),
      [{ by: 'password_change', reason: 'password_changed', subject: 'stranger', verified: false }],
    )
  },
)
