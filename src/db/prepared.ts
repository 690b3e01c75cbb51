/*
 * Prepared statements over a pg pool (`database.preparedStatements`, on by default): each
 * parameterised SQL text the bridge sends is parsed and planned once per connection under a name,
 * then only bound and executed. Measured on the federated login: PostgreSQL's CPU per login fell by
 * about a third (bench/results.md).
 * - texts are named in the order they first appear, up to `limit`; further new texts go unnamed, so a
 *   connection never keeps more than `limit` statements on the server; texts without parameters
 *   (begin, commit, DDL) go as before, in the simple protocol
 * - a statement with more than `maxParameters` parameters is a list or a batch (an import's 500 logins):
 *   it goes unnamed, planned for its values every time. Named, PostgreSQL would soon plan it once for
 *   any values, and a plan made while the table was still small (a sequential scan) made a 100,000-account
 *   import 13 times slower; its text also changes with the list's length
 * - a migration that changes a table a running instance reads makes its prepared statements stale
 *   (PostgreSQL: "cached plan must not change result type"): the first such error starts a new
 *   generation of names, so every connection prepares afresh; the failed statement is retried once
 *   when it ran outside a transaction, inside one the error stands (the transaction is lost anyway);
 *   the old generation's statements stay on their connections until the pool closes them
 */
import type { PostgresPool, PostgresPoolClient } from 'kysely'
import type pg from 'pg'

/** PostgreSQL's "cached plan must not change result type", told by its routine: the message is translated. */
const stalePlan = (error: unknown) => {
  const { code, routine } = error as { code?: string; routine?: string }
  return code === '0A000' && routine === 'RevalidateCachedQuery'
}

export function preparingPool(pool: pg.Pool, limit = 500, maxParameters = 64): PostgresPool {
  let generation = 0
  let names = new Map<string, string>()
  const nameOf = (text: string): string | undefined => {
    let name = names.get(text)
    if (name === undefined && names.size < limit) {
      name = `bridge_${generation}_${names.size}`
      names.set(text, name)
    }
    return name
  }
  const newGeneration = () => {
    generation++
    names = new Map()
  }

  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect()
      let inTransaction = false
      const run = async (text: string, values: unknown[]) => {
        const asked = generation
        try {
          return await client.query({ name: nameOf(text), text, values })
        } catch (error) {
          if (!stalePlan(error)) throw error
          if (generation === asked) newGeneration()
          if (inTransaction) throw error
          return client.query({ name: nameOf(text), text, values })
        }
      }
      const query = (query: string | pg.Submittable, values?: unknown[]) => {
        if (typeof query !== 'string') return client.query(query)
        if (/^(begin|start transaction)\b/i.test(query)) inTransaction = true
        else if (/^(commit|rollback|end)\s*;?\s*$/i.test(query)) inTransaction = false
        return values !== undefined && values.length > 0 && values.length <= maxParameters
          ? run(query, values)
          : client.query(query, values)
      }
      // Kysely asks for a connection to be destroyed (a failed rollback): passed on, never dropped.
      return {
        query: query as unknown as PostgresPoolClient['query'],
        release: (destroy?: boolean) => client.release(destroy),
      }
    },
    end: () => pool.end(),
  }
}
