/*
 * Factors in the database: listed and counted for their account only, a credential id registered once, a
 * passkey counter that only grows, one pending TOTP per account that expires after an hour, a TOTP step
 * and a recovery code spent once even when tried at once, renames and removals scoped by the account.
 */
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import t from 'tap'
import {
  addPasskey,
  confirmTotp,
  factorSummary,
  findPasskeyByCredentialId,
  findPasskeysOfAccount,
  findPendingTotp,
  listFactors,
  recordPasskeyUse,
  removeAllFactors,
  removeFactor,
  renameFactor,
  replaceRecoveryCodes,
  spendRecoveryCodeCte,
  spendTotpStepCte,
  totpFactorsFrom,
  totpFactorsSql,
  startTotp,
} from '../../src/factors/factor.repository.js'
import { openTestDatabase } from '../helpers/test-database.js'

const { db } = await openTestDatabase(t)

// The owners' statement parts run alone: what login/second-factor.ts runs inside its statements.
const findTotpFactors = async (executor: typeof db, accountId: string) =>
  totpFactorsFrom((await sql<{ f: unknown }>`select ${totpFactorsSql(accountId)} as f`.execute(executor)).rows[0]?.f)
const spendTotpStep = async (executor: typeof db, id: string, step: number, at: Date) =>
  (await spendTotpStepCte('spent', id, step, at).body.execute(executor)).rows.length === 1
const spendRecoveryCode = async (executor: typeof db, accountId: string, hash: string, at: Date) =>
  (await spendRecoveryCodeCte('spent', accountId, hash, at).body.execute(executor)).rows.length === 1

