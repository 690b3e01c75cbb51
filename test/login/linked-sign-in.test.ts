/*
 * The one-statement State Services login of a linked person (src/login/linked-sign-in.ts), against the
 * database: what it writes must be what the careful path writes (a used login transaction, a session,
 * a code, the link decision and the code in the audit trail), and nothing when it does not apply.
 */
import t from 'tap'
import { sql } from 'kysely'
import type { RouteContext } from '../../src/context.js'
import { insertLink } from '../../src/linking/identity-link.repository.js'
import { type LinkedSignIn, signInLinked } from '../../src/login/linked-sign-in.js'
import type { BrowserRequest } from '../../src/login/browser.js'
import { hashToken } from '../../src/oauth/grants.js'
import { loadTestConfig } from '../helpers/test-config.js'
import { openTestDatabase } from '../helpers/test-database.js'

const config = loadTestConfig(t)
const { db } = await openTestDatabase(t)
const now = new Date('2026-09-01T07:30:00Z')
const context = { db, config, now: () => now } as unknown as RouteContext
const browser = {
  requestId: 'req-1',
  ip: '127.0.0.1',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
} as BrowserRequest
const issuer = 'https://esia.example'

const account = await db
  .insertInto('diary_account')
  .values({
    region: '29',
    login: 'ivanova.m',
    role: 'pupil',
    family_name: 'Иванова',
    given_name: 'Мария',
    password_hash: null,
  })
  .returning(['id'])
  .executeTakeFirstOrThrow()
await insertLink(db, {
  accountId: account.id,
  issuer,
  subject: 'person-1',
  method: 'auto_snils',
  verified: true,
  evidence: {},
})

const pending = {
  clientId: 'web-diary',
  redirectUri: 'https://diary.example/callback',
  scope: 'openid profile',
  codeChallenge: 'c'.repeat(43),
  nonce: 'n-1',
  state: 's',
  startedAt: now.getTime(),
}
const identity = { issuer, subject: 'person-1', verified: true, snilsInvalid: false }
const client = config.clients.get('web-diary')
if (client === undefined) throw new Error('the test config has no web-diary client')

const signIn = (
  transactionId: string,
  options: { subject?: string; regions?: string[]; region?: string; personVerified?: boolean } = {},
): Promise<LinkedSignIn> =>
  signInLinked(context, browser, {
    transactionId,
    region: options.region ?? '29',
    identity: {
      ...identity,
      subject: options.subject ?? identity.subject,
      verified: options.personVerified ?? identity.verified,
    },
    client: { ...client, regions: options.regions ?? client.regions },
    pending,
  })

const audit = async (requestId: string) =>
  (
    await sql<{
      type: string
      outcome: string
      account_id: string
      region: string
      client_id: string | null
      details: unknown
    }>`
    select type, outcome, account_id, region, client_id, details from audit_event where request_id = ${requestId} order by id`.execute(
      db,
    )
  ).rows

t.test('a linked person: used transaction, session, code and both audit events, in one statement', async (t) => {
  const result = await signIn('tx-1')
  if (result.kind !== 'signed_in') throw new Error(`expected a sign-in, got ${result.kind}`)
  t.equal(result.accountId, account.id)
  t.equal(result.method, 'auto_snils')
  t.type(result.code, 'string')

  const session = await db
    .selectFrom('login_session')
    .selectAll()
    .where('id', '=', result.sessionId)
    .executeTakeFirstOrThrow()
  t.match(session, {
    account_id: account.id,
    method: 'state_services',
    upstream_issuer: issuer,
    browser: 'Firefox · Linux',
    ended_at: null,
    amr: 'fed',
    acr: 'mfa',
  })
  t.same(session.authenticated_at, now)
  t.same(session.expires_at, new Date(now.getTime() + config.bridge.session.absoluteLifetimeSeconds * 1000))

  const code = await db
    .selectFrom('authorization_code')
    .selectAll()
    .where('code_hash', '=', hashToken(result.code as string))
    .executeTakeFirstOrThrow()
  t.match(code, {
    client_id: 'web-diary',
    account_id: account.id,
    session_id: result.sessionId,
    redirect_uri: pending.redirectUri,
    scope: pending.scope,
    nonce: 'n-1',
    amr: 'fed',
    acr: 'mfa',
    used_at: null,
  })
  t.same(code.expires_at, new Date(now.getTime() + config.bridge.tokens.authorizationCodeTtlSeconds * 1000))

  t.same(await audit('req-1'), [
    {
      type: 'link_decision',
      outcome: 'linked',
      account_id: account.id,
      region: '29',
      client_id: null,
      details: { issuer, method: 'auto_snils', verified: true, created: false },
    },
    {
      type: 'authorization_code',
      outcome: 'issued',
      account_id: account.id,
      region: '29',
      client_id: 'web-diary',
      details: {},
    },
  ])
  t.ok(
    await db.selectFrom('login_transaction_use').select('id').where('id', '=', 'tx-1').executeTakeFirst(),
    'the login transaction is spent',
  )
})

