/*
 * Common table expressions with a type, for the statements that do a whole step in one round trip
 * (the one-statement login): each part is its owner's SQL, and this module checks that they fit.
 * - a `Cte<Name, Columns, Needs>` is a named body that provides `Columns` and reads the CTEs `Needs`;
 *   a part that reads another takes it as a value typed by the columns it reads
 *   (`Cte<string, 'account_id'>`): a CTE that provides more fits, one that lacks a column does not build
 * - `withCtes()` joins them in order (`.select(…)` ends the statement, or `.then(part)` with a part's body): a CTE whose `Needs` are not all earlier in the list does not build,
 *   nor does a name used twice; the final select names CTEs and columns only through `table` and
 *   `column`, checked the same way
 * - the SQL is what it was with string names: `with "a" as (…), "b" as (…) select …`; the names are
 *   constants of the code, so one statement keeps one text (db/prepared.ts names it once)
 * `provides` and `needs` are types only: at run time they are empty.
 */
import { type RawBuilder, sql } from 'kysely'

export interface Cte<Name extends string, Columns extends string, Needs extends string = never> {
  readonly name: Name
  readonly body: RawBuilder<unknown>
  /** Type only: the columns of its rows (a CTE with more columns fits where fewer are read). */
  readonly provides: { readonly [C in Columns]: true }
  /** Type only: the CTEs its body reads. */
  readonly needs?: Needs
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any columns, any needs: the widest CTE
export type AnyCte = Cte<string, any, string>
export type ColumnsOf<T extends AnyCte> = keyof T['provides'] & string
export type NeedsOf<T extends AnyCte> = NonNullable<T['needs']>

/** A CTE `name` with the columns `columns` (for the reader; the type is what is checked), reading `needs`. */
export function cte<Name extends string, Columns extends string, const Needs extends readonly AnyCte[] = []>(
  name: Name,
  columns: readonly Columns[],
  body: RawBuilder<unknown>,
  needs?: Needs,
): Cte<Name, Columns, Needs[number]['name']> {
  void columns
  void needs
  return { name, body, provides: {} as Cte<Name, Columns>['provides'] }
}

/** The table of a CTE, in a body that reads it. */
export function tableOf(source: AnyCte): RawBuilder<unknown> {
  return sql.table(source.name)
}

/** What the final select may name: the CTEs of the list and their columns. */
export interface CteNames<Known extends Record<string, string>> {
  table: (name: keyof Known & string) => RawBuilder<unknown>
  column: <N extends keyof Known & string>(name: N, column: Known[N]) => RawBuilder<unknown>
}

export interface CteList<Known extends Record<string, string>> {
  /** Adds `part` after the others: every CTE it reads must be in the list already. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any columns: the part's own are kept
  with<T extends Cte<string, any, keyof Known & string>>(
    part: T & (T['name'] extends keyof Known ? { error: `the name ${T['name']} is taken` } : unknown),
  ): CteList<Known & { [K in T['name']]: ColumnsOf<T> }>
  /** The statement: the CTEs, then the final select built from them. */
  select<Row>(build: (names: CteNames<Known>) => RawBuilder<unknown>): RawBuilder<Row>
  /** The statement: the CTEs, then `last`'s body as the statement itself (an insert that reads them, say). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any columns: only its needs are checked
  then<Row>(last: Cte<string, any, keyof Known & string>): RawBuilder<Row>
}

function cteList<Known extends Record<string, string>>(parts: readonly AnyCte[]): CteList<Known> {
  const names: CteNames<Known> = {
    table: (name) => sql.table(name),
    column: (name, column) => sql.ref(`${name}.${column}`),
  }
  const statement = <Row>(final: RawBuilder<unknown>) => {
    const ctes = sql.join(
      parts.map((part) => sql`${sql.table(part.name)} as (${part.body})`),
      sql`, `,
    )
    return sql<Row>`with ${ctes} ${final}`
  }
  return {
    with: (part) => cteList([...parts, part as AnyCte]),
    select: (build) => statement(build(names)),
    then: (last) => statement(last.body),
  }
}

export function withCtes(): CteList<Record<never, never>> {
  return cteList([])
}