async function newAccount(login: string, region = '29'): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    insert into diary_account (region, login, role, family_name, given_name)
    values (${region}, ${login}, 'teacher', 'Тестова', 'Анна') returning id`.execute(db)
  return rows[0]?.id as string
}

const passkey = (overrides: Partial<Parameters<typeof addPasskey>[2]> = {}) => ({
  name: 'Ноутбук',
  credentialId: randomBytes(32),
  publicKey: randomBytes(77),
  signCount: 0,
  transports: ['internal', 'hybrid'],
  multiDevice: true,
  backedUp: true,
  ...overrides,
})
const now = new Date('2026-12-07T20:00:00Z')
const minutes = (n: number) => new Date(now.getTime() + n * 60_000)

t.test('passkeys: added, found by credential id with the account, a credential id once', async (t) => {
  const owner = await newAccount('passkey.owner')
  const other = await newAccount('passkey.other', '77')
  const first = passkey({ signCount: 5 })
  const added = await addPasskey(db, owner, first)
  t.equal(added.kind, 'added')
  t.same(await addPasskey(db, other, passkey({ credentialId: first.credentialId })), { kind: 'already_registered' })
  t.same(await addPasskey(db, owner, passkey({ credentialId: first.credentialId })), { kind: 'already_registered' })

  const found = await findPasskeyByCredentialId(db, first.credentialId)
  t.ok(found)
  t.equal(found?.accountId, owner)
  t.equal(found?.accountState, 'active')
  t.equal(found?.accountRegion, '29')
  t.ok(Buffer.isBuffer(found?.credentialId) && found.credentialId.equals(first.credentialId), 'credential id bytes')
  t.ok(Buffer.isBuffer(found?.publicKey) && found.publicKey.equals(first.publicKey), 'public key bytes')
  t.equal(found?.signCount, 5)
  t.same(found?.transports, ['internal', 'hybrid'])
  t.equal(await findPasskeyByCredentialId(db, randomBytes(32)), undefined)

  t.same(
    (await findPasskeysOfAccount(db, owner)).map((p) => p.credentialId.toString('hex')),
    [first.credentialId.toString('hex')],
  )
  t.same(await findPasskeysOfAccount(db, other), [], 'the refused one was not stored for the other account')
  const [listed] = await listFactors(db, owner)
  t.match(listed, { kind: 'passkey', name: 'Ноутбук', multiDevice: true, backedUp: true, lastUsedAt: null })
  t.notOk('credentialId' in (listed ?? {}) || 'publicKey' in (listed ?? {}), 'a listed factor carries no key material')
})

t.test('recordPasskeyUse: the counter only grows; both 0 is no counter', async (t) => {
  const owner = await newAccount('counter.owner')
  const counting = await addPasskey(db, owner, passkey({ signCount: 10 }))
  const zero = await addPasskey(db, owner, passkey({ signCount: 0 }))
  if (counting.kind !== 'added' || zero.kind !== 'added') throw new Error('not added')
  const counterOf = async (id: string) => (await findPasskeysOfAccount(db, owner)).find((p) => p.id === id)?.signCount

  const cases: [why: string, id: string, count: number, expected: boolean, stored: number][] = [
    ['grew: accepted', counting.id, 11, true, 11],
    ['the same again: a clone or a replay', counting.id, 11, false, 11],
    ['went back', counting.id, 3, false, 11],
    ['0 after counting: a clone (§6.1.1: either non-zero)', counting.id, 0, false, 11],
    ['no counter: 0 and 0', zero.id, 0, true, 0],
    ['no counter, again', zero.id, 0, true, 0],
    ['a counter appears', zero.id, 1, true, 1],
    ['and from then on must grow', zero.id, 0, false, 1],
  ]
  for (const [why, id, count, expected, stored] of cases) {
    t.equal(await recordPasskeyUse(db, id, count, now), expected, why)
    t.equal(await counterOf(id), stored, `${why}: counter stored`)
  }
  t.same(
    (await listFactors(db, owner)).map((f) => f.lastUsedAt?.toISOString()),
    [now.toISOString(), now.toISOString()],
    'last use recorded',
  )
  t.equal(await recordPasskeyUse(db, 'not-a-uuid', 1, now), false)
})

t.test('TOTP: one pending per account, confirmed within the hour by its own account only', async (t) => {
  const owner = await newAccount('totp.owner')
  const other = await newAccount('totp.other')
  const first = await startTotp(db, owner, 'Телефон', 'f1.sealed-first')
  const second = await startTotp(db, owner, 'Телефон', 'f1.sealed-second')
  t.equal(await findPendingTotp(db, owner, first, now), undefined, 'a new enrolment replaced the pending one')
  t.same(await findPendingTotp(db, owner, second, new Date()), {
    id: second,
    name: 'Телефон',
    sealedSecret: 'f1.sealed-second',
    createdAt: (await findPendingTotp(db, owner, second, new Date()))?.createdAt,
  })
  t.equal(await findPendingTotp(db, other, second, new Date()), undefined, 'another account does not see it')
  t.same(await listFactors(db, owner), [], 'a pending factor is not listed')
  t.same(await factorSummary(db, owner), { passkeys: 0, totp: 0, recoveryCodesLeft: 0 })

  const later = new Date(Date.now() + 61 * 60_000)
  t.equal(await confirmTotp(db, owner, second, 1000, later), false, 'past the hour: no longer confirmable')
  t.equal(await findPendingTotp(db, owner, second, later), undefined)
  t.equal(await confirmTotp(db, other, second, 1000, new Date()), false, 'not by another account')
  t.equal(await confirmTotp(db, owner, 'garbage', 1000, new Date()), false)
  t.equal(await confirmTotp(db, owner, second, 1000, new Date()), true)
  t.equal(await confirmTotp(db, owner, second, 1001, new Date()), false, 'confirmed once')
  t.same(await factorSummary(db, owner), { passkeys: 0, totp: 1, recoveryCodesLeft: 0 })

  const parallel = await Promise.all(
    Array.from({ length: 6 }, (_, i) => startTotp(db, other, `Телефон ${i}`, `f1.parallel-${i}`)),
  )
  const pendingLeft = (await Promise.all(parallel.map((id) => findPendingTotp(db, other, id, new Date())))).filter(
    Boolean,
  )
  t.equal(pendingLeft.length, 1, 'six enrolments at once leave one pending factor')

  const third = await startTotp(db, owner, 'Планшет', 'f1.sealed-third')
  t.same(
    (await findTotpFactors(db, owner)).map((f) => [f.id, f.sealedSecret, f.lastStep]),
    [[second, 'f1.sealed-second', 1000]],
    'a new enrolment leaves the confirmed one; only confirmed ones are offered',
  )
  t.ok(await findPendingTotp(db, owner, third, new Date()))
})

t.test('spendTotpStep: only a later step, once, across parallel tries', async (t) => {
  const owner = await newAccount('spend.owner')
  const id = await startTotp(db, owner, 'Телефон', 'f1.sealed')
  t.equal(await spendTotpStep(db, id, 5, now), false, 'a pending factor spends nothing')
  t.ok(await confirmTotp(db, owner, id, 10, new Date()))
  t.equal(await spendTotpStep(db, id, 10, now), false, 'the confirming step is spent')
  t.equal(await spendTotpStep(db, id, 9, now), false, 'an earlier step')
  const parallel = await Promise.all(Array.from({ length: 8 }, () => spendTotpStep(db, id, 11, now)))
  t.equal(parallel.filter(Boolean).length, 1, 'eight parallel tries of one code: one wins')
  t.equal((await findTotpFactors(db, owner))[0]?.lastStep, 11)
  t.equal(await spendTotpStep(db, id, 13, minutes(1)), true, 'a later step')
  t.equal(await spendTotpStep(db, id, 12, minutes(1)), false, 'the step skipped over is gone too')
  t.equal((await listFactors(db, owner))[0]?.lastUsedAt?.toISOString(), minutes(1).toISOString())
})

t.test('rename and remove: scoped by the account', async (t) => {
  const owner = await newAccount('rename.owner')
  const other = await newAccount('rename.other')
  const added = await addPasskey(db, owner, passkey())
  if (added.kind !== 'added') throw new Error('not added')
  t.equal(await renameFactor(db, other, added.id, 'Чужой'), false, 'another account cannot rename it')
  t.equal(await renameFactor(db, owner, added.id, 'Ключ'), true)
  t.equal((await listFactors(db, owner))[0]?.name, 'Ключ')
  t.equal(await removeFactor(db, other, added.id), false, 'another account cannot remove it')
  t.equal(await removeFactor(db, owner, 'not-a-uuid'), false)
  t.equal((await listFactors(db, owner)).length, 1)
  t.equal(await removeFactor(db, owner, added.id), true)
  t.equal(await removeFactor(db, owner, added.id), false, 'gone')
  t.same(await listFactors(db, owner), [])
})

t.test('recovery codes: a set replaces the last one, each code spent once', async (t) => {
  const owner = await newAccount('codes.owner')
  const other = await newAccount('codes.other')
  await replaceRecoveryCodes(db, owner, ['h1', 'h2', 'h3'])
  await replaceRecoveryCodes(db, other, ['h1'])
  t.equal((await factorSummary(db, owner)).recoveryCodesLeft, 3)
  const parallel = await Promise.all(Array.from({ length: 6 }, () => spendRecoveryCode(db, owner, 'h2', now)))
  t.equal(parallel.filter(Boolean).length, 1, 'six parallel tries: one spends it')
  t.equal(await spendRecoveryCode(db, owner, 'h2', now), false, 'spent')
  t.equal(await spendRecoveryCode(db, owner, 'h9', now), false, 'unknown')
  t.equal((await factorSummary(db, owner)).recoveryCodesLeft, 2)
  t.equal((await factorSummary(db, other)).recoveryCodesLeft, 1, "the other account's equal hash is its own")
  await replaceRecoveryCodes(db, owner, ['h4', 'h5'])
  t.equal(await spendRecoveryCode(db, owner, 'h1', now), false, 'the old set is gone')
  t.equal(await spendRecoveryCode(db, owner, 'h4', now), true)
  t.equal((await factorSummary(db, owner)).recoveryCodesLeft, 1)
  await t.rejects(replaceRecoveryCodes(db, owner, ['h6', 'h6']), 'a duplicate hash fails the set')
  t.equal((await factorSummary(db, owner)).recoveryCodesLeft, 1, 'and leaves the previous set as it was')
})

t.test('removeAllFactors: every factor and code of the account, counted; others untouched', async (t) => {
  const owner = await newAccount('reset.owner')
  const other = await newAccount('reset.other')
  await addPasskey(db, owner, passkey())
  await addPasskey(db, owner, passkey())
  const totp = await startTotp(db, owner, 'Телефон', 'f1.sealed')
  await confirmTotp(db, owner, totp, 1, new Date())
  await startTotp(db, owner, 'Планшет', 'f1.pending')
  await replaceRecoveryCodes(db, owner, ['a', 'b', 'c'])
  await spendRecoveryCode(db, owner, 'a', now)
  await addPasskey(db, other, passkey())
  await replaceRecoveryCodes(db, other, ['a'])

  t.same(await removeAllFactors(db, owner), { passkeys: 2, totp: 1, recoveryCodes: 2 })
  t.same(await factorSummary(db, owner), { passkeys: 0, totp: 0, recoveryCodesLeft: 0 })
  const { rows } = await sql<{ n: number }>`
    select (select count(*)::int from account_factor where account_id = ${owner})
      + (select count(*)::int from account_recovery_code where account_id = ${owner}) as n`.execute(db)
  t.equal(rows[0]?.n, 0, 'pending and used rows went too')
  t.same(await factorSummary(db, other), { passkeys: 1, totp: 0, recoveryCodesLeft: 1 })
  t.same(await removeAllFactors(db, owner), { passkeys: 0, totp: 0, recoveryCodes: 0 })
})