t.test('the same login transaction again: refused, nothing written', async (t) => {
  const sessions = async () => (await db.selectFrom('login_session').select('id').execute()).length
  const before = await sessions()
  t.same(await signIn('tx-1'), { kind: 'used' })
  t.equal(await sessions(), before)
})

t.test(
  'a link of a person the provider did not verify: not here (the careful path asks the second-factor policy)',
  async (t) => {
    const other = await db
      .insertInto('diary_account')
      .values({
        region: '29',
        login: 'unverified.p',
        role: 'teacher',
        family_name: 'Н',
        given_name: 'П',
        password_hash: null,
      })
      .returning(['id'])
      .executeTakeFirstOrThrow()
    await insertLink(db, {
      accountId: other.id,
      issuer,
      subject: 'person-unverified',
      method: 'password',
      verified: false,
      evidence: {},
    })
    const sessions = async () => (await db.selectFrom('login_session').select('id').execute()).length
    const before = await sessions()
    t.same(await signIn('tx-unverified', { subject: 'person-unverified' }), { kind: 'not_linked' })
    t.equal(await sessions(), before, 'no session started')
    // A verified person who bound the diary with its password (anyone who knows a teacher's password can):
    // the link proves the password only, so the careful path asks the second-factor policy.
    await insertLink(db, {
      accountId: other.id,
      issuer,
      subject: 'person-bound',
      method: 'password',
      verified: true,
      evidence: {},
    })
    t.same(await signIn('tx-bound', { subject: 'person-bound' }), { kind: 'not_linked' }, 'a password binding')
    t.same(
      await signIn('tx-not-now', { personVerified: false }),
      { kind: 'not_linked' },
      'an automatic link of a person the provider does not vouch for now',
    )
    t.equal(await sessions(), before, 'no session started')
    t.same(
      await audit('req-1').then((rows) => rows.filter((row) => row.account_id === other.id)),
      [],
      'no decision audited',
    )
  },
)

t.test('a person without a link: the transaction is spent, nothing else is written', async (t) => {
  const sessions = await db.selectFrom('login_session').select('id').execute()
  t.same(await signIn('tx-2', { subject: 'person-2' }), { kind: 'not_linked' })
  t.same(await db.selectFrom('login_session').select('id').execute(), sessions)
  t.ok(await db.selectFrom('login_transaction_use').select('id').where('id', '=', 'tx-2').executeTakeFirst())
})

t.test('a client that does not serve the account region: signed in, no code', async (t) => {
  const codes = (await db.selectFrom('authorization_code').select('code_hash').execute()).length
  const result = await signIn('tx-3', { regions: ['78'] })
  t.match(result, { kind: 'signed_in', accountId: account.id, code: undefined })
  t.equal((await db.selectFrom('authorization_code').select('code_hash').execute()).length, codes)
})

t.test('links are per region: a link in 78 does not sign in from the 29 page, and the 78 page finds it', async (t) => {
  const spb = await db
    .insertInto('diary_account')
    .values({
      region: '78',
      login: 'ivanova.m',
      role: 'pupil',
      family_name: 'Иванова',
      given_name: 'Мария',
      password_hash: null,
    })
    .returning(['id'])
    .executeTakeFirstOrThrow()
  await insertLink(db, {
    accountId: spb.id,
    issuer,
    subject: 'person-78',
    method: 'auto_snils',
    verified: true,
    evidence: {},
  })
  const sessions = (await db.selectFrom('login_session').select('id').execute()).length
  t.same(await signIn('tx-4', { subject: 'person-78' }), { kind: 'not_linked' }, 'from 29: no link of this region')
  t.equal((await db.selectFrom('login_session').select('id').execute()).length, sessions)
  t.match(
    await signIn('tx-5', { subject: 'person-78', region: '78' }),
    { kind: 'signed_in', accountId: spb.id },
    'from 78: its own link',
  )
})

t.test(
  'several links in the region: the careful path (the chooser), nothing written but the spent transaction',
  async (t) => {
    const second = await db
      .insertInto('diary_account')
      .values({
        region: '29',
        login: 'ivanova.m.gym6',
        role: 'pupil',
        family_name: 'Иванова',
        given_name: 'Мария',
        password_hash: null,
      })
      .returning(['id'])
      .executeTakeFirstOrThrow()
    await insertLink(db, {
      accountId: second.id,
      issuer,
      subject: 'person-1',
      method: 'password',
      verified: false,
      evidence: {},
    })
    const before = {
      sessions: (await db.selectFrom('login_session').select('id').execute()).length,
      audit: (await db.selectFrom('audit_event').select('id').execute()).length,
    }
    t.same(await signIn('tx-6'), { kind: 'not_linked' })
    t.equal((await db.selectFrom('login_session').select('id').execute()).length, before.sessions, 'no session')
    t.equal(
      (await db.selectFrom('audit_event').select('id').execute()).length,
      before.audit,
      'no audit event: the careful path writes the decision',
    )
    t.ok(
      await db.selectFrom('login_transaction_use').select('id').where('id', '=', 'tx-6').executeTakeFirst(),
      'the login transaction is spent',
    )
  },
)
