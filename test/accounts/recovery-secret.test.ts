/*
 * One-time secrets in the database: a newer one replaces the live one of its account and purpose under
 * a new id; a code is tried at most five times, parallel right tries spend it once; a stand-in (no
 * account) is tried like a real one and is never right; a link is spent once.
 */
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import t from 'tap'
import { ownerKey, secretsKey } from '../../src/accounts/keyed-hash.js'
import { findLinkSecret, hashCode, newLinkSecret, parseCode, spendLinkSecret, storeSecret, tryCode } from '../../src/accounts/recovery-secret.repository.js'
import { openTestDatabase } from '../helpers/test-database.js'

const { db } = await openTestDatabase(t)
const pepper = secretsKey(randomBytes(32))
const owner = ownerKey(pepper, 'recovery:29:secret.owner')
const now = new Date()
const inTenMinutes = new Date(now.getTime() + 600_000)
const { rows } = await sql<{ id: string }>`insert into diary_account (region, login, role, family_name, given_name) values ('29', 'secret.owner', 'pupil', 'Тестова', 'Анна') returning id`.execute(db)
const accountId = rows[0]?.id as string

t.test('a newer code replaces the live one: the old id is gone, the old code is wrong', async (t) => {
  const first = await storeSecret(db, { lookupKey: owner, accountId, purpose: 'reset_sms', secretHash: hashCode(pepper, '111111'), destination: null, expiresAt: inTenMinutes })
  const second = await storeSecret(db, { lookupKey: owner, accountId, purpose: 'reset_sms', secretHash: hashCode(pepper, '222222'), destination: null, expiresAt: inTenMinutes })
  t.not(first, second)
  t.same(await tryCode(db, first, hashCode(pepper, '222222'), now, 5), { kind: 'gone' })
  t.same(await tryCode(db, second, hashCode(pepper, '111111'), now, 5), { kind: 'wrong', attemptsLeft: 4 })
  t.same(await tryCode(db, second, hashCode(pepper, '222222'), now, 5), { kind: 'right', accountId, destination: null })
  t.same(await tryCode(db, second, hashCode(pepper, '222222'), now, 5), { kind: 'gone' }, 'spent')
})

t.test('parallel right tries, even with clocks apart: exactly one is right', async (t) => {
  const id = await storeSecret(db, { lookupKey: owner, accountId, purpose: 'verify_phone', secretHash: hashCode(pepper, '333333'), destination: '+79001112233', expiresAt: inTenMinutes })
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => tryCode(db, id, hashCode(pepper, '333333'), new Date(now.getTime() - i * 1000), 5)))
  t.equal(results.filter((result) => result.kind === 'right').length, 1)
  t.same(results.find((result) => result.kind === 'right'), { kind: 'right', accountId, destination: '+79001112233' })
})

t.test('five tries, then gone; an expired code is gone', async (t) => {
  const id = await storeSecret(db, { lookupKey: owner, accountId, purpose: 'reset_sms', secretHash: hashCode(pepper, '444444'), destination: null, expiresAt: inTenMinutes })
  const left = []
  for (let i = 0; i < 5; i++) {
    const result = await tryCode(db, id, hashCode(pepper, '000000'), now, 5)
    left.push(result.kind === 'wrong' ? result.attemptsLeft : -1)
  }
  t.same(left, [4, 3, 2, 1, 0])
  t.same(await tryCode(db, id, hashCode(pepper, '444444'), now, 5), { kind: 'gone' }, 'even the right code, after five wrong ones')
  const late = await storeSecret(db, { lookupKey: owner, accountId, purpose: 'reset_sms', secretHash: hashCode(pepper, '555555'), destination: null, expiresAt: inTenMinutes })
  t.same(await tryCode(db, late, hashCode(pepper, '555555'), new Date(inTenMinutes.getTime() + 1), 5), { kind: 'gone' })
})

t.test('a stand-in is tried like a real code and is never right', async (t) => {
  const hash = hashCode(pepper, '666666')
  const nobody = ownerKey(pepper, 'recovery:29:nobody')
  const id = await storeSecret(db, { lookupKey: nobody, accountId: null, purpose: 'reset_sms', secretHash: hash, destination: null, expiresAt: inTenMinutes })
  t.same(await tryCode(db, id, hash, now, 5), { kind: 'wrong', attemptsLeft: 4 })
  const again = await storeSecret(db, { lookupKey: nobody, accountId: null, purpose: 'reset_sms', secretHash: hash, destination: null, expiresAt: inTenMinutes })
  t.not(id, again)
  t.same(await tryCode(db, id, hash, now, 5), { kind: 'gone' }, 'a newer request replaces a stand-in exactly as it replaces a real code')
})

t.test('a link is found until it is spent, once', async (t) => {
  const link = newLinkSecret()
  await storeSecret(db, { lookupKey: owner, accountId, purpose: 'reset_email', secretHash: link.hash, destination: null, expiresAt: inTenMinutes })
  t.equal((await findLinkSecret(db, 'reset_email', link.hash, now))?.accountId, accountId)
  t.equal(await findLinkSecret(db, 'verify_email', link.hash, now), undefined, 'only for its purpose')
  const spent = await Promise.all([spendLinkSecret(db, 'reset_email', link.hash, now), spendLinkSecret(db, 'reset_email', link.hash, now)])
  t.equal(spent.filter(Boolean).length, 1)
  t.equal(await findLinkSecret(db, 'reset_email', link.hash, now), undefined)
})

t.test('a code as typed', async (t) => {
  const rows: [string, string | undefined, string][] = [
    ['123456', '123456', 'six digits'],
    [' 123 456 ', '123456', 'spaces'],
    ['123-456', '123456', 'a dash'],
    ['12345', undefined, 'too short'],
    ['1234567', undefined, 'too long'],
    ['12a456', undefined, 'a letter'],
    ['١٢٣٤٥٦', undefined, 'other digits'],
  ]
  for (const [typed, code, why] of rows) t.equal(parseCode(typed), code, why)
})

t.test('the database refuses a contact that is not normalised and a verification without a contact', async (t) => {
  await t.rejects(sql`update diary_account set email = 'Upper@Example.ru' where id = ${accountId}`.execute(db))
  await t.rejects(sql`update diary_account set phone = '8 900 111-22-33' where id = ${accountId}`.execute(db))
  await t.rejects(sql`update diary_account set email = null, email_verified_at = now() where id = ${accountId}`.execute(db))
})
