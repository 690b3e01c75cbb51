import { schoolId } from '../helpers/schools.js'
import { sql } from 'kysely'
import t from 'tap'
import { findAccountByLogin } from '../../src/accounts/account.repository.js'
import { bindWithPassword, type PendingBinding, resolveLink } from '../../src/linking/link-account.js'
import { hmacSnils } from '../../src/person/snils.js'
import type { Identity } from '../../src/upstream/connector.js'
import { importDemoAccounts } from '../helpers/demo-world.js'
import { loadTestConfig } from '../helpers/test-config.js'
import { openTestDatabase } from '../helpers/test-database.js'

const config = loadTestConfig(t)
const database = await openTestDatabase(t)
await importDemoAccounts(database, config, ['29', '78'])
const { db } = database
const pepper = config.secrets.snilsPepper.reveal()
const context = { region: config.regions.get('29')!, snilsPepper: pepper, now: new Date() }
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
  db
    .selectFrom('diary_account')
    .select('id')
    .where('region', '=', '29')
    .where('login', '=', login)
    .executeTakeFirstOrThrow()
    .then((row) => row.id)

t.test('twenty parallel callbacks of one new identity create exactly one link and no error', async (t) => {
  const outcomes = await Promise.all(
    Array.from({ length: 20 }, () => db.transaction().execute((trx) => resolveLink(trx, context, maria))),
  )
  const id = await accountId('ivanova.m')
  t.ok(
    outcomes.every((o) => o.kind === 'linked' && o.accountId === id),
    'every callback logs in to the same account',
  )
  t.equal(outcomes.filter((o) => o.kind === 'linked' && o.created).length, 1, 'one of them created the link')
  const links = await db.selectFrom('identity_link').selectAll().where('subject', '=', 'oid-maria').execute()
  t.equal(links.length, 1)
  const events = await db
    .selectFrom('audit_event')
    .select(['outcome', 'account_id'])
    .where('type', '=', 'link_decision')
    .execute()
  t.equal(events.length, 20, 'every decision is an audit event')
})

t.test(
  'another identity of the same provider for a linked account is a conflict; nothing is overwritten',
  async (t) => {
    const outcome = await db
      .transaction()
      .execute((trx) => resolveLink(trx, context, { ...maria, subject: 'oid-impostor' }))
    t.same(outcome, { kind: 'conflict', reason: 'account_linked_elsewhere' })
    t.same(await db.selectFrom('identity_link').select('subject').execute(), [{ subject: 'oid-maria' }])
  },
)

t.test('another provider may link the same account', async (t) => {
  const outcome = await db
    .transaction()
    .execute((trx) => resolveLink(trx, context, { ...maria, issuer: 'https://other.example' }))
  t.match(outcome, { kind: 'linked', created: true })
})

t.test('binding by password: the binding rules first, then the database constraints', async (t) => {
  const petr = (await findAccountByLogin(db, '29', 'ivanov.p'))!
  const bind = (binding: PendingBinding, account = petr) =>
    db.transaction().execute((trx) => bindWithPassword(trx, context, binding, account))
  const petrAsPerson = { familyName: 'Иванов', givenName: 'Петр', patronymic: 'Сергеевич', birthDate: '1984-07-02' }
  t.same(
    await bind({
      issuer: 'https://esia.example',
      subject: 'oid-sergey',
      person: { familyName: 'Соколов', givenName: 'Сергей', snilsHmac: hmacSnils(pepper, '30140250384') },
    }),
    {
      kind: 'refused',
      reason: 'other_person',
    },
    'another person with another SNILS',
  )
  t.same(
    await bind({
      issuer: 'https://esia.example',
      subject: 'oid-petr-2',
      person: { ...petrAsPerson, snilsHmac: hmacSnils(pepper, '30140250384') },
    }),
    {
      kind: 'refused',
      reason: 'snils_differs',
    },
    'the same name, another SNILS',
  )
  t.match(
    await bind({
      issuer: 'https://esia.example',
      subject: 'oid-petr',
      person: { ...petrAsPerson, patronymic: 'Сергевич' },
    }),
    {
      kind: 'linked',
      created: true,
      method: 'password',
    },
    'one typo in the patronymic, no SNILS at State Services',
  )
  const link = await db
    .selectFrom('identity_link')
    .select(['method', 'evidence'])
    .where('subject', '=', 'oid-petr')
    .executeTakeFirstOrThrow()
  t.same(link, {
    method: 'password',
    evidence: { password: 'verified', verified: false, name: 'typo', snils: 'absent', birthDate: 'match' },
  })
  t.same(
    await bind({ issuer: 'https://esia.example', subject: 'oid-maria', person: petrAsPerson }),
    {
      kind: 'conflict',
      reason: 'account_linked_elsewhere',
    },
    'an account linked to another identity of the provider',
  )
  const refusals = await db
    .selectFrom('audit_event')
    .select(['outcome', 'account_id', 'details'])
    .where('type', '=', 'link_binding')
    .where('outcome', '=', 'refused')
    .execute()
  t.same(
    refusals.map((event) => [event.account_id, (event.details as { reason: string }).reason]),
    [
      [petr.id, 'other_person'],
      [petr.id, 'snils_differs'],
    ],
    'every refusal is an audit event',
  )
})

