import t from 'tap'
import { recordAuditEvent } from '../../src/audit/record-audit-event.js'
import { openCliWorld, snilsForms } from '../helpers/cli-world.js'

const { db, cli, accountOf, addSession, sessionRow, familyRow, auditOf } = await openCliWorld(t)

t.test(
  'sessions end: every session of the account ends, every refresh-token family is revoked, the operator is audited',
  async (t) => {
    const sessions = [
      await addSession('ivanov.p', { method: 'password' }),
      await addSession('ivanov.p', { method: 'state_services' }),
    ]
    const bystander = await addSession('ivanova.m', { method: 'password' })
    const account = await accountOf('ivanov.p')
    const detached = await db
      .insertInto('token_family')
      .values({
        client_id: 'web-diary',
        account_id: account.id,
        session_id: null,
        scope: 'openid',
        auth_time: new Date(),
        amr: 'pwd',
      })
      .returning('id')
      .executeTakeFirstOrThrow()

    const run = await cli(['sessions', 'end', '--login', 'ivanov.p', '--region', '29', '--operator', 'Петрова'])
    t.equal(run.code, 0, run.all)
    t.same(run.stdout, ['ivanov.p (29): 2 sessions ended, 3 refresh-token families revoked'])
    for (const { sessionId, familyId } of sessions) {
      t.match(await sessionRow(sessionId), { ended_at: Date, ended_reason: 'support' })
      t.match(await familyRow(familyId), { revoked_at: Date, revoked_reason: 'support' })
    }
    t.match(
      await familyRow(detached.id),
      { revoked_at: Date, revoked_reason: 'support' },
      'a family outside any session too',
    )
    t.same(
      await sessionRow(bystander.sessionId),
      { ended_at: null, ended_reason: null },
      'another account keeps its session',
    )
    t.same(await familyRow(bystander.familyId), { revoked_at: null, revoked_reason: null })
    const events = await auditOf('ivanov.p', 'sessions_ended')
    t.same(
      events.map((event) => [event.outcome, event.details]),
      [['success', { by: 'support', operator: 'Петрова', sessionsEnded: 2, familiesRevoked: 3 }]],
    )

    const again = await cli(['sessions', 'end', '--login', 'ivanov.p', '--region', '29', '--operator', 'Петрова'])
    t.same(again.stdout, ['ivanov.p (29): 0 sessions ended, 0 refresh-token families revoked'])
  },
)

t.test('sessions end: refused without --operator (nothing ends) and for an unknown login', async (t) => {
  const session = await addSession('smirnov.a', { method: 'password' })
  const refused = await cli(['sessions', 'end', '--login', 'smirnov.a', '--region', '29'])
  t.equal(refused.code, 1)
  t.same(refused.stderr, [
    'sessions end: --operator NAME is required: every change is recorded with the name of the operator who made it',
  ])
  t.same(await sessionRow(session.sessionId), { ended_at: null, ended_reason: null })
  t.same(await familyRow(session.familyId), { revoked_at: null, revoked_reason: null })
  t.same(await auditOf('smirnov.a', 'sessions_ended'), [])
  const unknown = await cli(['sessions', 'end', '--login', 'nobody', '--region', '29', '--operator', 'Петрова'])
  t.same([unknown.code, unknown.stderr], [1, ['no account with login "nobody" in region 29']])
})

t.test('audit show: the account’s events since the cut-off, oldest first, details as JSON, no SNILS', async (t) => {
  const account = await accountOf('kuznetsova.e')
  const other = await accountOf('ivanova.m')
  await recordAuditEvent(db, {
    type: 'password_sign_in',
    outcome: 'failure',
    accountId: account.id,
    region: '29',
    requestId: 'req-1',
  })
  await recordAuditEvent(db, {
    type: 'password_sign_in',
    outcome: 'success',
    accountId: account.id,
    region: '29',
    requestId: 'req-2',
  })
  await recordAuditEvent(db, {
    type: 'password_sign_in',
    outcome: 'success',
    accountId: other.id,
    region: '29',
    requestId: 'req-other',
  })
  const unblocked = await cli(['accounts', 'unblock', 'kuznetsova.e', '--region', '29', '--operator', 'Петрова'])
  t.equal(unblocked.code, 0)

  const run = await cli(['audit', 'show', '--login', 'kuznetsova.e', '--region', '29'])
  t.equal(run.code, 0, run.all)
  t.match(run.stdout[0], /^kuznetsova\.e \(29\): 3 events since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
  const time = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`
  t.match(run.stdout[1], new RegExp(`^${time} {2}password_sign_in {2}failure {2}req-1 {2}\\{\\}$`))
  t.match(run.stdout[2], new RegExp(`^${time} {2}password_sign_in {2}success {2}req-2 {2}\\{\\}$`))
  t.match(
    run.stdout[3],
    new RegExp(`^${time} {2}account_unblocked {2}not_blocked {2}— {2}\\{"failures":0,"operator":"Петрова"\\}$`),
  )
  t.equal(run.stdout.length, 4)
  t.notMatch(run.all, /req-other/, 'another account’s events are not shown')
  for (const form of snilsForms) t.notMatch(run.all, form)

  const show = await cli(['accounts', 'show', 'kuznetsova.e', '--region', '29'])
  const lastSignIn = show.stdout.find((line) => line.startsWith('last sign-in:'))
  t.match(
    lastSignIn,
    new RegExp(`^last sign-in: +${time}$`),
    'accounts show takes the last sign-in from the audit trail',
  )
})

t.test('audit show --since: periods and ISO moments cut off older events; nonsense is refused', async (t) => {
  const account = await accountOf('morozova.t')
  await recordAuditEvent(db, { type: 'password_sign_in', outcome: 'success', accountId: account.id, region: '29' })
  const at = (await auditOf('morozova.t', 'password_sign_in'))[0]!.at
  const later = (ms: number) => new Date(at.getTime() + ms)

  const counts: [string, Date, number][] = [
    ['30m', later(29 * 60_000), 1],
    ['30m', later(31 * 60_000), 0],
    ['24h', later(23 * 3600_000), 1],
    ['7d', later(8 * 86_400_000), 0],
    [later(-1000).toISOString(), later(0), 1],
    [later(1000).toISOString(), later(0), 0],
    [at.toISOString().slice(0, 10), later(0), 1],
  ]
  for (const [since, now, count] of counts) {
    const run = await cli(['audit', 'show', '--login', 'morozova.t', '--region', '29', '--since', since], { now })
    t.equal(run.code, 0)
    t.equal(run.stdout.length - 1, count, `--since ${since}`)
  }
  const defaulted = await cli(['audit', 'show', '--login', 'morozova.t', '--region', '29'], {
    now: later(8 * 86_400_000),
  })
  t.match(defaulted.stdout, ['morozova.t (29): 0 events since '], 'the default is 7 days')

  for (const since of ['yesterday', '2025-02-30', '7w']) {
    const run = await cli(['audit', 'show', '--login', 'morozova.t', '--region', '29', '--since', since])
    t.equal(run.code, 1)
    t.match(run.stderr, [`--since "${since}" is neither a period`])
  }
  const unknown = await cli(['audit', 'show', '--login', 'nobody', '--region', '29'])
  t.same([unknown.code, unknown.stderr], [1, ['no account with login "nobody" in region 29']])
})
