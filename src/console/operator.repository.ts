/*
 * Console roles: the one place that reads or writes `operator_role`.
 * - a school-admin administers one school; a region-operator and the support desk a whole region
 * - only an active teacher's or staff account gets a role, of its own region, and a school-admin's school
 *   is of that region: the database refuses anything else (migration 0017), the repository says why first,
 *   as a value
 * - the database takes the roles away from an account that stops being a teacher or staff, moves region or
 *   is erased; a deactivated account keeps them, and has no scope while deactivated (findOperatorScope)
 * - a grant and a revoke write their audit event in their own statement: the role and the school id only
 * - a scope goes into the console's SQL (accountInScopeSql), never into a check after the query
 */
import { type RawBuilder, type SqlBool, sql } from 'kysely'
import { accountIsActiveSql, accountLoginSql, findAccountById } from '../accounts/account.repository.js'
import { findSchoolById, schoolDiaryIdSql, schoolNameSql } from '../accounts/school.repository.js'
import { auditEventCte } from '../audit/record-audit-event.js'
import { cte, withCtes } from '../db/cte.js'
import { type Executor, isUuid } from '../db/schema.js'

export type OperatorRole = 'school-admin' | 'region-operator' | 'support'

export const operatorRoles: readonly OperatorRole[] = ['school-admin', 'region-operator', 'support']

export interface OperatorGrant {
  id: string
  accountId: string
  login: string
  role: OperatorRole
  region: string
  schoolId: string | null
  schoolName: string | null
  /** `operator:<name>` */
  grantedBy: string
  reason: string | null
  grantedAt: Date
}

export type GrantOutcome =
  | { kind: 'granted'; grant: OperatorGrant }
  | { kind: 'exists'; grant: OperatorGrant }
  | { kind: 'refused'; reason: 'not_staff' | 'unknown_school' | 'other_region' | 'inactive' }

export interface GrantInput {
  accountId: string
  role: OperatorRole
  region: string
  /** The school of a school-admin (of `region`); null for the other roles. */
  schoolId: string | null
  grantedBy: string
  reason?: string | null
}

export type RoleKey = Omit<GrantInput, 'grantedBy' | 'reason'>

/** What a signed-in account may see in the console: its schools (school-admin), its regions (region-operator), its support regions; only for an active teacher/staff account. */
export interface OperatorScope {
  accountId: string
  schools: { id: string; region: string }[]
  regions: string[]
  supportRegions: string[]
}

type GrantRow = {
  id: string
  account_id: string
  login: string
  role: OperatorRole
  region: string
  school_id: string | null
  school_name: string | null
  granted_by: string
  reason: string | null
  granted_at: Date
}

function toGrant(row: GrantRow): OperatorGrant {
  return {
    id: row.id,
    accountId: row.account_id,
    login: row.login,
    role: row.role,
    region: row.region,
    schoolId: row.school_id,
    schoolName: row.school_name,
    grantedBy: row.granted_by,
    reason: row.reason,
    grantedAt: new Date(row.granted_at),
  }
}

function selectGrants(db: Executor) {
  return db
    .selectFrom('operator_role as r')
    .select([
      'r.id',
      'r.account_id',
      'r.role',
      'r.region',
      'r.school_id',
      'r.granted_by',
      'r.reason',
      'r.granted_at',
      accountLoginSql(sql.ref('r.account_id')).as('login'),
      schoolNameSql('r').as('school_name'),
    ])
}

function checkShape(input: RoleKey): void {
  if ((input.role === 'school-admin') !== (input.schoolId !== null))
    throw new TypeError(`a ${input.role} role ${input.role === 'school-admin' ? 'needs' : 'takes no'} school`)
}

async function findGrant(db: Executor, key: RoleKey): Promise<OperatorGrant | undefined> {
  const row = await selectGrants(db)
    .where('r.account_id', '=', key.accountId)
    .where('r.role', '=', key.role)
    .where('r.region', '=', key.region)
    .where((eb) => (key.schoolId === null ? eb('r.school_id', 'is', null) : eb('r.school_id', '=', key.schoolId)))
    .executeTakeFirst()
  return row && toGrant(row)
}

/**
 * Grants a role to an active teacher's or staff account of `region` (an account of another region, or
 * none, is `other_region`), audited in the same statement; `exists` when it holds that role already.
 */