t.test('a verified person outranks a password binding; a link by SNILS is never replaced', async (t) => {
  const elena = (await findAccountByLogin(db, '29', 'kuznetsova.e'))!
  const stranger = {
    issuer: 'https://esia.example',
    subject: 'oid-stranger',
    person: { familyName: 'Кузнецова', givenName: 'Елена', patronymic: 'Викторовна' },
  }
  t.match(await db.transaction().execute((trx) => bindWithPassword(trx, context, stranger, elena)), {
    kind: 'linked',
    method: 'password',
  })
  const session = await db
    .insertInto('login_session')
    .values({
      account_id: elena.id,
      method: 'state_services',
      upstream_issuer: 'https://esia.example',
      expires_at: new Date(Date.now() + 3600_000),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  const owner: Identity = {
    ...maria,
    subject: 'oid-elena',
    familyName: 'Кузнецова',
    givenName: 'Елена',
    patronymic: 'Викторовна',
    birthDate: '1979-01-20',
    snils: '98765432183',
  }
  const outcomes = await Promise.all(
    Array.from({ length: 5 }, () => db.transaction().execute((trx) => resolveLink(trx, context, owner))),
  )
  t.ok(
    outcomes.every((outcome) => outcome.kind === 'linked' && outcome.accountId === elena.id),
    'every parallel callback of the owner signs in',
  )
  t.equal(
    outcomes.filter((outcome) => outcome.kind === 'linked' && outcome.superseded).length,
    1,
    'one of them replaced the password link',
  )
  const links = await db
    .selectFrom('identity_link')
    .select(['subject', 'method'])
    .where('account_id', '=', elena.id)
    .execute()
  t.same(links, [{ subject: 'oid-elena', method: 'auto_snils' }])
  const ended = await db
    .selectFrom('login_session')
    .select(['ended_at', 'ended_reason'])
    .where('id', '=', session.id)
    .executeTakeFirstOrThrow()
  t.equal(ended.ended_reason, 'link_superseded', 'the stranger’s session ended')
  const superseded = await db
    .selectFrom('audit_event')
    .select('details')
    .where('type', '=', 'link_superseded')
    .execute()
  t.match(superseded, [{ details: { supersededSubject: 'oid-stranger', subject: 'oid-elena' } }])

  const again = await db.transaction().execute((trx) => resolveLink(trx, context, { ...owner, subject: 'oid-elena-2' }))
  t.same(again, { kind: 'conflict', reason: 'account_linked_elsewhere' }, 'the verified link stays')
})

t.test(
  'while a replacement waits, another instance links the identity to a second account: both links stay',
  { skip: database.url === undefined && 'needs two connections (DATABASE_URL)' },
  async (t) => {
    const { openDatabase } = await import('../../src/db/open-database.js')
    const other = await openDatabase({ databaseUrl: database.url })
    t.teardown(() => other.destroy())
    const petr = (await findAccountByLogin(db, '29', 'ivanov.p'))!
    const smirnov = (await findAccountByLogin(db, '29', 'smirnov.a'))!
    t.match(
      await db.selectFrom('identity_link').select('method').where('account_id', '=', petr.id).execute(),
      [{ method: 'password' }],
      'bound by password above',
    )
    const verifiedPetr: Identity = {
      ...maria,
      subject: 'oid-petr-verified',
      familyName: 'Иванов',
      givenName: 'Пётр',
      patronymic: 'Сергеевич',
      birthDate: '1984-07-02',
      snils: '12345678964',
    }
    let release = () => {}
    let locked = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    const lockTaken = new Promise<void>((resolve) => (locked = resolve))
    // Another instance holds the password link (so the replacement waits to delete it), then links the
    // same identity to another account of the region and commits. Before issue 16 this made the
    // replacement fail; now an identity may have several accounts, and both links stand.
    const parallel = other.transaction().execute(async (trx) => {
      await trx.selectFrom('identity_link').select('id').where('account_id', '=', petr.id).forUpdate().execute()
      locked()
      await held
      await trx
        .insertInto('identity_link')
        .values({
          account_id: smirnov.id,
          issuer: verifiedPetr.issuer,
          subject: verifiedPetr.subject,
          method: 'password',
          verified: false,
          evidence: '{}',
        })
        .execute()
    })
    await lockTaken
    const replacing = db.transaction().execute((trx) => resolveLink(trx, context, verifiedPetr))
    const waiting = () =>
      sql<{
        n: number
      }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(
        db,
      )
    for (let tries = 0; (await waiting()).rows[0]?.n === 0 && tries < 100; tries++)
      await new Promise((resolve) => setTimeout(resolve, 20))
    release()
    await parallel
    t.match(await replacing, { kind: 'linked', accountId: petr.id, created: true, superseded: true })
    const links = await db
      .selectFrom('identity_link')
      .select(['account_id', 'method'])
      .where('subject', '=', verifiedPetr.subject)
      .orderBy('created_at')
      .execute()
    t.same(links, [
      { account_id: smirnov.id, method: 'password' },
      { account_id: petr.id, method: 'auto_snils' },
    ])
    t.equal(
      (
        await db
          .selectFrom('audit_event')
          .select('id')
          .where('type', '=', 'link_superseded')
          .where('account_id', '=', petr.id)
          .execute()
      ).length,
      1,
    )
  },
)

const context78 = { ...context, region: config.regions.get('78')! }

t.test(
  'links are per region: a link in 29 does not sign in from 78; twenty parallel callbacks in 78 make exactly one second link',
  async (t) => {
    const in29 = await db
      .selectFrom('diary_account')
      .select('id')
      .where('region', '=', '29')
      .where('login', '=', 'ivanova.m')
      .executeTakeFirstOrThrow()
    const in78 = await db
      .selectFrom('diary_account')
      .select('id')
      .where('region', '=', '78')
      .where('login', '=', 'ivanova.m')
      .executeTakeFirstOrThrow()
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => db.transaction().execute((trx) => resolveLink(trx, context78, maria))),
    )
    t.ok(
      outcomes.every((o) => o.kind === 'linked' && o.accountId === in78.id),
      'every callback on the 78 page signs in to the 78 account, never the 29 one',
    )
    t.equal(outcomes.filter((o) => o.kind === 'linked' && o.created).length, 1, 'one of them created the link')
    const links = await db
      .selectFrom('identity_link')
      .select(['account_id', 'method'])
      .where('subject', '=', 'oid-maria')
      .where('issuer', '=', maria.issuer)
      .orderBy('created_at')
      .execute()
    t.same(
      links,
      [
        { account_id: in29.id, method: 'auto_snils' },
        { account_id: in78.id, method: 'auto_snils' },
      ],
      'one identity, two links, one per account',
    )
    t.match(
      await db.transaction().execute((trx) => resolveLink(trx, context, maria)),
      { kind: 'linked', accountId: in29.id, created: false },
      'the 29 page still signs in to 29',
    )
  },
)

