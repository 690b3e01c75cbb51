/*
 * One-time secrets in the database: a recovery owner keeps its last two secrets of a purpose live (a
 * third retires the oldest, under a new id), a confirmation its last one, even when requests run at
 * once; a code is tried at most five times, parallel right tries spend it once, a try may name two
 * secrets; a stand-in (no account) is tried like a real one and is never right; a link is spent once.
 */
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import t from 'tap'
import { ownerKey, secretsKey } from '../../src/accounts/keyed-hash.js'
import {
  findLinkSecret,
  hashCode,
  newLinkSecret,
  parseCode,
  spendLinkSecret,
  storeSecret,
  tryCode,
} from '../../src/accounts/recovery-secret.repository.js'
import { openTestDatabase } from '../helpers/test-database.js'

const { db } = await openTestDatabase(t)
const pepper = secretsKey(randomBytes(32))
const owner = ownerKey(pepper, 'recovery:29:secret.owner')
const now = new Date()
const inTenMinutes = new Date(now.getTime() + 600_000)
const { rows } = await sql<{
  id: string
}>`insert into diary_account (region, login, role, family_name, given_name) values ('29', 'secret.owner', 'pupil', 'Тестова', 'Анна') returning id`.execute(
  db,
)
const accountId = rows[0]?.id as string

const code = (digits: string, lookupKey = owner) =>
  storeSecret(db, {
    lookupKey,
    accountId,
    purpose: 'reset_sms',
    secretHash: hashCode(pepper, digits),
    destination: null,
    expiresAt: inTenMinutes,
  })
const liveOf = async (lookupKey: string) =>
  (
    await db
      .selectFrom('recovery_secret')
      .select('id')
      .where('lookup_key', '=', lookupKey)
      .where('purpose', '=', 'reset_sms')
      .execute()
  )
    .map((row) => row.id)
    .sort()

t.test('a newer code keeps the one before live; a third retires the oldest under a new id', async (t) => {
  const key = ownerKey(pepper, 'recovery:29:two.live')
  const first = await code('111111', key)
  const second = await code('222222', key)
  t.not(first, second)
  t.same(await liveOf(key), [first, second].sort(), 'two live')
  t.same(
    await tryCode(db, [first], hashCode(pepper, '111111'), now, 5),
    { kind: 'right', accountId, destination: null },
    'the older code still works',
  )
  const third = await code('333333', key)
  t.same(await liveOf(key), [second, third].sort(), 'the third took the slot of the oldest (the spent first one)')
  const fourth = await code('444444', key)
  t.same(await liveOf(key), [third, fourth].sort(), 'and the fourth that of the second')
  t.same(
    await tryCode(db, [second], hashCode(pepper, '222222'), now, 5),
    { kind: 'gone' },
    'a retired code is gone, even when right',
  )
  t.same(
    await tryCode(db, [third], hashCode(pepper, '444444'), now, 5),
    { kind: 'wrong', attemptsLeft: 4 },
    "one code is not the other's",
  )
  t.same(await tryCode(db, [fourth], hashCode(pepper, '444444'), now, 5), {
    kind: 'right',
    accountId,
    destination: null,
  })
  t.same(await tryCode(db, [fourth], hashCode(pepper, '444444'), now, 5), { kind: 'gone' }, 'spent')
})

t.test('parallel requests of one owner leave at most two live secrets; a confirmation keeps one', async (t) => {
  const key = ownerKey(pepper, 'recovery:29:parallel')
  const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => code(String(100000 + i), key)))
  t.equal(new Set(ids).size, 12, 'each request got its own id')
  t.equal((await liveOf(key)).length, 2, 'two live, however many arrived at once')
  const confirmations = await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      storeSecret(db, {
        lookupKey: key,
        accountId,
        purpose: 'verify_phone',
        secretHash: hashCode(pepper, String(i)),
        destination: '+79001112233',
        expiresAt: inTenMinutes,
      }),
    ),
  )
  const live = await db
    .selectFrom('recovery_secret')
    .select('id')
    .where('lookup_key', '=', key)
    .where('purpose', '=', 'verify_phone')
    .execute()
  t.equal(live.length, 1, 'one live confirmation')
  t.ok(confirmations.includes(live[0]?.id as string), 'one of those stored')
})

t.test('a try may name two secrets: counted on each live one, right when either matches', async (t) => {
  const key = ownerKey(pepper, 'recovery:29:two.tried')
  const older = await code('121212', key)
  const newer = await code('343434', key)
  t.same(await tryCode(db, [newer, older], hashCode(pepper, '000000'), now, 5), { kind: 'wrong', attemptsLeft: 4 })
  const attempts = await db.selectFrom('recovery_secret').select('attempts').where('id', 'in', [older, newer]).execute()
  t.same(
    attempts.map((row) => row.attempts),
    [1, 1],
    'the wrong try counted on both',
  )
  t.same(
    await tryCode(db, [newer, older], hashCode(pepper, '121212'), now, 5),
    { kind: 'right', accountId, destination: null },
    'the older code on the newer page',
  )
  t.same(
    await tryCode(db, [newer, older], hashCode(pepper, '121212'), now, 5),
    { kind: 'wrong', attemptsLeft: 2 },
    'spent; the newer one is still there (every try counts on it)',
  )
  t.same(await tryCode(db, [], hashCode(pepper, '121212'), now, 5), { kind: 'gone' }, 'no secret named: gone')
})

