import t from 'tap'
import { type EndReason, endSessions, type SessionSelector } from '../../src/sessions/end-sessions.js'
import { findActiveSession, listActiveSessions, startSession } from '../../src/sessions/login-session.js'
import { findAccountByLogin } from '../../src/accounts/account.repository.js'
import { importDemoAccounts } from '../helpers/demo-world.js'
import { loadTestConfig } from '../helpers/test-config.js'
import { openTestDatabase } from '../helpers/test-database.js'

const config = loadTestConfig(t)
const database = await openTestDatabase(t)
await importDemoAccounts(database, config)
const { db } = database
const now = new Date()
const clock = { now, idleTimeoutSeconds: 1800 }
const end = (selector: SessionSelector, reason: EndReason) =>
  db.transaction().execute((trx) => endSessions(trx, selector, reason, now))
const account = (await findAccountByLogin(db, '29', 'ivanova.m'))!
const other = (await findAccountByLogin(db, '29', 'ivanov.p'))!

async function world() {
  await db.deleteFrom('token_family').execute()
  await db.deleteFrom('login_session').execute()
  const start = (accountId: string, method: 'password' | 'state_services', upstreamIssuer?: string) =>
    startSession(db, { accountId, method, upstreamIssuer, browser: null, lifetimeSeconds: 3600, now })
  const sessions = {
    password: await start(account.id, 'password'),
    esia: await start(account.id, 'state_services', 'https://esia.example'),
    other: await start(other.id, 'password'),
  }
  const family = (sessionId: string | null, clientId: string, accountId = account.id) =>
    db
      .insertInto('token_family')
      .values({
        client_id: clientId,
        account_id: accountId,
        session_id: sessionId,
        scope: 'openid',
        auth_time: now,
        amr: 'pwd',
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  await family(sessions.password.id, 'web-diary')
  await family(sessions.esia.id, 'mobile')
  await family(null, 'schedule')
  await family(sessions.other.id, 'web-diary', other.id)
  return sessions
}

const active = async () =>
  (await db.selectFrom('login_session').select('id').where('ended_at', 'is', null).execute())
    .map((row) => row.id)
    .sort()
const liveFamilies = async () =>
  (
    await db
      .selectFrom('token_family')
      .select('client_id')
      .where('revoked_at', 'is', null)
      .orderBy('client_id')
      .execute()
  ).map((row) => row.client_id)

t.test('by session: that session and its refresh families', async (t) => {
  const sessions = await world()
  const ended = await end({ sessionId: sessions.password.id }, 'logout')
  t.same(ended, [{ sessionId: sessions.password.id, clientId: 'web-diary' }])
  t.same(await active(), [sessions.esia.id, sessions.other.id].sort())
  t.same(await liveFamilies(), ['mobile', 'schedule', 'web-diary'])
  const row = await db
    .selectFrom('login_session')
    .select(['ended_reason', 'ended_at'])
    .where('id', '=', sessions.password.id)
    .executeTakeFirstOrThrow()
  t.equal(row.ended_reason, 'logout')
  t.same(await end({ sessionId: sessions.password.id }, 'logout'), [], 'ending it again changes nothing')
  t.same(await end({ sessionId: 'not-a-uuid' }, 'logout'), [])
})

t.test('by account: every session and every family of the account, sessions without tokens included', async (t) => {
  const sessions = await world()
  const ended = await end({ accountId: account.id }, 'sign_out_everywhere')
  t.same(
    new Set(ended.map((pair) => `${pair.sessionId}:${pair.clientId}`)),
    new Set([`${sessions.password.id}:web-diary`, `${sessions.esia.id}:mobile`, 'null:schedule']),
  )
  t.same(await active(), [sessions.other.id], 'another account is untouched')
  t.same(await liveFamilies(), ['web-diary'])
})

t.test('by account but this one: the current session and its families stay', async (t) => {
  const sessions = await world()
  await end({ accountId: account.id, exceptSessionId: sessions.password.id }, 'password_change')
  t.same(await active(), [sessions.password.id, sessions.other.id].sort())
  t.same(await liveFamilies(), ['web-diary', 'web-diary'], 'the current session’s family and the other account’s')
})

t.test('by provider: only the sessions that came through that State Services provider', async (t) => {
  const sessions = await world()
  const ended = await end({ accountId: account.id, upstreamIssuer: 'https://esia.example' }, 'link_removed')
  t.same(ended, [{ sessionId: sessions.esia.id, clientId: 'mobile' }])
  t.same(await active(), [sessions.password.id, sessions.other.id].sort())
  t.same(await liveFamilies(), ['schedule', 'web-diary', 'web-diary'])
  const none = await end({ accountId: account.id, upstreamIssuer: 'https://nobody.example' }, 'link_removed')
  t.same(none, [], 'no session, no family revoked')
  t.same(await liveFamilies(), ['schedule', 'web-diary', 'web-diary'])
})

t.test('idle expiry: the last request counts, refreshed at most once a minute', async (t) => {
  const sessions = await world()
  const at = (minutes: number) => ({ now: new Date(now.getTime() + minutes * 60_000), idleTimeoutSeconds: 1800 })
  t.ok(await findActiveSession(db, sessions.password.id, at(0.5)))
  const unchanged = await db
    .selectFrom('login_session')
    .select('last_seen_at')
    .where('id', '=', sessions.password.id)
    .executeTakeFirstOrThrow()
  t.equal(unchanged.last_seen_at.getTime(), now.getTime(), 'no write within the first minute')
  t.ok(await findActiveSession(db, sessions.password.id, at(29)))
  t.notOk(await findActiveSession(db, sessions.esia.id, at(31)), 'another session, unused for 31 minutes, is idle')
  t.ok(await findActiveSession(db, sessions.password.id, at(58)), '29 minutes after the last use')
  t.same(
    (await listActiveSessions(db, account.id, at(58))).map((session) => session.id),
    [sessions.password.id],
    'the list has only the one in use',
  )
  t.notOk(
    await findActiveSession(db, sessions.password.id, at(61)),
    'used 3 minutes ago, but past the absolute lifetime of 60 minutes',
  )
  t.notOk(await findActiveSession(db, 'not-a-uuid', clock))
})

t.test(
  'every (session, module) pair whose tokens were revoked gets one back-channel logout notice, in the same transaction',
  async (t) => {
    await db.deleteFrom('logout_notice').execute()
    const sessions = await world()
    await end({ accountId: account.id }, 'password_reset')
    const notices = await db
      .selectFrom('logout_notice')
      .select(['client_id', 'session_id', 'account_id', 'reason'])
      .orderBy('client_id')
      .execute()
    t.same(notices, [
      { client_id: 'mobile', session_id: sessions.esia.id, account_id: account.id, reason: 'password_reset' },
      { client_id: 'schedule', session_id: null, account_id: account.id, reason: 'password_reset' },
      { client_id: 'web-diary', session_id: sessions.password.id, account_id: account.id, reason: 'password_reset' },
    ])
    await end({ accountId: account.id }, 'password_reset')
    t.equal((await db.selectFrom('logout_notice').select('id').execute()).length, 3, 'ending again tells nobody twice')
    await t.rejects(
      db.transaction().execute(async (trx) => {
        await endSessions(trx, { accountId: other.id }, 'support', now)
        throw new Error('rolled back')
      }),
    )
    t.equal(
      (await db.selectFrom('logout_notice').select('id').where('account_id', '=', other.id).execute()).length,
      0,
      'a rolled-back ending leaves no notice',
    )
  },
)