export async function grantOperatorRole(db: Executor, input: GrantInput): Promise<GrantOutcome> {
  checkShape(input)
  const account = isUuid(input.accountId) ? await findAccountById(db, input.accountId) : undefined
  if (account === undefined || account.region !== input.region) return { kind: 'refused', reason: 'other_region' }
  if (account.role !== 'teacher' && account.role !== 'staff') return { kind: 'refused', reason: 'not_staff' }
  if (account.state !== 'active') return { kind: 'refused', reason: 'inactive' }
  if (
    input.schoolId !== null &&
    (!isUuid(input.schoolId) || (await findSchoolById(db, input.region, input.schoolId)) === undefined)
  )
    return { kind: 'refused', reason: 'unknown_school' }

  const granted = cte(
    'granted',
    ['grant_id', 'id', 'region', 'role', 'school_id'],
    sql`insert into operator_role (account_id, role, region, school_id, granted_by, reason)
      values (${input.accountId}::uuid, ${input.role}, ${input.region}, ${input.schoolId}::uuid, ${input.grantedBy}, ${input.reason ?? null})
      on conflict do nothing
      returning id as grant_id, account_id as id, region, role, school_id`,
  )
  const audited = auditEventCte('audited', granted, {
    type: 'operator_granted',
    outcome: 'success',
    details: (column) => sql`jsonb_build_object('role', ${column('role')}, 'schoolId', ${column('school_id')})`,
  })
  const { rows } = await withCtes()
    .with(granted)
    .with(audited)
    .select<{ grant_id: string }>(
      ({ column, table }) => sql`select ${column('granted', 'grant_id')} from ${table('granted')}`,
    )
    .execute(db)
  const grant = await findGrant(db, input)
  // A revoke between the conflict and the read: try again.
  if (grant === undefined) return grantOperatorRole(db, input)
  return rows.length === 1 ? { kind: 'granted', grant } : { kind: 'exists', grant }
}

/** Takes a role away, audited in the same statement; undefined when the account did not hold it. */
export async function revokeOperatorRole(db: Executor, input: RoleKey): Promise<OperatorGrant | undefined> {
  checkShape(input)
  if (!isUuid(input.accountId) || (input.schoolId !== null && !isUuid(input.schoolId))) return undefined
  const revoked = cte(
    'revoked',
    ['grant_id', 'id', 'region', 'role', 'school_id', 'granted_by', 'reason', 'granted_at'],
    sql`delete from operator_role
      where account_id = ${input.accountId}::uuid and role = ${input.role} and region = ${input.region}
        and school_id is not distinct from ${input.schoolId}::uuid
      returning id as grant_id, account_id as id, region, role, school_id, granted_by, reason, granted_at`,
  )
  const audited = auditEventCte('audited', revoked, {
    type: 'operator_revoked',
    outcome: 'success',
    details: (column) => sql`jsonb_build_object('role', ${column('role')}, 'schoolId', ${column('school_id')})`,
  })
  const { rows } = await withCtes()
    .with(revoked)
    .with(audited)
    .select<GrantRow>(
      ({ table }) =>
        sql`select grant_id as id, id as account_id, ${accountLoginSql(sql.ref('revoked.id'))} as login, role, region,
          school_id, ${schoolNameSql('revoked')} as school_name, granted_by, reason, granted_at
        from ${table('revoked')}`,
    )
    .execute(db)
  return rows[0] && toGrant(rows[0])
}

/** The roles held, by login, then role and school name. */
export async function listOperatorRoles(
  db: Executor,
  filter: { region?: string; schoolId?: string; accountId?: string },
): Promise<OperatorGrant[]> {
  if (
    (filter.schoolId !== undefined && !isUuid(filter.schoolId)) ||
    (filter.accountId !== undefined && !isUuid(filter.accountId))
  )
    return []
  const rows = await selectGrants(db)
    .$if(filter.region !== undefined, (query) => query.where('r.region', '=', filter.region as string))
    .$if(filter.schoolId !== undefined, (query) => query.where('r.school_id', '=', filter.schoolId as string))
    .$if(filter.accountId !== undefined, (query) => query.where('r.account_id', '=', filter.accountId as string))
    .orderBy(sql`login`)
    .orderBy('r.role')
    .orderBy(sql`school_name`)
    .execute()
  return rows.map(toGrant)
}

