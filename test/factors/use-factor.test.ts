/*
 * A typed code against the database: a right TOTP code is accepted once (also when two instances try it at
 * once), the code of the step before still counts, a replay or a wrong code is refused; a recovery code
 * typed in any form counts once, and never for another account.
 */
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { HOTP, Secret } from 'otpauth'
import t from 'tap'
import { secretsKey } from '../../src/accounts/keyed-hash.js'
import { factorSecretKey, hashRecoveryCode, sealFactorSecret } from '../../src/factors/factor-secret.js'
import {
  confirmTotp,
  replaceRecoveryCodes,
  startTotp,
  totpFactorsFrom,
  totpFactorsSql,
} from '../../src/factors/factor.repository.js'
import { createRecoveryCodes, normaliseRecoveryCode } from '../../src/factors/recovery-codes.js'
import { createTotpSecret, totpStep } from '../../src/factors/totp.js'
import { matchTotpFactors, recoveryCodeSpend } from '../../src/factors/use-factor.js'
import { openTestDatabase } from '../helpers/test-database.js'

const { db } = await openTestDatabase(t)
const factorKey = factorSecretKey(randomBytes(32))
const hashKey = secretsKey(randomBytes(32))

async function newAccount(login: string): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    insert into diary_account (region, login, role, family_name, given_name)
    values ('29', ${login}, 'teacher', 'Тестова', 'Анна') returning id`.execute(db)
  return rows[0]?.id as string
}

const findTotpFactors = async (accountId: string) =>
  totpFactorsFrom((await sql<{ f: unknown }>`select ${totpFactorsSql(accountId)} as f`.execute(db)).rows[0]?.f)

/** A code checked against the account's code apps as read now, and spent by its UPDATE run alone. */
async function useTotpCode(key: Buffer, accountId: string, typed: string, now: Date) {
  const spend = matchTotpFactors(key, await findTotpFactors(accountId), typed, now)
  const rows = spend === undefined ? [] : (await spend.body.execute(db)).rows
  const row = rows[0] as { id: string } | undefined
  return row === undefined ? { kind: 'refused' } : { kind: 'accepted', factorId: row.id }
}

async function useRecoveryCode(key: Buffer, accountId: string, typed: string, now: Date) {
  const spend = recoveryCodeSpend(key, accountId, typed, now)
  return spend !== undefined && (await spend.body.execute(db)).rows.length === 1
}

const codeAt = (secret: string, step: number) =>
  HOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, counter: step })

t.test('matchTotpFactors, spent by its UPDATE', async (t) => {
  const accountId = await newAccount('totp.user')
  const secret = createTotpSecret()
  const now = new Date('2026-12-07T20:00:10Z')
  const step = totpStep(now.getTime())
  const id = await startTotp(db, accountId, 'Телефон', sealFactorSecret(factorKey, secret))
  t.ok(await confirmTotp(db, accountId, id, step - 2, new Date()), 'confirmed two steps ago')

  const spaced = `${codeAt(secret, step - 1).slice(0, 3)} ${codeAt(secret, step - 1).slice(3)}`
  t.same(
    await useTotpCode(factorKey, accountId, spaced, now),
    { kind: 'accepted', factorId: id },
    'the step before, typed with a space',
  )
  t.same(await useTotpCode(factorKey, accountId, codeAt(secret, step - 1), now), { kind: 'refused' }, 'replay')
  const parallel = await Promise.all(
    Array.from({ length: 4 }, () => useTotpCode(factorKey, accountId, codeAt(secret, step), now)),
  )
  t.equal(parallel.filter((outcome) => outcome.kind === 'accepted').length, 1, 'four instances at once: one accepts')
  t.equal((await findTotpFactors(accountId))[0]?.lastStep, step)
  t.same(
    await useTotpCode(factorKey, accountId, codeAt(secret, step - 1), now),
    { kind: 'refused' },
    'an earlier step after a later one',
  )
  t.same(
    await useTotpCode(factorKey, accountId, codeAt(createTotpSecret(), step + 1), now),
    { kind: 'refused' },
    'another secret',
  )
  t.same(await useTotpCode(factorKey, accountId, 'abcdef', now), { kind: 'refused' }, 'not a code')
  t.same(
    await useTotpCode(factorKey, await newAccount('totp.none'), codeAt(secret, step + 1), now),
    { kind: 'refused' },
    'an account without the factor',
  )
  t.same(
    await useTotpCode(factorKey, accountId, codeAt(secret, step + 1), now),
    { kind: 'accepted', factorId: id },
    'the step after still counts',
  )
  await t.rejects(
    useTotpCode(factorSecretKey(randomBytes(32)), accountId, codeAt(secret, step + 1), now),
    'another key: a fault of the installation, not a wrong code',
  )
})

t.test('recoveryCodeSpend, spent by its UPDATE', async (t) => {
  const accountId = await newAccount('codes.user')
  const otherId = await newAccount('codes.other')
  const codes = createRecoveryCodes()
  await replaceRecoveryCodes(
    db,
    accountId,
    codes.map((code) => hashRecoveryCode(hashKey, accountId, normaliseRecoveryCode(code) as string)),
  )
  const [first, second] = codes as [string, string]
  const now = new Date()
  t.equal(await useRecoveryCode(hashKey, otherId, first, now), false, "not another account's")
  t.equal(
    await useRecoveryCode(hashKey, accountId, first.toUpperCase().replace(/-/g, ' '), now),
    true,
    'typed in capitals with spaces',
  )
  t.equal(await useRecoveryCode(hashKey, accountId, first, now), false, 'once')
  t.equal(await useRecoveryCode(hashKey, accountId, 'not a code', now), false)
  t.equal(await useRecoveryCode(hashKey, accountId, second, now), true)
})
