import t from 'tap'
import { openCliWorld } from '../helpers/cli-world.js'

const world = await openCliWorld(t)
const { db, cli, accountOf, addLink, addSession, sessionRow, familyRow, auditOf } = world
const now = new Date('2026-12-01T09:00:00.000Z')
const field = (stdout: string[], label: string) => stdout.find((line) => line.startsWith(`${label}:`))?.slice(22)

/** Every row of the tables a refused command could touch. */
async function snapshot() {
  return {
    accounts: await db.selectFrom('diary_account').selectAll().orderBy('id').execute(),
    links: await db.selectFrom('identity_link').selectAll().orderBy('id').execute(),
    sessions: await db.selectFrom('login_session').selectAll().orderBy('id').execute(),
    audit: await db.selectFrom('audit_event').select(['id']).orderBy('id').execute(),
  }
}

t.test(
  'accounts deactivate: sessions end, accounts show says when, by whom and why; reactivate opens it',
  async (t) => {
    const { sessionId, familyId } = await addSession('smirnov.a', { method: 'password' })
    const run = await cli(
      ['accounts', 'deactivate', 'SMIRNOV.A', '--region', '29', '--reason', 'left the school', '--operator', 'Петрова'],
      { now },
    )
    t.equal(run.code, 0, run.all)
    t.same(run.stdout, ['smirnov.a (29) is deactivated: it can no longer sign in; 1 session ended'])
    t.match(await accountOf('smirnov.a'), {
      state: 'deactivated',
      deactivated_at: now,
      deactivated_by: 'operator:Петрова',
      deactivated_reason: 'left the school',
    })
    t.not((await sessionRow(sessionId)).ended_at, null, 'the session ended')
    t.not((await familyRow(familyId)).revoked_at, null, 'its refresh tokens are revoked')
    t.match(await auditOf('smirnov.a', 'account_deactivated'), [
      { details: { by: 'operator:Петрова', reason: 'left the school', sessions_ended: 1 } },
    ])

    const show = await cli(['accounts', 'show', 'smirnov.a', '--region', '29'])
    t.equal(field(show.stdout, 'state'), 'deactivated')
    t.equal(field(show.stdout, 'deactivated at'), '2026-12-01T09:00:00Z')
    t.equal(field(show.stdout, 'deactivated by'), 'operator:Петрова')
    t.equal(field(show.stdout, 'reason'), 'left the school')
    t.equal(field(show.stdout, 'school'), 'Гимназия № 6')

    const again = await cli(
      ['accounts', 'deactivate', 'smirnov.a', '--region', '29', '--reason', 'twice', '--operator', 'Петрова'],
      { now },
    )
    t.equal(again.code, 0)
    t.match(
      again.stdout[0],
      /^smirnov\.a \(29\) is deactivated already \(since 2026-12-01T09:00:00Z, by operator:Петрова\)/,
    )

    const back = await cli(
      ['accounts', 'reactivate', 'smirnov.a', '--region', '29', '--reason', 'came back', '--operator', 'Петрова'],
      { now },
    )
    t.equal(back.code, 0, back.all)
    t.same(back.stdout, ['smirnov.a (29) is active again: it can sign in with its password and its links'])
    t.match(await accountOf('smirnov.a'), { state: 'active', deactivated_at: null, deactivated_reason: null })
    t.match(await auditOf('smirnov.a', 'account_reactivated'), [
      { details: { by: 'operator:Петрова', reason: 'came back' } },
    ])
    const shown = await cli(['accounts', 'show', 'smirnov.a', '--region', '29'])
    t.equal(field(shown.stdout, 'state'), 'active')
    t.equal(field(shown.stdout, 'deactivated at'), undefined, 'no deactivation lines for an active account')
  },
)

t.test('accounts erase: explains and changes nothing without --confirm; with it, only ids are left', async (t) => {
  const account = await accountOf('ivanova.m')
  await addLink('ivanova.m', { subject: 'maria' })
  const { sessionId } = await addSession('ivanova.m', { method: 'state_services' })
  const before = await snapshot()
  const unconfirmed = await cli(['accounts', 'erase', 'ivanova.m', '--region', '29', '--operator', 'Петрова'], { now })
  t.equal(unconfirmed.code, 1)
  t.match(unconfirmed.stderr[0], /cannot be undone.*Nothing was changed: add --confirm to erase\.$/)
  t.same(await snapshot(), before, 'nothing changed')

  const run = await cli(
    [
      'accounts',
      'erase',
      'ivanova.m',
      '--region',
      '29',
      '--operator',
      'Петрова',
      '--reason',
      'asked by the parent',
      '--confirm',
    ],
    { now },
  )
  t.equal(run.code, 0, run.all)
  t.match(
    run.stdout[0],
    `ivanova.m (29) is erased (asked by the parent): 1 session ended; the row keeps only its id ${account.id}`,
  )
  const row = await db.selectFrom('diary_account').selectAll().where('id', '=', account.id).executeTakeFirstOrThrow()
  t.match(row, {
    id: account.id,
    region: '29',
    role: account.role,
    school_id: account.school_id,
    state: 'erased',
    login: account.id,
    family_name: '',
    given_name: '',
    patronymic: null,
    birth_date: null,
    snils_hmac: null,
    snils_last4: null,
    password_hash: null,
    email: null,
    phone: null,
    external_id: null,
  })
  t.equal(
    (await db.selectFrom('identity_link').select('id').where('account_id', '=', account.id).execute()).length,
    0,
    'the links are gone',
  )
  t.not((await sessionRow(sessionId)).ended_at, null, 'the session ended')
  const tombstone = await db
    .selectFrom('audit_event')
    .selectAll()
    .where('account_id', '=', account.id)
    .where('type', '=', 'account_erased')
    .execute()
  t.match(tombstone, [{ region: '29', details: { by: 'operator:Петрова', links_removed: 1, sessions_ended: 1 } }])
  t.notMatch(JSON.stringify(tombstone), /ivanova|Иванова|parent/, 'ids only: no login, name or reason')

  for (const login of ['ivanova.m', account.id]) {
    const show = await cli(['accounts', 'show', login, '--region', '29'])
    t.equal(show.code, 1, `"${login}" finds nothing`)
    t.same(show.stderr, [`no account with login "${login}" in region 29`])
  }
  const twice = await cli(['accounts', 'erase', account.id, '--region', '29', '--operator', 'Петрова', '--confirm'])
  t.equal(twice.code, 1, 'an erased account cannot be erased again by its id')
})