t.test('parallel right tries, even with clocks apart: exactly one is right', async (t) => {
  const id = await storeSecret(db, {
    lookupKey: owner,
    accountId,
    purpose: 'verify_phone',
    secretHash: hashCode(pepper, '333333'),
    destination: '+79001112233',
    expiresAt: inTenMinutes,
  })
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      tryCode(db, [id], hashCode(pepper, '333333'), new Date(now.getTime() - i * 1000), 5),
    ),
  )
  t.equal(results.filter((result) => result.kind === 'right').length, 1)
  t.same(
    results.find((result) => result.kind === 'right'),
    { kind: 'right', accountId, destination: '+79001112233' },
  )
})

t.test('five tries, then gone; an expired code is gone', async (t) => {
  const id = await storeSecret(db, {
    lookupKey: owner,
    accountId,
    purpose: 'reset_sms',
    secretHash: hashCode(pepper, '444444'),
    destination: null,
    expiresAt: inTenMinutes,
  })
  const left = []
  for (let i = 0; i < 5; i++) {
    const result = await tryCode(db, [id], hashCode(pepper, '000000'), now, 5)
    left.push(result.kind === 'wrong' ? result.attemptsLeft : -1)
  }
  t.same(left, [4, 3, 2, 1, 0])
  t.same(
    await tryCode(db, [id], hashCode(pepper, '444444'), now, 5),
    { kind: 'gone' },
    'even the right code, after five wrong ones',
  )
  const late = await storeSecret(db, {
    lookupKey: owner,
    accountId,
    purpose: 'reset_sms',
    secretHash: hashCode(pepper, '555555'),
    destination: null,
    expiresAt: inTenMinutes,
  })
  t.same(await tryCode(db, [late], hashCode(pepper, '555555'), new Date(inTenMinutes.getTime() + 1), 5), {
    kind: 'gone',
  })
})

t.test('a stand-in is tried like a real code and is never right', async (t) => {
  const hash = hashCode(pepper, '666666')
  const nobody = ownerKey(pepper, 'recovery:29:nobody')
  const id = await storeSecret(db, {
    lookupKey: nobody,
    accountId: null,
    purpose: 'reset_sms',
    secretHash: hash,
    destination: null,
    expiresAt: inTenMinutes,
  })
  t.same(await tryCode(db, [id], hash, now, 5), { kind: 'wrong', attemptsLeft: 4 })
  const again = await storeSecret(db, {
    lookupKey: nobody,
    accountId: null,
    purpose: 'reset_sms',
    secretHash: hash,
    destination: null,
    expiresAt: inTenMinutes,
  })
  t.not(id, again)
  t.same(
    await tryCode(db, [id], hash, now, 5),
    { kind: 'wrong', attemptsLeft: 3 },
    'a second request keeps a stand-in live exactly as it keeps a real code',
  )
  await storeSecret(db, {
    lookupKey: nobody,
    accountId: null,
    purpose: 'reset_sms',
    secretHash: hash,
    destination: null,
    expiresAt: inTenMinutes,
  })
  t.same(await tryCode(db, [id], hash, now, 5), { kind: 'gone' }, 'and a third retires it')
})

t.test('a link is found until it is spent, once', async (t) => {
  const link = newLinkSecret()
  await storeSecret(db, {
    lookupKey: owner,
    accountId,
    purpose: 'reset_email',
    secretHash: link.hash,
    destination: null,
    expiresAt: inTenMinutes,
  })
  t.equal((await findLinkSecret(db, 'reset_email', link.hash, now))?.accountId, accountId)
  t.equal(await findLinkSecret(db, 'verify_email', link.hash, now), undefined, 'only for its purpose')
  const spent = await Promise.all([
    spendLinkSecret(db, 'reset_email', link.hash, now),
    spendLinkSecret(db, 'reset_email', link.hash, now),
  ])
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

t.test('the database refuses a third live secret, and a second live confirmation', async (t) => {
  const key = ownerKey(pepper, 'recovery:29:by.hand')
  const row = (purpose: 'reset_email' | 'verify_email', slot: number) =>
    sql`insert into recovery_secret (lookup_key, account_id, purpose, secret_hash, destination, expires_at, slot)
        values (${key}, ${accountId}, ${purpose}, ${`h-${purpose}-${slot}`}, ${purpose === 'verify_email' ? 'a@b.ru' : null}, ${inTenMinutes}, ${slot})`.execute(
      db,
    )
  await row('reset_email', 0)
  await row('reset_email', 1)
  await t.rejects(row('reset_email', 1), 'one secret per slot')
  await t.rejects(row('reset_email', 2), 'two slots')
  await row('verify_email', 0)
  await t.rejects(row('verify_email', 1), 'a confirmation has one slot')
})

t.test('the database refuses a contact that is not normalised and a verification without a contact', async (t) => {
  await t.rejects(sql`update diary_account set email = 'Upper@Example.ru' where id = ${accountId}`.execute(db))
  await t.rejects(sql`update diary_account set phone = '8 900 111-22-33' where id = ${accountId}`.execute(db))
  await t.rejects(
    sql`update diary_account set email = null, email_verified_at = now() where id = ${accountId}`.execute(db),
  )
})