t.test(
  'two diaries of one region: `several`, the last chosen first; the binding of the second one is a second link',
  async (t) => {
    const first = await accountId('ivanova.m')
    const second = await db
      .insertInto('diary_account')
      .values({
        region: '29',
        login: 'ivanova.m.gym6',
        role: 'pupil',
        family_name: 'Иванова',
        given_name: 'Мария',
        patronymic: 'Петровна',
        birth_date: '2012-03-14',
        school_id: await schoolId(db, '29', 'Гимназия № 6'),
      })
      .returning(['id'])
      .executeTakeFirstOrThrow()
    const account = (await findAccountByLogin(db, '29', 'ivanova.m.gym6'))!
    const binding = {
      issuer: maria.issuer,
      subject: maria.subject,
      person: {
        familyName: 'Иванова',
        givenName: 'Мария',
        patronymic: 'Петровна',
        birthDate: '2012-03-14',
        snilsHmac: hmacSnils(pepper, maria.snils!),
      },
    }
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () =>
        db.transaction().execute((trx) => bindWithPassword(trx, context, binding, account)),
      ),
    )
    t.ok(
      outcomes.every((o) => o.kind === 'linked' && o.accountId === second.id),
      'every parallel binding answers the second account',
    )
    t.equal(outcomes.filter((o) => o.kind === 'linked' && o.created).length, 1, 'exactly one link was made')
    t.same(
      await db.transaction().execute((trx) => resolveLink(trx, context, maria)),
      { kind: 'several', accountIds: [first, second.id] },
      'never chosen: the oldest first',
    )
    const { markLinkChosen, listLinksOfSubjectInRegion } = await import('../../src/linking/identity-link.repository.js')
    const secondLink = (await listLinksOfSubjectInRegion(db, maria, '29')).find((link) => link.accountId === second.id)!
    await markLinkChosen(db, secondLink.id, new Date())
    t.same(
      await db.transaction().execute((trx) => resolveLink(trx, context, maria)),
      { kind: 'several', accountIds: [second.id, first] },
      'the last chosen first',
    )
    t.same((await listLinksOfSubjectInRegion(db, maria, '78')).length, 1, 'region 78 still sees its one link')
    const decision = await db
      .selectFrom('audit_event')
      .select(['outcome', 'details'])
      .where('type', '=', 'link_decision')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow()
    t.same(
      decision,
      { outcome: 'several', details: { issuer: maria.issuer, accounts: 2 } },
      'the decision is an audit event',
    )
  },
)