/** A role as a system of record names it: the school by the diary's own id (null when it has none). */
export interface HeldRole {
  accountId: string
  role: OperatorRole
  region: string
  schoolId: string | null
  schoolDiaryId: string | null
  schoolName: string | null
}

/**
 * The roles the accounts hold (a SCIM page of Users: one statement), by role and school name; only of the
 * account's own region, as the database keeps them.
 */
export async function listRolesOfAccounts(db: Executor, accountIds: readonly string[]): Promise<HeldRole[]> {
  const ids = accountIds.filter(isUuid)
  if (ids.length === 0) return []
  const rows = await db
    .selectFrom('operator_role as r')
    .select([
      'r.account_id',
      'r.role',
      'r.region',
      'r.school_id',
      schoolDiaryIdSql('r').as('school_diary_id'),
      schoolNameSql('r').as('school_name'),
    ])
    .where('r.account_id', 'in', ids)
    .orderBy('r.role')
    .orderBy(sql`school_name`)
    .execute()
  return rows.map((row) => ({
    accountId: row.account_id,
    role: row.role,
    region: row.region,
    schoolId: row.school_id,
    schoolDiaryId: row.school_diary_id,
    schoolName: row.school_name,
  }))
}

/**
 * What the account may see in the console; undefined when it holds no role or is not active. Only a
 * teacher's or staff account holds roles (the database keeps it so), so the state is all to check here.
 */
export async function findOperatorScope(db: Executor, accountId: string): Promise<OperatorScope | undefined> {
  if (!isUuid(accountId)) return undefined
  const rows = await db
    .selectFrom('operator_role as r')
    .select(['r.role', 'r.region', 'r.school_id'])
    .where('r.account_id', '=', accountId)
    .where(accountIsActiveSql(sql.ref('r.account_id')))
    .orderBy('r.region')
    .orderBy('r.school_id')
    .execute()
  if (rows.length === 0) return undefined
  const scope: OperatorScope = { accountId, schools: [], regions: [], supportRegions: [] }
  for (const row of rows) {
    switch (row.role) {
      case 'school-admin':
        if (row.school_id !== null) scope.schools.push({ id: row.school_id, region: row.region })
        break
      case 'region-operator':
        scope.regions.push(row.region)
        break
      case 'support':
        scope.supportRegions.push(row.region)
        break
    }
  }
  return scope
}

/**
 * SQL that restricts a query on diary_account aliased `alias` to the scope — for the console's queries to
 * put the scope IN the SQL. Each part alone is a condition the planner takes to an index (the region's
 * accounts, or the schools'); an OR of the two reads by neither, every row of the table (issue 27,
 * `npm run bench:console`), so it is written only for a scope with schools outside its regions.
 */
export function accountInScopeSql(scope: OperatorScope, alias: string): RawBuilder<SqlBool> {
  const regions = [...new Set([...scope.regions, ...scope.supportRegions])]
  // A school of a region the scope has whole adds nothing.
  const schools = scope.schools.filter((school) => !regions.includes(school.region))
  const schoolIds = schools.map((school) => school.id)
  const schoolRegions = schools.map((school) => school.region)
  const schoolId = sql.ref(`${alias}.school_id`)
  const region = sql.ref(`${alias}.region`)
  const inRegions = sql<SqlBool>`${region} = any(${regions}::text[])`
  // The pairs decide; the two `any` only let the planner read the schools' accounts by index.
  const inSchools = sql<SqlBool>`(${schoolId} = any(${schoolIds}::uuid[]) and ${region} = any(${schoolRegions}::text[])
    and exists (select 1 from unnest(${schoolIds}::uuid[], ${schoolRegions}::text[]) as scoped (school_id, region)
      where scoped.school_id = ${schoolId} and scoped.region = ${region}))`
  if (schools.length === 0) return regions.length === 0 ? sql<SqlBool>`false` : sql<SqlBool>`(${inRegions})`
  if (regions.length === 0) return inSchools
  return sql<SqlBool>`(${inRegions} or ${inSchools})`
}

/** Whether the account holds any console role, whatever its state (a deactivated operator keeps its roles). */
export async function holdsOperatorRole(db: Executor, accountId: string): Promise<boolean> {
  const row = await db
    .selectFrom('operator_role')
    .select('id')
    .where('account_id', '=', accountId)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}