t.test('bad input: an unknown login, a missing --reason or --operator: a clear error, nothing changed', async (t) => {
  const before = await snapshot()
  const cases: [argv: string[], stderr: string][] = [
    [
      ['accounts', 'deactivate', 'nobody', '--region', '29', '--reason', 'x', '--operator', 'Петрова'],
      'no account with login "nobody" in region 29',
    ],
    [
      ['accounts', 'reactivate', 'nobody', '--region', '29', '--reason', 'x', '--operator', 'Петрова'],
      'no account with login "nobody" in region 29',
    ],
    [
      ['accounts', 'erase', 'nobody', '--region', '29', '--operator', 'Петрова', '--confirm'],
      'no account with login "nobody" in region 29',
    ],
    [
      ['accounts', 'deactivate', 'kuznetsova.e', '--region', '29', '--operator', 'Петрова'],
      'accounts deactivate: --reason TEXT is required: the reason is kept with the account and in the audit trail, for whoever asks later',
    ],
    [
      ['accounts', 'reactivate', 'kuznetsova.e', '--region', '29', '--reason', '  ', '--operator', 'Петрова'],
      'accounts reactivate: --reason TEXT is required: the reason is kept with the account and in the audit trail, for whoever asks later',
    ],
    [
      ['accounts', 'deactivate', 'kuznetsova.e', '--region', '29', '--reason', 'x'],
      'accounts deactivate: --operator NAME is required: every change is recorded with the name of the operator who made it',
    ],
  ]
  for (const [argv, stderr] of cases) {
    const run = await cli(argv, { now })
    t.equal(run.code, 1, argv.join(' '))
    t.same(run.stderr, [stderr])
    t.same(run.stdout, [])
  }
  t.same(await snapshot(), before, 'nothing changed')
  t.match(await accountOf('kuznetsova.e'), { state: 'active' })
})

t.test('schools list and schools set-contact', async (t) => {
  const list = await cli(['schools', 'list', '--region', '29'])
  t.equal(list.code, 0, list.all)
  const line = list.stdout.find((text) => text.includes('Школа № 1'))
  const id = line?.split('  ')[0] as string
  t.match(line, /^[0-9a-f-]{36} {2}— {2}Школа № 1 {2}—$/)

  const set = await cli(
    [
      'schools',
      'set-contact',
      id,
      '--region',
      '29',
      '--name',
      'Петрова Анна Сергеевна',
      '--room',
      'каб. 12',
      '--operator',
      'Сидоров',
    ],
    { now },
  )
  t.equal(set.code, 0, set.all)
  t.same(set.stdout, ['Школа № 1: Петрова Анна Сергеевна · каб. 12 · — · —'])
  const more = await cli(
    [
      'schools',
      'set-contact',
      id,
      '--region',
      '29',
      '--hours',
      'пн–пт 9:00–16:00',
      '--room',
      '',
      '--operator',
      'Сидоров',
    ],
    { now },
  )
  t.same(more.stdout, ['Школа № 1: Петрова Анна Сергеевна · — · — · пн–пт 9:00–16:00'], 'the others stay, "" clears')
  const listed = await cli(['schools', 'list', '--region', '29'])
  t.ok(listed.stdout.includes(`${id}  —  Школа № 1  Петрова Анна Сергеевна · — · — · пн–пт 9:00–16:00`), listed.all)
  t.equal(
    (await db.selectFrom('audit_event').select('id').where('type', '=', 'school_contact_set').execute()).length,
    2,
  )

  const other = await cli(['schools', 'set-contact', id, '--region', '78', '--name', 'X', '--operator', 'Сидоров'])
  t.equal(other.code, 1, 'a school of another region is no school')
  t.same(other.stderr, [`no school with id "${id}" in region 78 (see schools list --region 78)`])
  const nothing = await cli(['schools', 'set-contact', id, '--region', '29', '--operator', 'Сидоров'])
  t.same(nothing.stderr, ['schools set-contact: give at least one of --name, --room, --phone, --hours'])
})
