import t from 'tap'
import { issuer, openCliWorld, snilsForms } from '../helpers/cli-world.js'

const { db, cli, addLink, addSession, sessionRow, familyRow, auditOf } = await openCliWorld(t)

const otherIssuer = 'https://esia.example'
const time = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`

t.test('links list: by account, and by subject at any provider with the login and region', async (t) => {
  const first = await addLink('ivanov.p', { subject: 'petr' })
  const second = await addLink('smirnov.a', { subject: 'petr', issuer: otherIssuer, method: 'password' })

  const byAccount = await cli(['links', 'list', '--login', 'ivanov.p', '--region', '29'])
  t.equal(byAccount.code, 0)
  t.equal(byAccount.stdout[0], 'ivanov.p (29): 1 link')
  t.match(byAccount.stdout[1], new RegExp(`^${first.id} {2}${issuer} {2}petr {2}auto_snils {2}verified {2}${time}$`))
  t.equal(byAccount.stdout.length, 2)

  const bySubject = await cli(['links', 'list', '--subject', 'petr'])
  t.equal(bySubject.code, 0)
  t.equal(bySubject.stdout.length, 2)
  t.match(
    bySubject.stdout[0],
    new RegExp(`^${first.id} {2}${issuer} {2}petr {2}auto_snils {2}verified {2}${time} {2}ivanov\\.p {2}29$`),
  )
  t.match(
    bySubject.stdout[1],
    new RegExp(`^${second.id} {2}${otherIssuer} {2}petr {2}password {2}unverified {2}${time} {2}smirnov\\.a {2}29$`),
  )

  const none = await cli(['links', 'list', '--login', 'novikova.o', '--region', '29'])
  t.same(none.stdout, ['novikova.o (29): 0 links'])
  const nobody = await cli(['links', 'list', '--subject', 'nobody'])
  t.same([nobody.code, nobody.stdout], [0, ['no account is linked to subject nobody']])
})

t.test('links list: needs --login with --region, or --subject alone; an unknown login is refused', async (t) => {
  for (const argv of [['--login', 'ivanov.p'], ['--subject', 'petr', '--login', 'ivanov.p', '--region', '29'], []]) {
    const run = await cli(['links', 'list', ...argv])
    t.equal(run.code, 1, argv.join(' '))
    t.same(run.stderr, ['links list needs either --login and --region, or --subject alone'])
  }
  const unknown = await cli(['links', 'list', '--login', 'nobody', '--region', '29'])
  t.same([unknown.code, unknown.stderr], [1, ['no account with login "nobody" in region 29']])
})

t.test(
  'links remove: the link goes, its sessions end, the operator and reason are audited with SNILS masked',
  async (t) => {
    const link = await addLink('ivanova.m', { subject: 'anna' })
    const other = await addLink('ivanova.m', { subject: 'maria-elsewhere', issuer: otherIssuer })
    const throughLink = await addSession('ivanova.m', { method: 'state_services' })
    const byPassword = await addSession('ivanova.m', { method: 'password' })

    const run = await cli([
      'links',
      'remove',
      link.id,
      '--reason',
      'mother linked the child, SNILS 112-233-445 95',
      '--operator',
      'Петрова',
    ])
    t.equal(run.code, 0, run.all)
    t.same(run.stdout, [
      `removed link ${link.id}: ${issuer} subject anna (auto_snils) from ivanova.m (29)`,
      '1 session that came through it ended',
    ])
    t.same(run.stderr, [])
    for (const form of snilsForms) t.notMatch(run.all, form)

    const links = await db.selectFrom('identity_link').select('id').where('id', 'in', [link.id, other.id]).execute()
    t.same(links, [{ id: other.id }], 'only that link is gone')
    t.match(await sessionRow(throughLink.sessionId), { ended_at: Date, ended_reason: 'link_removed' })
    t.match(await familyRow(throughLink.familyId), { revoked_at: Date, revoked_reason: 'link_removed' })
    t.same(await sessionRow(byPassword.sessionId), { ended_at: null, ended_reason: null }, 'a password session stays')

    const [event, ...more] = await auditOf('ivanova.m', 'link_removed')
    t.same(more, [])
    t.match(event, { outcome: 'removed', region: '29' })
    t.same(event?.details, {
      by: 'support',
      linkId: link.id,
      issuer,
      subject: 'anna',
      method: 'auto_snils',
      verified: true,
      linkedAt: (event?.details as { linkedAt: string }).linkedAt,
      sessionsEnded: 1,
      operator: 'Петрова',
      reason: 'mother linked the child, SNILS ***-***-*** **',
    })
  },
)

t.test('links remove: refused without --reason or --operator, and for an unknown id; nothing changes', async (t) => {
  const link = await addLink('morozova.t', { subject: 'tatiana' })
  const refusals: [string[], string][] = [
    [
      ['--operator', 'Петрова'],
      'links remove: --reason TEXT is required: the audit trail must say why a link was removed',
    ],
    [
      ['--reason', 'wrong person'],
      'links remove: --operator NAME is required: every change is recorded with the name of the operator who made it',
    ],
    [
      ['--reason', 'wrong person', '--operator', '  '],
      'links remove: --operator NAME is required: every change is recorded with the name of the operator who made it',
    ],
  ]
  for (const [options, message] of refusals) {
    const run = await cli(['links', 'remove', link.id, ...options])
    t.equal(run.code, 1)
    t.same(run.stderr, [message])
    t.same(run.stdout, [])
  }
  for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
    const run = await cli(['links', 'remove', id, '--reason', 'wrong person', '--operator', 'Петрова'])
    t.same([run.code, run.stderr], [1, [`no link with id "${id}"`]])
  }
  t.ok(
    await db.selectFrom('identity_link').select('id').where('id', '=', link.id).executeTakeFirst(),
    'the link is still there',
  )
  t.same(await auditOf('morozova.t', 'link_removed'), [])
})
