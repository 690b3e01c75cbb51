import { sql } from 'kysely'
import t from 'tap'
import { openDatabase } from '../../src/db/open-database.js'
import { createServerDatabase, serverUrl } from '../helpers/test-database.js'

const skip = serverUrl === undefined ? 'needs DATABASE_URL: prepared statements are a pg pool matter' : false

/** The named statements this connection holds on the server. */
const prepared = async (db: Awaited<ReturnType<typeof openDatabase>>) =>
  (
    await sql<{
      name: string
      statement: string
    }>`select name, statement from pg_prepared_statements order by name`.execute(db)
  ).rows

t.test('a parameterised statement is prepared once per connection and reused', { skip }, async (t) => {
  const db = await openDatabase({ databaseUrl: await createServerDatabase(t, serverUrl as string), poolSize: 1 })
  t.teardown(() => db.destroy())
  await sql`create table item (id int primary key, label text)`.execute(db)
  for (let i = 1; i <= 3; i++) await sql`insert into item (id, label) values (${i}, ${`item ${i}`})`.execute(db)
  const statements = await prepared(db)
  t.equal(
    statements.filter((s) => s.statement.startsWith('insert into item')).length,
    1,
    'one prepared insert for three executions',
  )
  t.notOk(
    statements.some((s) => s.statement.startsWith('create table')),
    'a text without parameters is not prepared',
  )
  const { rows } = await sql<{ label: string }>`select label from item where id = ${2}`.execute(db)
  t.same(rows, [{ label: 'item 2' }])
})

t.test('a list of more than 64 values is planned for its values every time (not prepared)', { skip }, async (t) => {
  const db = await openDatabase({ databaseUrl: await createServerDatabase(t, serverUrl as string), poolSize: 1 })
  t.teardown(() => db.destroy())
  await sql`create table item (id int primary key)`.execute(db)
  const ids = Array.from({ length: 65 }, (_, i) => i)
  await sql`select id from item where id in (${sql.join(ids)})`.execute(db)
  await sql`select id from item where id in (${sql.join(ids.slice(0, 64))})`.execute(db)
  t.same(
    (await prepared(db)).map((s) => s.statement.split('$').length - 1),
    [64],
    'only the 64-value list was prepared',
  )
})

t.test('a table changed under a running instance: the statement is prepared afresh', { skip }, async (t) => {
  const db = await openDatabase({ databaseUrl: await createServerDatabase(t, serverUrl as string), poolSize: 1 })
  t.teardown(() => db.destroy())
  await sql`create table item (id int primary key, label text)`.execute(db)
  await sql`insert into item (id, label) values (${1}, ${'one'})`.execute(db)
  const read = (id: number) =>
    db
      .selectFrom('item' as never)
      .selectAll()
      .where('id' as never, '=', id as never)
      .execute()
  t.same(await read(1), [{ id: 1, label: 'one' }])

  // The migration of a newer version adds a column: outside a transaction the read is retried at once.
  await sql`alter table item add column note text`.execute(db)
  t.same(await read(1), [{ id: 1, label: 'one', note: null }], 'the new shape, no error')

  // Inside a transaction the stale statement fails the transaction; the next one works.
  await sql`alter table item add column extra int`.execute(db)
  const write = db.transaction().execute(async (trx) =>
    trx
      .selectFrom('item' as never)
      .selectAll()
      .where('id' as never, '=', 1 as never)
      .execute(),
  )
  const refusal = await write.then(
    () => undefined,
    (error: unknown) => error,
  )
  t.match(String(refusal), /cached plan must not change result type/, 'the transaction fails once')
  t.same(
    await db.transaction().execute((trx) =>
      trx
        .selectFrom('item' as never)
        .selectAll()
        .where('id' as never, '=', 1 as never)
        .execute(),
    ),
    [{ id: 1, label: 'one', note: null, extra: null }],
  )
})

t.test('preparedStatements: false sends every statement unnamed', { skip }, async (t) => {
  const db = await openDatabase({
    databaseUrl: await createServerDatabase(t, serverUrl as string),
    poolSize: 1,
    preparedStatements: false,
  })
  t.teardown(() => db.destroy())
  await sql`select ${1}::int as one`.execute(db)
  t.same(await prepared(db), [])
})
