/*
 * Typed CTEs (src/db/cte.ts): a wrong join does not build. Each `@ts-expect-error` below is a mistake
 * the type checker must refuse (`npm run typecheck` fails if one of them builds); the runtime checks
 * show the statement they make.
 */
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql } from 'kysely'
import t from 'tap'
import { type Cte, cte, withCtes } from '../../src/db/cte.js'

const compiler = new Kysely<object>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
})
const person = cte('person', ['id', 'region'], sql`select 1 as id, '29' as region`)
const chosen = <Source extends Cte<string, 'id', string>>(source: Source) =>
  cte('chosen', ['account_id'], sql`select id as account_id from ${sql.table(source.name)}`, [source])
const other = cte('other', ['x'], sql`select 1 as x`)

t.test('the CTEs in order, their names quoted, then the final select', async (t) => {
  const statement = withCtes()
    .with(person)
    .with(chosen(person))
    .select(
      ({ table, column }) =>
        sql`select ${column('chosen', 'account_id')}, ${column('person', 'region')} from ${table('chosen')} cross join ${table('person')}`,
    )
  t.equal(
    statement.compile(compiler).sql,
    'with "person" as (select 1 as id, \'29\' as region), "chosen" as (select id as account_id from "person") select "chosen"."account_id", "person"."region" from "chosen" cross join "person"',
  )
})

t.test('a statement that ends with a part: its body after the CTEs', async (t) => {
  t.equal(
    withCtes().with(person).then(chosen(person)).compile(compiler).sql,
    'with "person" as (select 1 as id, \'29\' as region) select id as account_id from "person"',
  )
})

t.test('mistakes that do not build', async (t) => {
  // @ts-expect-error a part that reads a CTE lacking a column it needs (`other` has no id)
  chosen(other)
  // @ts-expect-error a part whose source is not in the list yet
  withCtes().with(chosen(person))
  // @ts-expect-error a part whose source comes later
  withCtes().with(chosen(person)).with(person)
  // @ts-expect-error one name twice
  withCtes().with(person).with(person)
  withCtes()
    .with(person)
    // @ts-expect-error a column the CTE does not provide
    .select(({ column }) => sql`select ${column('person', 'account_id')}`)
  withCtes()
    .with(person)
    // @ts-expect-error a CTE that is not in the list
    .select(({ table }) => sql`select * from ${table('chosen')}`)
  // @ts-expect-error a last part whose source is not in the list
  withCtes().with(other).then(chosen(person))
  t.pass('the type checker refused each of them')
})
