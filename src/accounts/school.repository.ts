/*
 * Schools of a region: the one place that reads or writes `school`.
 * - the diary names a school by its own id (`diaryId`) and a name; an import made before the diary sent
 *   ids names it by its name only. `resolveSchools` finds or creates the record for each such reference,
 *   in the caller's transaction:
 *     with an id: the school of that id (its name follows the diary's), else the one school of that name
 *     that has no id yet (it gets the id), else a new school;
 *     with a name only: the one school of that name, else a new school without an id; two schools of
 *     that name (different ids) are ambiguous and refused: the caller must give the id
 * - names are compared as person/text.ts normalises typed text (NFC, trimmed, single spaces)
 * - the responsible employee's contact (name, room, phone, hours) is what help pages show a parent
 */
import { type RawBuilder, sql } from 'kysely'
import { cte } from '../db/cte.js'
import type { Executor } from '../db/schema.js'

export interface School {
  id: string
  region: string
  diaryId: string | null
  name: string
  shortName: string | null
  contact: SchoolContact | null
}

export interface SchoolContact {
  name: string | null
  room: string | null
  phone: string | null
  hours: string | null
}

export interface SchoolReference {
  /** The diary's own id of the school. */
  diaryId?: string | null
  name: string
  shortName?: string | null
}

export type SchoolResolution = { ok: true; school: School } | { ok: false; problem: 'ambiguous_name' }

/** A school's name or id as typed: NFC, trimmed, inner runs of white space as one space. */
export function normaliseSchoolText(value: string): string {
  return value.normalize('NFC').trim().replace(/\s+/gu, ' ')
}

/** The name of the school of `table`.school_id, as a scalar subquery (accounts read it with their row). */
export function schoolNameSql(table: string): RawBuilder<string | null> {
  return sql<string | null>`(select s.name from school s where s.id = ${sql.ref(`${table}.school_id`)})`
}

/** The diary's own id of the school of `table`.school_id, as a scalar subquery. */
export function schoolDiaryIdSql(table: string): RawBuilder<string | null> {
  return sql<string | null>`(select s.diary_id from school s where s.id = ${sql.ref(`${table}.school_id`)})`
}

type SchoolRow = {
  id: string
  region: string
  diary_id: string | null
  name: string
  short_name: string | null
  contact_name: string | null
  contact_room: string | null
  contact_phone: string | null
  contact_hours: string | null
}

function toSchool(row: SchoolRow): School {
  const contact =
    row.contact_name === null && row.contact_room === null && row.contact_phone === null && row.contact_hours === null
      ? null
      : { name: row.contact_name, room: row.contact_room, phone: row.contact_phone, hours: row.contact_hours }
  return {
    id: row.id,
    region: row.region,
    diaryId: row.diary_id,
    name: row.name,
    shortName: row.short_name,
    contact,
  }
}

export async function findSchoolById(db: Executor, region: string, id: string): Promise<School | undefined> {
  const row = await db
    .selectFrom('school')
    .selectAll()
    .where('id', '=', id)
    .where('region', '=', region)
    .executeTakeFirst()
  return row && toSchool(row)
}

/** The schools of a region whose diary id or name is `value` (normalised), at most `limit`. */
export async function findSchoolsNamed(db: Executor, region: string, value: string, limit = 10): Promise<School[]> {
  const typed = normaliseSchoolText(value)
  const rows = await db
    .selectFrom('school')
    .selectAll()
    .where('region', '=', region)
    .where((eb) => eb.or([eb('diary_id', '=', typed), eb('name', '=', typed)]))
    .orderBy('name')
    .limit(limit)
    .execute()
  return rows.map(toSchool)
}

/** The ids and names of a region's schools, by name (the help page's chooser). */
export async function listSchoolNames(db: Executor, region: string): Promise<{ id: string; name: string }[]> {
  return db.selectFrom('school').select(['id', 'name']).where('region', '=', region).orderBy('name').execute()
}

/** The schools of a region, by name. */
export async function listSchools(db: Executor, region: string): Promise<School[]> {
  const rows = await db.selectFrom('school').selectAll().where('region', '=', region).orderBy('name').execute()
  return rows.map(toSchool)
}

/**
 * The school that `resolveSchool` would find for one reference, without creating or changing any
 * (an import's dry run); undefined when it would create one.
 */
export async function findSchool(
  db: Executor,
  region: string,
  reference: SchoolReference,
): Promise<SchoolResolution | undefined> {
  const name = normaliseSchoolText(reference.name)
  const diaryId = reference.diaryId ? normaliseSchoolText(reference.diaryId) || null : null
  const candidates = await db
    .selectFrom('school')
    .selectAll()
    .where('region', '=', region)
    .where((eb) =>
      diaryId === null ? eb('name', '=', name) : eb.or([eb('diary_id', '=', diaryId), eb('name', '=', name)]),
    )
    .execute()
  if (diaryId !== null) {
    const match =
      candidates.find((row) => row.diary_id === diaryId) ??
      candidates.find((row) => row.name === name && row.diary_id === null)
    return match && found(match)
  }
  if (candidates.length > 1) return { ok: false, problem: 'ambiguous_name' }
  return candidates[0] && found(candidates[0])
}

