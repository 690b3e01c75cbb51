/*
 * A unit of work that commits or rolls back as one, whether or not the caller is inside a transaction:
 * on the pool it is a transaction; inside one (a SCIM Bulk writes many creates in one commit) it is a
 * savepoint, so that one failing operation rolls back only its own writes and the others go on.
 */
import { type Kysely, sql, type Transaction } from 'kysely'
import type { Database } from './schema.js'

let savepoints = 0

export async function inTransaction<T>(
  db: Kysely<Database>,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  if (!db.isTransaction) return db.transaction().execute(work)
  const name = sql.id(`unit_${++savepoints}`)
  await sql`savepoint ${name}`.execute(db)
  try {
    // isTransaction: `db` is the caller's Transaction.
    const result = await work(db as Transaction<Database>)
    await sql`release savepoint ${name}`.execute(db)
    return result
  } catch (error) {
    await sql`rollback to savepoint ${name}`.execute(db)
    throw error
  }
}