t.test('a binding records whether the provider vouched for the person', async (t) => {
  const novikova = (await findAccountByLogin(db, '29', 'novikova.o'))!
  const person = {
    familyName: novikova.familyName,
    givenName: novikova.givenName,
    patronymic: novikova.patronymic,
    birthDate: novikova.birthDate,
  }
  const bind = (subject: string, verified: boolean | undefined, issuer = 'https://esia.example') =>
    db
      .transaction()
      .execute((trx) => bindWithPassword(trx, context, { issuer, subject, person: { ...person, verified } }, novikova))
  t.match(
    await bind('oid-novikova-unverified', false),
    { kind: 'linked', created: true, verified: false },
    'an unverified person',
  )
  t.match(
    await bind('oid-novikova-verified', true, 'https://other-esia.example'),
    { kind: 'linked', created: true, verified: true },
    'a verified person',
  )
  t.match(
    await bind('oid-novikova-old-cookie', undefined, 'https://third.example'),
    { kind: 'linked', verified: false },
    'a login cookie from before the flag: not verified',
  )
  const rows = await db
    .selectFrom('identity_link')
    .select(['subject', 'verified', 'evidence'])
    .where('account_id', '=', novikova.id)
    .orderBy('created_at')
    .execute()
  t.same(
    rows.map((row) => [row.subject, row.verified, (row.evidence as { verified: boolean }).verified]),
    [
      ['oid-novikova-unverified', false, false],
      ['oid-novikova-verified', true, true],
      ['oid-novikova-old-cookie', false, false],
    ],
  )
  t.match(
    await db
      .transaction()
      .execute((trx) =>
        resolveLink(trx, context, { ...maria, issuer: 'https://other-esia.example', subject: 'oid-novikova-verified' }),
      ),
    {
      kind: 'linked',
      verified: true,
    },
    'a sign-in through the link says how it was made',
  )
})

t.test(
  'twins: a one-letter given name binds only when no namesake diary exists, or the verified SNILS is the diary’s',
  async (t) => {
    const twin = async (login: string, givenName: string, snils?: string) =>
      db
        .insertInto('diary_account')
        .values({
          region: '29',
          login,
          role: 'pupil',
          family_name: 'Кузнецова',
          given_name: givenName,
          patronymic: 'Викторовна',
          birth_date: '2012-05-14',
          school_id: await schoolId(db, '29', 'Школа № 1'),
          snils_hmac: snils && hmacSnils(pepper, snils),
          snils_last4: snils?.slice(-4),
        })
        .execute()
    await twin('kuznetsova.alyona', 'Алёна', '30140250384')
    const alyona = (await findAccountByLogin(db, '29', 'kuznetsova.alyona'))!
    const elena = { familyName: 'Кузнецова', givenName: 'Елена', patronymic: 'Викторовна', birthDate: '2012-05-14' }
    const bind = (subject: string, person: PendingBinding['person']) =>
      db
        .transaction()
        .execute((trx) => bindWithPassword(trx, context, { issuer: 'https://twins.example', subject, person }, alyona))

    t.match(
      await bind('oid-elena-alone', elena),
      { kind: 'linked', created: true },
      'no namesake diary in the region: a typo of the owner’s name',
    )
    await db.deleteFrom('identity_link').where('subject', '=', 'oid-elena-alone').execute()

    await twin('kuznetsova.elena', 'Елена')
    t.same(
      await bind('oid-elena', elena),
      { kind: 'refused', reason: 'other_person' },
      'Елена’s own diary exists (same family name, patronymic, birth date): Алёна’s is her sister’s',
    )
    t.same(
      await bind('oid-elena-verified-no-snils', { ...elena, verified: true }),
      { kind: 'refused', reason: 'other_person' },
      'verified, but no SNILS to tell them apart',
    )
    t.match(
      await bind('oid-alyona', {
        ...elena,
        givenName: 'Алена',
        verified: true,
        snilsHmac: hmacSnils(pepper, '30140250384'),
      }),
      { kind: 'linked' },
      'Алёна herself (ё = е, no typo)',
    )
    await db.deleteFrom('identity_link').where('subject', '=', 'oid-alyona').execute()
    t.match(
      await bind('oid-alyona-typo', {
        ...elena,
        givenName: 'Алина',
        verified: true,
        snilsHmac: hmacSnils(pepper, '30140250384'),
      }),
      { kind: 'linked', verified: true },
      'a typo in the given name with the verified SNILS of the diary',
    )
  },
)