/** The school of one reference, found or created (see the header); run it in the caller's transaction. */
export async function resolveSchool(
  db: Executor,
  region: string,
  reference: SchoolReference,
  now: Date,
): Promise<SchoolResolution> {
  const name = normaliseSchoolText(reference.name)
  const diaryId = reference.diaryId ? normaliseSchoolText(reference.diaryId) || null : null
  const shortName = reference.shortName ? normaliseSchoolText(reference.shortName) || null : null
  if (diaryId !== null) {
    const byId = await db
      .selectFrom('school')
      .selectAll()
      .where('region', '=', region)
      .where('diary_id', '=', diaryId)
      .executeTakeFirst()
    if (byId !== undefined) {
      if (byId.name === name && (shortName === null || byId.short_name === shortName)) return found(byId)
      const renamed = await db
        .updateTable('school')
        .set({ name, short_name: shortName ?? byId.short_name, updated_at: now })
        .where('id', '=', byId.id)
        .returningAll()
        .executeTakeFirstOrThrow()
      return found(renamed)
    }
    const adopted = await db
      .updateTable('school')
      .set({ diary_id: diaryId, short_name: shortName, updated_at: now })
      .where('region', '=', region)
      .where('name', '=', name)
      .where('diary_id', 'is', null)
      .returningAll()
      .executeTakeFirst()
    if (adopted !== undefined) return found(adopted)
    const created = await db
      .insertInto('school')
      .values({ region, diary_id: diaryId, name, short_name: shortName })
      .onConflict((conflict) => conflict.columns(['region', 'diary_id']).doNothing())
      .returningAll()
      .executeTakeFirst()
    // A parallel writer created it first: read theirs.
    return created !== undefined ? found(created) : resolveSchool(db, region, reference, now)
  }
  const named = await db
    .selectFrom('school')
    .selectAll()
    .where('region', '=', region)
    .where('name', '=', name)
    .orderBy('diary_id', (order) => order.nullsFirst())
    .limit(2)
    .execute()
  if (named.length === 1) return found(named[0]!)
  if (named.length > 1) return { ok: false, problem: 'ambiguous_name' }
  await db
    .insertInto('school')
    .values({ region, name, short_name: shortName })
    .onConflict((conflict) => conflict.columns(['region', 'name']).where('diary_id', 'is', null).doNothing())
    .execute()
  const made = await db
    .selectFrom('school')
    .selectAll()
    .where('region', '=', region)
    .where('name', '=', name)
    .where('diary_id', 'is', null)
    .executeTakeFirstOrThrow()
  return found(made)
}

/**
 * The school `resolveSchool` would find for a reference without writing anything, as a CTE (id, name,
 * diary_id) for a statement that writes an account with it: with a diary id, the school of that id whose
 * name (and short name, when given) is the reference's; with a name only, the one school of that name.
 * No row when resolveSchool would rename, adopt, create or refuse: the caller then asks resolveSchool.
 * Without a reference, one row of nulls (no school).
 */
export function knownSchoolCte<Name extends string>(name: Name, region: string, reference: SchoolReference | null) {
  if (reference === null)
    return cte(
      name,
      ['id', 'name', 'diary_id'],
      sql`select null::uuid as id, null::text as name, null::text as diary_id`,
    )
  const named = normaliseSchoolText(reference.name)
  const diaryId = reference.diaryId ? normaliseSchoolText(reference.diaryId) || null : null
  const shortName = reference.shortName ? normaliseSchoolText(reference.shortName) || null : null
  const body =
    diaryId !== null
      ? sql`select id, name, diary_id from school where region = ${region} and diary_id = ${diaryId} and name = ${named}${
          shortName === null ? sql`` : sql` and short_name = ${shortName}`
        }`
      : sql`select s.id, s.name, s.diary_id from school s where s.region = ${region} and s.name = ${named}
          and not exists (select 1 from school o where o.region = s.region and o.name = s.name and o.id <> s.id)`
  return cte(name, ['id', 'name', 'diary_id'], body)
}

function found(row: SchoolRow): SchoolResolution {
  return { ok: true, school: toSchool(row) }
}

/** Sets (or, with null, clears) the responsible employee's contact of a school of `region`. */
export async function setSchoolContact(
  db: Executor,
  region: string,
  schoolId: string,
  contact: SchoolContact | null,
  now: Date,
): Promise<boolean> {
  const clean = (value: string | null | undefined) => (value ? normaliseSchoolText(value) || null : null)
  const result = await db
    .updateTable('school')
    .set({
      contact_name: clean(contact?.name),
      contact_room: clean(contact?.room),
      contact_phone: clean(contact?.phone),
      contact_hours: clean(contact?.hours),
      updated_at: now,
    })
    .where('id', '=', schoolId)
    .where('region', '=', region)
    .executeTakeFirst()
  return result.numUpdatedRows === 1n
}

/** How a condition on a school compares (SCIM filter operators on text). */
export type SchoolComparison = 'eq' | 'co' | 'sw' | 'ew'

/**
 * The ids of the schools whose name or diary id (`by`) compares to `value` (normalised; names case-folded,
 * diary ids exact), as a parenthesised subquery for `in`: accounts are filtered by their school with it.
 */
export function schoolIdsWhereSql(
  by: 'name_or_diary_id' | 'diary_id',
  comparison: SchoolComparison,
  value: string,
): RawBuilder<string> {
  const typed = normaliseSchoolText(value)
  const escaped = typed.replace(/[\\%_]/gu, (c) => `\\${c}`)
  const pattern = { eq: typed, co: `%${escaped}%`, sw: `${escaped}%`, ew: `%${escaped}` }[comparison]
  const test = (column: RawBuilder<unknown>, text: string) =>
    comparison === 'eq' ? sql`${column} = ${text}` : sql`${column} like ${text}`
  const diaryId = test(sql`s.diary_id`, pattern)
  const condition =
    by === 'diary_id' ? diaryId : sql`(${test(sql`lower(s.name)`, pattern.toLowerCase())} or ${diaryId})`
  // Correlated with the account the filter tests: only a school of the account's own region matches.
  return sql<string>`(select s.id from school s where s.region = diary_account.region and ${condition})`
}
