import t from 'tap'
import { bindWithPassword, resolveLink } from '../../src/linking/link-account.js'
import { hmacSnils } from '../../src/linking/snils.js'
import type { Identity } from '../../src/upstream/identity.js'
import { importDemoAccounts } from '../helpers/demo-fixture.js'
import { loadTestConfig } from '../helpers/test-config.js'
import { openTestDatabase } from '../helpers/test-database.js'

const config = loadTestConfig(t)
const database = await openTestDatabase(t)
await importDemoAccounts(database, config)
const { db } = database
const pepper = config.secrets.snilsPepper.reveal()
const context = { region: config.regions.get('29')!, snilsPepper: pepper }
const maria: Identity = {
  issuer: 'https://esia.example',
  subject: 'oid-maria',
  verified: true,
  familyName: 'Иванова',
  givenName: 'Мария',
  patronymic: 'Петровна',
  birthDate: '2012-03-14',
  snils: '11223344595',
  snilsInvalid: false,
}
const accountId = (login: string) =>
  db.selectFrom('diary_account').select('id').where('login', '=', login).executeTakeFirstOrThrow().then((row) => row.id)

t.test('twenty parallel callbacks of one new identity create exactly one link and no error', async (t) => {
  const outcomes = await Promise.all(
    Array.from({ length: 20 }, () => db.transaction().execute((trx) => resolveLink(trx, context, maria))),
  )
  const id = await accountId('ivanova.m')
  t.ok(outcomes.every((o) => o.kind === 'linked' && o.accountId === id), 'every callback logs in to the same account')
  t.equal(outcomes.filter((o) => o.kind === 'linked' && o.created).length, 1, 'one of them created the link')
  const links = await db.selectFrom('identity_link').selectAll().where('subject', '=', 'oid-maria').execute()
  t.equal(links.length, 1)
  const events = await db.selectFrom('audit_event').select(['outcome', 'account_id']).where('type', '=', 'link_decision').execute()
  t.equal(events.length, 20, 'every decision is an audit event')
})

t.test('another identity of the same provider for a linked account is a conflict; nothing is overwritten', async (t) => {
  const outcome = await db.transaction().execute((trx) => resolveLink(trx, context, { ...maria, subject: 'oid-impostor' }))
  t.same(outcome, { kind: 'conflict', reason: 'account_linked_elsewhere' })
  t.same(await db.selectFrom('identity_link').select('subject').execute(), [{ subject: 'oid-maria' }])
})

t.test('another provider may link the same account', async (t) => {
  const outcome = await db.transaction().execute((trx) => resolveLink(trx, context, { ...maria, issuer: 'https://other.example' }))
  t.match(outcome, { kind: 'linked', created: true })
})

t.test('binding by password: SNILS must not contradict, the identity must not be linked elsewhere', async (t) => {
  const petr = await db.selectFrom('diary_account').select(['id', 'snils_hmac']).where('login', '=', 'ivanov.p').executeTakeFirstOrThrow()
  const other = { issuer: 'https://esia.example', subject: 'oid-sergey', snilsHmac: hmacSnils(pepper, '30140250384') }
  t.same(await db.transaction().execute((trx) => bindWithPassword(trx, context, other, { id: petr.id, snilsHmac: petr.snils_hmac })), {
    kind: 'refused',
    reason: 'snils_differs',
  })
  const noSnils = { issuer: 'https://esia.example', subject: 'oid-olga' }
  t.match(await db.transaction().execute((trx) => bindWithPassword(trx, context, noSnils, { id: petr.id, snilsHmac: petr.snils_hmac })), {
    kind: 'linked',
    created: true,
    method: 'password',
  })
  const alreadyLinked = { issuer: 'https://esia.example', subject: 'oid-maria' }
  t.same(await db.transaction().execute((trx) => bindWithPassword(trx, context, alreadyLinked, { id: petr.id, snilsHmac: null })), {
    kind: 'conflict',
    reason: 'identity_linked_elsewhere',
  })
})
