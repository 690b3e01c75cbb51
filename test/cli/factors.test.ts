/*
 * "I lost my phone": the support desk lists an account's factors (nothing secret) and resets them: every
 * factor and recovery code goes, the sessions end (the refresh tokens with them), the audit trail says who,
 * why and how many; nothing happens without --confirm, nor for a login of another region.
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'
import {
  addPasskey,
  confirmTotp,
  factorSummary,
  replaceRecoveryCodes,
  spendRecoveryCodeCte,
  startTotp,
} from '../../src/factors/factor.repository.js'
import { openCliWorld } from '../helpers/cli-world.js'

const world = await openCliWorld(t)
const { db, cli, accountOf, addSession, sessionRow, familyRow, auditOf } = world
const now = new Date('2026-12-07T09:00:00.000Z')

const owner = await accountOf('ivanova.m')
const other = await accountOf('smirnov.a')
const credentialId = randomBytes(32)
await addPasskey(db, owner.id, {
  name: 'Ноутбук',
  credentialId,
  publicKey: randomBytes(77),
  signCount: 3,
  transports: ['internal'],
  multiDevice: true,
  backedUp: true,
})
const totp = await startTotp(db, owner.id, 'Телефон', 'f1.sealed-secret-never-printed')
await confirmTotp(db, owner.id, totp, 59_000_000, new Date())
await startTotp(db, owner.id, 'Планшет', 'f1.pending')
await replaceRecoveryCodes(db, owner.id, ['hash-a', 'hash-b', 'hash-c'])
await spendRecoveryCodeCte('spent', owner.id, 'hash-a', now).body.execute(db)
await replaceRecoveryCodes(db, other.id, ['hash-a'])

t.test('accounts factors: kinds, names, times, codes left; never a secret', async (t) => {
  const run = await cli(['accounts', 'factors', 'IVANOVA.M', '--region', '29'])
  t.equal(run.code, 0, run.all)
  t.equal(run.stdout[0], 'ivanova.m (29): 1 passkey, 1 one-time code app, 2 recovery codes left')
  t.match(run.stdout[1], /^passkey {2}Ноутбук {2}created \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ {2}last used — {2}synced$/)
  t.match(run.stdout[2], /^one-time codes \(app\) {2}Телефон {2}created \S+Z {2}last used —$/)
  t.equal(run.stdout.length, 3, 'the pending enrolment is not listed')
  t.notMatch(run.all, /sealed|hash-|Планшет/, 'no secret, no hash, no pending factor')
  t.notMatch(run.all, credentialId.toString('base64url'))

  const none = await cli(['accounts', 'factors', 'smirnov.a', '--region', '29'])
  t.same(none.stdout, ['smirnov.a (29): 0 passkeys, 0 one-time code apps, 1 recovery code left'])
  const elsewhere = await cli(['accounts', 'factors', 'ivanova.m', '--region', '78'])
  t.equal(elsewhere.code, 1)
  t.match(elsewhere.stderr, ['no account with login "ivanova.m" in region 78'])
  const missing = await cli(['accounts', 'factors', 'ivanova.m'])
  t.not(missing.code, 0, '--region is required')
})

t.test('accounts reset-factors: needs --confirm, a reason and an operator', async (t) => {
  const base = ['accounts', 'reset-factors', 'ivanova.m', '--region', '29']
  const unconfirmed = await cli([...base, '--reason', 'lost phone', '--operator', 'Петрова'], { now })
  t.equal(unconfirmed.code, 1)
  t.match(unconfirmed.stderr[0], /removes 1 passkey, 1 one-time code app and 2 recovery codes .* Nothing was changed/)
  for (const missing of [
    [...base, '--reason', 'lost phone', '--confirm'],
    [...base, '--operator', 'Петрова', '--confirm'],
  ]) {
    const run = await cli(missing, { now })
    t.not(run.code, 0, missing.join(' '))
  }
  const elsewhere = await cli(
    ['accounts', 'reset-factors', 'ivanova.m', '--region', '78', '--reason', 'x', '--operator', 'y', '--confirm'],
    { now },
  )
  t.equal(elsewhere.code, 1)
  t.same(await factorSummary(db, owner.id), { passkeys: 1, totp: 1, recoveryCodesLeft: 2 }, 'nothing changed')
  t.same(await auditOf('ivanova.m', 'factors_reset'), [])
})

t.test('accounts reset-factors: factors and codes go, sessions end, audited', async (t) => {
  const { sessionId, familyId } = await addSession('ivanova.m', { method: 'password' })
  const others = await addSession('smirnov.a', { method: 'password' })
  const run = await cli(
    [
      'accounts',
      'reset-factors',
      'ivanova.m',
      '--region',
      '29',
      '--reason',
      'lost phone; passport seen at school 6',
      '--operator',
      'Петрова',
      '--confirm',
    ],
    { now },
  )
  t.equal(run.code, 0, run.all)
  t.same(run.stdout, [
    'ivanova.m (29): removed 1 passkey, 1 one-time code app and 2 unused recovery codes; 1 session ended. It signs in with its password and can enrol again.',
    'the owner was not told (no confirmed contact, or no sender configured)',
  ])
  t.same(await factorSummary(db, owner.id), { passkeys: 0, totp: 0, recoveryCodesLeft: 0 })
  t.same(await factorSummary(db, other.id), { passkeys: 0, totp: 0, recoveryCodesLeft: 1 }, 'another account keeps its')
  t.match(await sessionRow(sessionId), { ended_at: now, ended_reason: 'support' })
  t.not((await familyRow(familyId)).revoked_at, null, 'its refresh tokens are revoked')
  t.equal((await sessionRow(others.sessionId)).ended_at, null, "another account's session goes on")
  t.match(await auditOf('ivanova.m', 'factors_reset'), [
    {
      outcome: 'success',
      region: '29',
      details: {
        by: 'operator:Петрова',
        reason: 'lost phone; passport seen at school 6',
        passkeys_removed: 1,
        totp_removed: 1,
        recovery_codes_removed: 2,
        sessions_ended: 1,
      },
    },
  ])
  const list = await cli(['accounts', 'factors', 'ivanova.m', '--region', '29'])
  t.same(list.stdout, ['ivanova.m (29): 0 passkeys, 0 one-time code apps, 0 recovery codes left'])
})
