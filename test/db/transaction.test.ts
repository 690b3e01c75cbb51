/*
 * inTransaction: on the pool a transaction of its own; inside the caller's transaction a savepoint, so
 * that a failing unit (an error of the code or of the database) rolls back only its own writes and the
 * caller's transaction goes on and commits the rest.
 */
import { sql } from 'kysely'
import t from 'tap'
import { inTransaction } from '../../src/db/transaction.js'
import { openTestDatabase } from '../helpers/test-database.js'

const { db } = await openTestDatabase(t)
const insert = (login: string, role = 'pupil') =>
  sql`insert into diary_account (region, login, role, family_name, given_name) values ('29', ${login}, ${role}, 'Т', 'Т')`

const logins = async () =>
  (await db.selectFrom('diary_account').select('login').orderBy('login').execute()).map((row) => row.login)

t.test('on the pool: a transaction that commits or rolls back whole', async (t) => {
  await inTransaction(db, (trx) => insert('pool.kept').execute(trx))
  await inTransaction(db, async (trx) => {
    await insert('pool.gone').execute(trx)
    throw new Error('changed my mind')
  }).catch(() => {})
  t.same(await logins(), ['pool.kept'])
})

t.test('inside a transaction: a failing unit rolls back itself only', async (t) => {
  await db.transaction().execute(async (trx) => {
    await inTransaction(trx, (unit) => insert('unit.1').execute(unit))
    await t.rejects(
      inTransaction(trx, async (unit) => {
        await insert('unit.gone').execute(unit)
        throw new Error('a refusal of the code')
      }),
    )
    await t.rejects(
      inTransaction(trx, (unit) => insert('unit.bad-role', 'nobody').execute(unit)),
      { code: '23514' },
      "the database's own refusal",
    )
    await inTransaction(trx, (unit) => insert('unit.2').execute(unit))
  })
  t.same(await logins(), ['pool.kept', 'unit.1', 'unit.2'], 'the others committed with the caller')
})
