import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import t from 'tap'
import { readSignInHistory } from '../../src/audit/read-audit-events.js'
import { recordAuditEvent } from '../../src/audit/record-audit-event.js'
import { openTestDatabase } from '../helpers/test-database.js'

const { db } = await openTestDatabase(t)
const start = Date.parse('2026-12-01T08:00:00Z')
const minute = 60_000

/** One audit row of `accountId`, `minutes` after the start. */
async function insert(
  accountId: string,
  minutes: number,
  type: string,
  outcome: string,
  details: Record<string, unknown> = {},
) {
  await sql`insert into audit_event (at, type, outcome, account_id, region, details)
    values (${new Date(start + minutes * minute)}, ${type}, ${outcome}, ${accountId}::uuid, '29', ${JSON.stringify(details)}::jsonb)`.execute(
    db,
  )
}

const timesOf = (events: { at: Date }[]) => events.map((event) => (event.at.getTime() - start) / minute)

t.test('the last ten of each, newest first, this account only, sign-ins only', async (t) => {
  const account = randomUUID()
  const other = randomUUID()
  for (let i = 0; i < 14; i += 1) {
    await insert(account, i * 10, 'password_sign_in', 'success')
    await insert(account, i * 10 + 1, 'password_sign_in', 'failure')
    await insert(account, i * 10 + 2, 'authorization_code', 'issued', { clientId: 'diary' })
  }
  // Newer than all of the account's, on other accounts or of other kinds: never in its history.
  await insert(other, 500, 'password_sign_in', 'success')
  await insert(other, 501, 'password_sign_in', 'failure')
  for (const [type, outcome] of [
    ['password_confirmation', 'failure'],
    ['password_current', 'failure'],
    ['password_binding', 'success'],
    ['account_unblocked', 'not_blocked'],
    ['session_confirmation', 'mismatch'],
    ['password_recovery_identity', 'not_verified'],
    ['logout', 'success'],
    ['link_account', 'needs_password'],
    ['second_factor_enrolment', 'enrolled'],
  ] as const)
    await insert(account, 600, type, outcome)
  await insert(account, 601, 'second_factor', 'success', { way: 'totp', purpose: 'enrolment' })
  await insert(account, 602, 'second_factor', 'failure', { way: 'totp', purpose: 'enrolment' })

  const history = await readSignInHistory(db, account)
  t.same(timesOf(history.successes), [130, 120, 110, 100, 90, 80, 70, 60, 50, 40], 'the last ten successes')
  t.same(timesOf(history.failures), [131, 121, 111, 101, 91, 81, 71, 61, 51, 41], 'the last ten failures')
  t.ok(
    history.successes.every((e) => e.type === 'password_sign_in' && e.outcome === 'success'),
    'only successes on that side',
  )
  t.ok(
    history.failures.every((e) => e.type === 'password_sign_in' && e.outcome === 'failure'),
    'only failures on that side',
  )
  t.same(
    Object.keys(history.successes[0] ?? {}).sort(),
    ['at', 'details', 'outcome', 'type'],
    'no ids nor request data',
  )

  const three = await readSignInHistory(db, account, 3)
  t.same(timesOf(three.successes), [130, 120, 110], 'limit applies to successes')
  t.same(timesOf(three.failures), [131, 121, 111], 'limit applies to failures')

  t.same(await readSignInHistory(db, randomUUID()), { successes: [], failures: [] }, 'an account with no events')
})

t.test('every kind of sign-in and refusal, on its side, details kept', async (t) => {
  const account = randomUUID()
  const successes: [type: string, outcome: string, details: Record<string, unknown>][] = [
    ['password_sign_in', 'success', {}],
    ['link_decision', 'linked', { issuer: 'https://esia.example', method: 'auto_snils', created: true }],
    ['link_binding', 'linked', { issuer: 'https://esia.example', method: 'password' }],
    ['account_choice', 'chosen', { accounts: 2 }],
    ['passkey_sign_in', 'success', { way: 'passkey', purpose: 'sign_in' }],
    ['second_factor', 'success', { way: 'totp', purpose: 'sign_in' }],
    ['second_factor', 'success', { way: 'recovery_code', purpose: 'step_up' }],
  ]
  const failures: [type: string, outcome: string, details: Record<string, unknown>][] = [
    ['password_sign_in', 'failure', {}],
    ['password_sign_in', 'closed', {}],
    ['password_binding', 'failure', {}],
    ['password_binding', 'closed', {}],
    ['link_decision', 'needs_password', { reason: 'not_verified' }],
    ['link_decision', 'conflict', { reason: 'account_linked_elsewhere' }],
    ['link_binding', 'refused', { reason: 'snils_differs' }],
    ['link_binding', 'conflict', { reason: 'account_linked_elsewhere' }],
    ['passkey_sign_in', 'failure', { way: 'passkey', purpose: 'sign_in' }],
    ['second_factor', 'failure', { way: 'recovery_code', purpose: 'sign_in' }],
  ]
  let order = 0
  for (const [type, outcome, details] of [...successes, ...failures])
    await insert(account, (order += 1), type, outcome, details)
  await recordAuditEvent(db, {
    type: 'account_unblocked',
    outcome: 'unblocked',
    accountId: account,
    details: { failures: 5, operator: 'Петрова А.В.' },
  })

  const history = await readSignInHistory(db, account, 20)
  const shape = (events: { type: string; outcome: string; details: Record<string, unknown> }[]) =>
    events.map((e) => [e.type, e.outcome, e.details])
  // The issuer and the operator's name stay in the trail: only the codes and counts a wording needs come back.
  const told = ([type, outcome, { issuer: _issuer, ...details }]: (typeof successes)[number]) => [
    type,
    outcome,
    details,
  ]
  t.same(shape(history.successes), [...successes].reverse().map(told), 'every success, newest first')
  t.same(
    shape(history.failures),
    [['account_unblocked', 'unblocked', { failures: 5 }], ...[...failures].reverse().map(told)],
    'every refusal and the unblock, newest first',
  )
})

t.test('events written in the same instant come in the order they were written', async (t) => {
  const account = randomUUID()
  await insert(account, 0, 'password_sign_in', 'success')
  await insert(account, 0, 'second_factor', 'success', { way: 'totp', purpose: 'sign_in' })
  const history = await readSignInHistory(db, account)
  t.same(
    history.successes.map((e) => e.type),
    ['second_factor', 'password_sign_in'],
    'the later id first',
  )
})
