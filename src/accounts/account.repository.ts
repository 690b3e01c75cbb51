/*
 * Diary accounts in the database: the one place that reads or writes `diary_account`.
 * - rows become the `Account` domain type through one mapper (`toAccount`)
 * - logins are looked up normalised (trimmed, lower-cased), as they are stored
 * - the password hash never travels inside `Account`: only the credential check asks for it
 */
import { type Expression, type ExpressionBuilder, type RawBuilder, type SqlBool, sql } from 'kysely'
import { type Cte, cte, tableOf } from '../db/cte.js'
import {
  type AccountState,
  type Database,
  type DiaryAccountRow,
  type Executor,
  isUuid,
  type Role,
} from '../db/schema.js'
import { schoolDiaryIdSql, schoolNameSql } from './school.repository.js'

export interface Account {
  /** Opaque and stable: the `sub` of every token. */
  id: string
  region: string
  login: string
  role: Role
  familyName: string
  givenName: string
  patronymic: string | null
  /** YYYY-MM-DD */
  birthDate: string | null
  /** HMAC-SHA256 of the SNILS with SNILS_PEPPER; the SNILS itself is never stored. */
  snilsHmac: string | null
  snilsLast4: string | null
  schoolId: string | null
  /** The school's name, for people to read. */
  school: string | null
  /** The diary's own id of the school (SCIM schoolId). */
  schoolDiaryId: string | null
  /** The e-mail and phone as stored (accounts/contacts.repository.ts writes them and their confirmation). */
  email: string | null
  phone: string | null
  className: string | null
  mustChangePassword: boolean
  passwordChangedAt: Date | null
  /** The diary's own id of the account (SCIM externalId). */
  externalId: string | null
  state: AccountState
  /** When, why and by whom the account was deactivated; null while active. */
  deactivation: Deactivation | null
  /** Counted by the database at every change of the row (SCIM meta.version). */
  version: string
  createdAt: Date
  updatedAt: Date
}

export interface Deactivation {
  at: Date
  reason: string | null
  /** `operator:<name>`, `import`, `scim:<client_id>` */
  by: string
}

/** The fields an import writes (everything but the login and the password). */
export type AccountFields = Pick<
  Account,
  | 'role'
  | 'familyName'
  | 'givenName'
  | 'patronymic'
  | 'birthDate'
  | 'snilsHmac'
  | 'snilsLast4'
  | 'schoolId'
  | 'className'
  | 'externalId'
>

export interface NewAccount extends AccountFields {
  region: string
  login: string
  passwordHash: string | null
  mustChangePassword: boolean
  /** Created deactivated (never active for a moment). */
  deactivation?: Deactivation
}

export function normaliseLogin(value: string): string {
  return value.normalize('NFC').trim().toLowerCase()
}

/** A diary_account row with its school's name (`selectAccounts`). */
export type AccountRow = DiaryAccountRow & { school_name: string | null; school_diary_id: string | null }

/** Every column of diary_account and the school's name: the start of every read that makes an `Account`. */
function selectAccounts(db: Executor) {
  return db
    .selectFrom('diary_account')
    .selectAll('diary_account')
    .select(schoolNameSql('diary_account').as('school_name'))
    .select(schoolDiaryIdSql('diary_account').as('school_diary_id'))
}

export function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    region: row.region,
    login: row.login,
    role: row.role,
    familyName: row.family_name,
    givenName: row.given_name,
    patronymic: row.patronymic,
    birthDate: row.birth_date,
    snilsHmac: row.snils_hmac,
    snilsLast4: row.snils_last4,
    schoolId: row.school_id,
    school: row.school_name,
    schoolDiaryId: row.school_diary_id,
    email: row.email,
    phone: row.phone,
    className: row.class_name,
    mustChangePassword: row.must_change_password,
    passwordChangedAt: row.password_changed_at,
    externalId: row.external_id,
    state: row.state,
    deactivation:
      row.deactivated_at === null
        ? null
        : { at: row.deactivated_at, reason: row.deactivated_reason, by: row.deactivated_by ?? '' },
    version: String(row.version),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

function toColumns(fields: AccountFields) {
  return {
    role: fields.role,
    family_name: fields.familyName,
    given_name: fields.givenName,
    patronymic: fields.patronymic,
    birth_date: fields.birthDate,
    snils_hmac: fields.snilsHmac,
    snils_last4: fields.snilsLast4,
    school_id: fields.schoolId,
    class_name: fields.className,
    external_id: fields.externalId,
  }
}

export async function findAccountById(db: Executor, id: string): Promise<Account | undefined> {
  const row = await selectAccounts(db).where('id', '=', id).executeTakeFirst()
  return row && toAccount(row)
}

/*
 * The school console's reads (console/): every one takes the operator's scope as SQL over the row
 * (console/operator.repository.ts accountInScopeSql), so that an account outside it is never read.
 */

/** What a console search asks for: text (a login, or a family name then given name and patronymic, each by its beginning), a school, a class. */
export interface AccountSearch {
  text?: string
  schoolId?: string
  className?: string
}

/** Folds typed text as the family-name index does: NFC, lower case, ё as е, one space between words. */
export function foldNameText(value: string): string {
  return value.normalize('NFC').trim().toLowerCase().replaceAll('ё', 'е').replace(/\s+/gu, ' ')
}

const likePrefix = (value: string) => `${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

/** The accounts in `scope` that match `search`, by name, at most `limit`. */
export async function searchAccounts(
  db: Executor,
  scope: RawBuilder<SqlBool>,
  search: AccountSearch,
  limit: number,
): Promise<Account[]> {
  let query = selectAccounts(db).where(scope)
  const words = search.text === undefined ? [] : foldNameText(search.text).split(' ').filter(Boolean)
  const [first, given, patronymic] = words
  if (first !== undefined) {
    const family = sql<SqlBool>`translate(lower(family_name), 'ё', 'е') like ${likePrefix(first)}`
    query = query.where(words.length === 1 ? sql<SqlBool>`(${family} or login = ${first})` : family)
  }
  if (given !== undefined)
    query = query.where(sql<SqlBool>`translate(lower(given_name), 'ё', 'е') like ${likePrefix(given)}`)
  if (patronymic !== undefined)
    query = query.where(
      sql<SqlBool>`translate(lower(coalesce(patronymic, '')), 'ё', 'е') like ${likePrefix(patronymic)}`,
    )
  if (search.schoolId !== undefined) query = query.where('school_id', '=', search.schoolId)
  if (search.className !== undefined) query = query.where('class_name', '=', search.className)
  const rows = await query.orderBy('family_name').orderBy('given_name').orderBy('login').limit(limit).execute()
  return rows.map(toAccount)
}

/** The account `id` if it is in `scope`; undefined otherwise (an id of another school reads nothing). */
export async function findAccountInScope(
  db: Executor,
  scope: RawBuilder<SqlBool>,
  id: string,
): Promise<Account | undefined> {
  if (!isUuid(id)) return undefined
  const row = await selectAccounts(db).where('id', '=', id).where(scope).executeTakeFirst()
  return row && toAccount(row)
}

/** The classes of the school `schoolId` within `scope`, with how many active accounts each has. */
export async function listClassesInScope(
  db: Executor,
  scope: RawBuilder<SqlBool>,
  schoolId: string,
): Promise<{ className: string; accounts: number }[]> {
  if (!isUuid(schoolId)) return []
  const rows = await db
    .selectFrom('diary_account')
    .select(['class_name', sql<number>`count(*)::int`.as('accounts')])
    .where('school_id', '=', schoolId)
    .where('class_name', 'is not', null)
    .where('state', '=', 'active')
    .where(scope)
    .groupBy('class_name')
    .orderBy('class_name')
    .execute()
  return rows.map((row) => ({ className: row.class_name as string, accounts: row.accounts }))
}

/**
 * `findAccountById` with values of other owners' reads beside it (their SQL, named by `extras`), for a
 * step that needs the account and them in one round trip.
 */
export async function findAccountByIdWith<Extra extends Record<string, unknown>>(
  db: Executor,
  id: string,
  extras: { [K in keyof Extra & string]: RawBuilder<Extra[K]> },
): Promise<{ account: Account; extra: Extra } | undefined> {
  if (!isUuid(id)) return undefined
  let query = selectAccounts(db).where('id', '=', id)
  for (const [name, value] of Object.entries(extras)) query = query.select((value as RawBuilder<unknown>).as(name))
  const row = (await query.executeTakeFirst()) as (AccountRow & Record<string, unknown>) | undefined
  if (row === undefined) return undefined
  const extra = Object.fromEntries(Object.keys(extras).map((name) => [name, row[name]])) as Extra
  return { account: toAccount(row), extra }
}

/** The account `id` only if it belongs to `region` (the scope in the statement, not in the caller). */
export async function findAccountInRegion(db: Executor, region: string, id: string): Promise<Account | undefined> {
  const row = await selectAccounts(db).where('id', '=', id).where('region', '=', region).executeTakeFirst()
  return row && toAccount(row)
}

/*
 * Reads of diary_account as parts of larger statements (CTE bodies), for the one-statement steps of a
 * login (oauth/authorization-code.repository.ts, login/linked-sign-in.ts): the column lists stay here, and
 * the CTEs say which they provide (db/cte.ts).
 */

/** The account `accountId` if it is in one of `regions`: id, region and `sessionId` as session_id. */
export function accountInRegionsCte<Name extends string>(
  name: Name,
  accountId: string,
  sessionId: string | null,
  regions: readonly string[],
) {
  return cte(
    name,
    ['id', 'region', 'session_id'],
    sql`select id, region, ${sessionId}::uuid as session_id from diary_account where id = ${accountId}::uuid and region = any(${[...regions]}::text[])`,
  )
}

/** The accounts of the sessions of `sessions` that are in one of `regions`: id, region, session_id. */
export function sessionAccountsInRegionsCte<
  Name extends string,
  Sessions extends Cte<string, 'id' | 'account_id', string>,
>(name: Name, sessions: Sessions, regions: readonly string[]) {
  const body = sql`select a.id, a.region, s.id as session_id from ${tableOf(sessions)} s join diary_account a on a.id = s.account_id
    where a.region = any(${[...regions]}::text[])`
  return cte(name, ['id', 'region', 'session_id'], body, [sessions])
}

/** The ids of the accounts of a region, as a parenthesised subquery for `in` (identity links are looked up within a region). */
export function accountIdsOfRegionSql(region: string): RawBuilder<string> {
  return sql<string>`(select id from diary_account where region = ${region})`
}

/** What tokens say of the accounts of the rows of `source`: id, region, role and the names. */
export function tokenAccountsCte<Name extends string, Source extends Cte<string, 'account_id', string>>(
  name: Name,
  source: Source,
) {
  const body = sql`select a.id, a.region, a.role, a.family_name, a.given_name, a.patronymic from ${tableOf(source)} c join diary_account a on a.id = c.account_id`
  return cte(name, ['id', 'region', 'role', 'family_name', 'given_name', 'patronymic'], body, [source])
}

/** A row with the columns of tokenAccountsCte as the TokenAccount tokens are made from. */
export function toTokenAccount(row: {
  id: string
  region: string
  role: TokenAccount['role']
  family_name: string
  given_name: string
  patronymic: string | null
}): TokenAccount {
  return {
    id: row.id,
    region: row.region,
    role: row.role,
    familyName: row.family_name,
    givenName: row.given_name,
    patronymic: row.patronymic,
  }
}

export async function findAccountByLogin(db: Executor, region: string, login: string): Promise<Account | undefined> {
  return (await findAccountCredentials(db, region, login))?.account
}

/** The account of a login with its password hash, for the credential check only. */
export async function findAccountCredentials(
  db: Executor,
  region: string,
  login: string,
): Promise<{ account: Account; passwordHash: string | null } | undefined> {
  const row = await selectAccounts(db)
    .where('region', '=', region)
    .where('login', '=', normaliseLogin(login))
    .executeTakeFirst()
  return row && { account: toAccount(row), passwordHash: row.password_hash }
}

export async function findPasswordHash(db: Executor, accountId: string): Promise<string | null> {
  const row = await db
    .selectFrom('diary_account')
    .select('password_hash')
    .where('id', '=', accountId)
    .executeTakeFirst()
  return row?.password_hash ?? null
}

/**
 * Whether the account's password is still the one set at `since` (null: never set since the import),
 * read with a row lock: a password change in the same transaction then cannot race another one.
 */
export async function isPasswordUnchangedSince(db: Executor, accountId: string, since: Date | null): Promise<boolean> {
  const row = await db
    .selectFrom('diary_account')
    .select('password_changed_at')
    .where('id', '=', accountId)
    .forUpdate()
    .executeTakeFirst()
  if (row === undefined) return false
  return (row.password_changed_at?.getTime() ?? null) === (since?.getTime() ?? null)
}

/** Accounts of a region with this SNILS HMAC; `limit` 2 is enough to tell one from several. */
export async function findAccountsBySnils(
  db: Executor,
  region: string,
  snilsHmac: string,
  limit: number,
): Promise<Account[]> {
  const rows = await selectAccounts(db)
    .where('region', '=', region)
    .where('snils_hmac', '=', snilsHmac)
    .limit(limit)
    .execute()
  return rows.map(toAccount)
}

/**
 * Accounts of a region whose family name, case folded with ё = е by the database, is `familyName`
 * (give it as person/full-name.ts normalises it). Case folding of Cyrillic needs a UTF-8 aware
 * LC_CTYPE, as any PostgreSQL created with a UTF-8 locale (C.UTF-8, ru_RU.UTF-8…) has.
 */
export async function findAccountsByFamilyName(
  db: Executor,
  region: string,
  familyName: string,
  limit: number,
): Promise<Account[]> {
  const rows = await selectAccounts(db)
    .where('region', '=', region)
    .where(sql<string>`translate(lower(family_name), 'ё', 'е')`, '=', familyName)
    .orderBy('family_name')
    .orderBy('given_name')
    .orderBy('login')
    .limit(limit)
    .execute()
  return rows.map(toAccount)
}

/**
 * The other accounts of the account's region born on its birth date whose family name folds like its
 * own (as `findAccountsByFamilyName` folds it, on the same index); at most `limit`. The binding rules
 * ask whether a diary has a namesake sibling (a twin).
 */
export async function findAccountsBornWith(
  db: Executor,
  account: Pick<Account, 'id' | 'region' | 'familyName' | 'birthDate'>,
  limit: number,
): Promise<Account[]> {
  if (account.birthDate === null) return []
  const rows = await selectAccounts(db)
    .where('region', '=', account.region)
    .where(
      sql<string>`translate(lower(family_name), 'ё', 'е')`,
      '=',
      sql<string>`translate(lower(${account.familyName}), 'ё', 'е')`,
    )
    .where('birth_date', '=', account.birthDate)
    .where('id', '<>', account.id)
    .limit(limit)
    .execute()
  return rows.map(toAccount)
}

/**
 * Replaces the password hash; `mustChange` marks it temporary (changed at the next sign-in). With
 * `replacing`, only while the account still has that temporary password (false otherwise).
 */
export async function setPassword(
  db: Executor,
  accountId: string,
  password: { hash: string; mustChange: boolean; now: Date },
  replacing?: { passwordChangedAt: Date | null },
): Promise<boolean> {
  let query = db
    .updateTable('diary_account')
    .set({
      password_hash: password.hash,
      must_change_password: password.mustChange,
      password_changed_at: password.now,
      updated_at: password.now,
    })
    .where('id', '=', accountId)
  if (replacing !== undefined) {
    const since = replacing.passwordChangedAt
    query = query
      .where('must_change_password', '=', true)
      .where((eb) => (since === null ? eb('password_changed_at', 'is', null) : eb('password_changed_at', '=', since)))
  }
  const result = await query.executeTakeFirst()
  return result.numUpdatedRows === 1n
}

/** The accounts with these ids that exist, by id (one statement for a list of links). */
export async function findAccountsByIds(db: Executor, ids: readonly string[]): Promise<Map<string, Account>> {
  if (ids.length === 0) return new Map()
  const rows = await selectAccounts(db)
    .where('id', 'in', [...ids])
    .execute()
  return new Map(rows.map((row) => [row.id, toAccount(row)]))
}

/** The existing accounts of these logins (already normalised), by login. */
export async function findAccountsByLogins(
  db: Executor,
  region: string,
  logins: readonly string[],
): Promise<Map<string, Account>> {
  if (logins.length === 0) return new Map()
  const rows = await selectAccounts(db).where('region', '=', region).where('login', 'in', logins).execute()
  return new Map(rows.map((row) => [row.login, toAccount(row)]))
}

/** Which login of the region holds each of these SNILS HMACs. */
export async function findSnilsOwners(
  db: Executor,
  region: string,
  snilsHmacs: readonly string[],
): Promise<Map<string, string>> {
  if (snilsHmacs.length === 0) return new Map()
  const rows = await db
    .selectFrom('diary_account')
    .select(['login', 'snils_hmac'])
    .where('region', '=', region)
    .where('snils_hmac', 'in', snilsHmacs)
    .execute()
  return new Map(rows.map((row) => [row.snils_hmac as string, row.login]))
}

/** Which login of the region holds each of these diary ids of accounts (external_id). */
export async function findExternalIdOwners(
  db: Executor,
  region: string,
  externalIds: readonly string[],
): Promise<Map<string, string>> {
  if (externalIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('diary_account')
    .select(['login', 'external_id'])
    .where('region', '=', region)
    .where('external_id', 'in', externalIds)
    .execute()
  return new Map(rows.map((row) => [row.external_id as string, row.login]))
}

/** How many active accounts the school `schoolId` of `region` has. */
export async function countActiveAccountsOfSchool(db: Executor, region: string, schoolId: string): Promise<number> {
  const row = await db
    .selectFrom('diary_account')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('region', '=', region)
    .where('school_id', '=', schoolId)
    .where('state', '=', 'active')
    .executeTakeFirstOrThrow()
  return Number(row.count)
}

/** The active accounts of the school `schoolId` of `region` whose login is none of `logins` (normalised), by login. */
export async function findActiveAccountsOfSchoolNotIn(
  db: Executor,
  region: string,
  schoolId: string,
  logins: readonly string[],
): Promise<{ id: string; login: string }[]> {
  return db
    .selectFrom('diary_account')
    .select(['id', 'login'])
    .where('region', '=', region)
    .where('school_id', '=', schoolId)
    .where('state', '=', 'active')
    .where(sql<boolean>`not (login = any(${[...logins]}::text[]))`)
    .orderBy('login')
    .execute()
}

/** Inserts new accounts; a login that exists already (a parallel import) is skipped. Returns those created. */
export async function insertAccounts(
  db: Executor,
  accounts: readonly NewAccount[],
): Promise<{ id: string; login: string }[]> {
  if (accounts.length === 0) return []
  return db
    .insertInto('diary_account')
    .values(
      accounts.map((account) => ({
        region: account.region,
        login: account.login,
        password_hash: account.passwordHash,
        must_change_password: account.mustChangePassword,
        ...toColumns(account),
        ...(account.deactivation === undefined
          ? {}
          : {
              state: 'deactivated' as const,
              deactivated_at: account.deactivation.at,
              deactivated_reason: account.deactivation.reason,
              deactivated_by: account.deactivation.by,
            }),
      })),
    )
    .onConflict((conflict) => conflict.columns(['region', 'login']).doNothing())
    .returning(['id', 'login'])
    .execute()
}

export async function updateAccountFields(
  db: Executor,
  accountId: string,
  changes: Partial<AccountFields>,
  now: Date,
): Promise<void> {
  await db
    .updateTable('diary_account')
    .set({
      ...Object.fromEntries(
        Object.entries(toColumns(changes as AccountFields)).filter(([, value]) => value !== undefined),
      ),
      updated_at: now,
    })
    .where('id', '=', accountId)
    .execute()
}

/** What tokens and userinfo say about an account (no password hash, no SNILS HMAC). */
export type TokenAccount = Pick<Account, 'id' | 'region' | 'role' | 'familyName' | 'givenName' | 'patronymic'>

/**
 * The account an access token names, unless `revoked` (the token's revocation as an SQL condition,
 * oauth/token-family.repository.ts's `accessTokenRevokedSql`) holds: one narrow statement, userinfo is hot.
 */
export async function findTokenAccount(
  db: Executor,
  accountId: string,
  revoked: RawBuilder<boolean>,
): Promise<TokenAccount | undefined> {
  // A machine client's token names the client (sub = client_id): no account, and no uuid to compare.
  if (!isUuid(accountId)) return undefined
  const row = await db
    .selectFrom('diary_account')
    .select(['id', 'region', 'role', 'family_name', 'given_name', 'patronymic'])
    .where('id', '=', accountId)
    .where(sql<boolean>`not ${revoked}`)
    .executeTakeFirst()
  return row && toTokenAccount(row)
}

/*
 * Account states (lifecycle/account-state.ts decides; these only write). Each answers whether a row of
 * `region` in the expected state changed: the scope and the state are conditions of the statement.
 */

/**
 * Whether the account `accountId` (an SQL uuid expression) is active, as a condition. With `lock` (a
 * statement that starts a session) the row is read `for share`: a deactivation in progress holds the row,
 * so the sign-in waits for it and then sees the account deactivated, instead of starting a session that
 * the deactivation's end of sessions cannot see.
 */
export function accountIsActiveSql(
  accountId: RawBuilder<unknown>,
  options: { lock?: boolean } = {},
): RawBuilder<boolean> {
  const lock = options.lock === true ? sql` for share` : sql``
  return sql<boolean>`exists (select 1 from diary_account where id = ${accountId} and state = 'active'${lock})`
}

export async function setDeactivated(
  db: Executor,
  region: string,
  accountId: string,
  deactivation: Deactivation,
): Promise<boolean> {
  const result = await db
    .updateTable('diary_account')
    .set({
      state: 'deactivated',
      deactivated_at: deactivation.at,
      deactivated_reason: deactivation.reason,
      deactivated_by: deactivation.by,
      updated_at: deactivation.at,
    })
    .where('id', '=', accountId)
    .where('region', '=', region)
    .where('state', '=', 'active')
    .executeTakeFirst()
  return result.numUpdatedRows === 1n
}

export async function setReactivated(db: Executor, region: string, accountId: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('diary_account')
    .set({ state: 'active', deactivated_at: null, deactivated_reason: null, deactivated_by: null, updated_at: now })
    .where('id', '=', accountId)
    .where('region', '=', region)
    .where('state', '=', 'deactivated')
    .executeTakeFirst()
  return result.numUpdatedRows === 1n
}

/**
 * setDeactivated or setReactivated as a CTE of a statement that does the whole state change (every
 * column, `returning *`): the account `accountId` of one of `regions`, in the other state, and with
 * `expectedVersion` when given. No row when none is such, or while `unless` holds.
 */
export function changedStateCte<Name extends string>(
  name: Name,
  change: { regions: readonly string[]; accountId: string; expectedVersion?: string },
  to: { state: 'active'; now: Date } | { state: 'deactivated'; deactivation: Deactivation },
  unless: RawBuilder<boolean> = sql`false`,
) {
  const set =
    to.state === 'active'
      ? sql`state = 'active', deactivated_at = null, deactivated_reason = null, deactivated_by = null,
          updated_at = ${to.now}::timestamptz`
      : sql`state = 'deactivated', deactivated_at = ${to.deactivation.at}::timestamptz,
          deactivated_reason = ${to.deactivation.reason}::text, deactivated_by = ${to.deactivation.by}::text,
          updated_at = ${to.deactivation.at}::timestamptz`
  const version = change.expectedVersion === undefined ? sql`` : sql` and version = ${change.expectedVersion}::bigint`
  const body = sql`update diary_account set ${set}
    where id = ${change.accountId}::uuid and region = any(${[...change.regions]}::text[])
      and state = ${to.state === 'active' ? 'deactivated' : 'active'}${version} and not ${unless}
    returning *`
  return cte(name, ['id', 'region', 'school_id'], body)
}

/** The select that reads `accounts` (rows of diary_account from a CTE) as AccountRows, with `extra` columns. */
export function accountRowsWithSchoolSql(
  accounts: Cte<string, 'id' | 'school_id', string>,
  extra: RawBuilder<unknown> = sql``,
): RawBuilder<AccountRow> {
  return sql<AccountRow>`select a.*, ${schoolNameSql('a')} as school_name, ${schoolDiaryIdSql('a')} as school_diary_id${extra}
    from ${tableOf(accounts)} a`
}

/**
 * Removes everything personal of an account that is not erased yet (names, login, birth date, SNILS,
 * contacts, password, the diary's id, class): the row keeps its id, region, role and school, so that
 * sessions and tokens that name it stay listed as revoked until they expire. The login becomes the id
 * (unique, and no one's login).
 */
export async function eraseAccountData(
  db: Executor,
  region: string,
  accountId: string,
  erasure: { at: Date; by: string },
): Promise<boolean> {
  const result = await db
    .updateTable('diary_account')
    .set({
      login: sql`id::text`,
      password_hash: null,
      must_change_password: false,
      family_name: '',
      given_name: '',
      patronymic: null,
      birth_date: null,
      snils_hmac: null,
      snils_last4: null,
      class_name: null,
      external_id: null,
      email: null,
      email_verified_at: null,
      phone: null,
      phone_verified_at: null,
      state: 'erased',
      deactivated_at: erasure.at,
      deactivated_reason: null,
      deactivated_by: erasure.by,
      updated_at: erasure.at,
    })
    .where('id', '=', accountId)
    .where('region', '=', region)
    .where('state', '<>', 'erased')
    .executeTakeFirst()
  return result.numUpdatedRows === 1n
}

/*
 * Provisioning (lifecycle/provision.ts, for SCIM): accounts of the caller's regions, listed by a condition
 * the caller builds over the columns of diary_account, created and replaced whole. Erased accounts are
 * never listed nor written. The region scope is a condition of every statement.
 */

/** A condition over the columns of diary_account (scim/filter.ts makes them from a SCIM filter). */
export type AccountCondition = (eb: ExpressionBuilder<Database, 'diary_account'>) => Expression<SqlBool>

export interface AccountPage {
  /** How many accounts match, all pages together. */
  total: number
  accounts: Account[]
}

/** The accounts of `regions` (not erased) that match `where`, by login, one page: one statement (two for a page past the end). */
export async function listAccountsInRegions(
  db: Executor,
  regions: readonly string[],
  page: {
    where?: AccountCondition
    descending?: boolean
    offset: number
    limit: number
    /** Lists nothing while this holds (a condition of the caller's right to read, in the same statement). */
    unless?: RawBuilder<boolean>
  },
): Promise<AccountPage> {
  const scoped = (eb: ExpressionBuilder<Database, 'diary_account'>) =>
    eb.and([
      eb('diary_account.region', 'in', [...regions]),
      eb('diary_account.state', '<>', 'erased'),
      ...(page.where === undefined ? [] : [page.where(eb)]),
      ...(page.unless === undefined ? [] : [sql<SqlBool>`not ${page.unless}`]),
    ])
  if (regions.length === 0) return { total: 0, accounts: [] }
  const rows =
    page.limit === 0
      ? []
      : await selectAccounts(db)
          .select(sql<string>`count(*) over ()`.as('total'))
          .where(scoped)
          .orderBy('diary_account.login', page.descending === true ? 'desc' : 'asc')
          .orderBy('diary_account.id')
          // The page's size as a literal (a checked integer), and no offset on the first page: with them
          // as parameters PostgreSQL planned the statement anew at every call (its generic plan looked
          // dearer than one made for the values); a few texts instead, each planned once per connection.
          .limit(sql<number>`${sql.lit(Math.trunc(page.limit))}`)
          .$if(page.offset > 0, (query) => query.offset(page.offset))
          .execute()
  if (rows.length > 0) return { total: Number(rows[0]!.total), accounts: rows.map(toAccount) }
  const counted = await db
    .selectFrom('diary_account')
    .select((eb) => eb.fn.countAll<string>().as('total'))
    .where(scoped)
    .executeTakeFirstOrThrow()
  return { total: Number(counted.total), accounts: [] }
}

/** The account `id` if it is in one of `regions` and not erased. */
export async function findAccountInRegions(
  db: Executor,
  regions: readonly string[],
  id: string,
): Promise<Account | undefined> {
  if (regions.length === 0 || !isUuid(id)) return undefined
  const row = await selectAccounts(db)
    .where('id', '=', id)
    .where('region', 'in', [...regions])
    .where('state', '<>', 'erased')
    .executeTakeFirst()
  return row && toAccount(row)
}

/** What provisioning writes of an account (the password apart: setPassword). */
export interface AccountRecord extends AccountFields {
  login: string
  externalId: string | null
}

export type UniqueField = 'login' | 'externalId' | 'snils'

/**
 * Which of the record's unique values another account of the region (erased ones hold none) has already:
 * the login, the diary's id or the SNILS. `exceptId` is the account being replaced.
 */
export async function findTakenValue(
  db: Executor,
  region: string,
  record: Pick<AccountRecord, 'login' | 'externalId' | 'snilsHmac'>,
  exceptId?: string,
): Promise<UniqueField | undefined> {
  const row = await db
    .selectFrom('diary_account')
    .select(['login', 'external_id', 'snils_hmac'])
    .where('region', '=', region)
    .where((eb) =>
      eb.or([
        eb('login', '=', record.login),
        ...(record.externalId === null ? [] : [eb('external_id', '=', record.externalId)]),
        ...(record.snilsHmac === null ? [] : [eb('snils_hmac', '=', record.snilsHmac)]),
      ]),
    )
    .$if(exceptId !== undefined, (query) => query.where('id', '<>', exceptId as string))
    .limit(1)
    .executeTakeFirst()
  if (row === undefined) return undefined
  if (row.login === record.login) return 'login'
  return record.externalId !== null && row.external_id === record.externalId ? 'externalId' : 'snils'
}

/** The unique value a failed insert or update collided with (a parallel writer won), if that is why it failed. */
export function uniqueViolationOf(error: unknown): UniqueField | undefined {
  const { code, constraint } = (error ?? {}) as { code?: unknown; constraint?: unknown }
  if (code !== '23505') return undefined
  return constraint === 'diary_account_external_id_unique' ? 'externalId' : 'login'
}

/** Inserts one account; answers its id and state (the caller reads it whole when it needs it). */
export async function insertAccount(
  db: Executor,
  account: NewAccount & { externalId: string | null },
): Promise<{ id: string; state: AccountState }> {
  const inserted = await db
    .insertInto('diary_account')
    .values({
      region: account.region,
      login: account.login,
      password_hash: account.passwordHash,
      must_change_password: account.mustChangePassword,
      ...toColumns(account),
    })
    .returning(['id', 'state'])
    .executeTakeFirstOrThrow()
  return inserted
}

/**
 * A new account as a CTE (every column, `returning *`) whose school is the one row of `school` (a CTE of
 * the school's id, null for none): no row of `school`, no account; none either while `unless` holds. For one-statement
 * creates (lifecycle/provision.ts); a clash of the login or the diary's id fails the statement (23505).
 */
export function insertedAccountCte<Name extends string, School extends Cte<string, 'id', string>>(
  name: Name,
  account: NewAccount & { externalId: string | null },
  school: School,
  unless: RawBuilder<boolean> = sql`false`,
) {
  const body = sql`insert into diary_account (region, login, password_hash, must_change_password, role, family_name,
      given_name, patronymic, birth_date, snils_hmac, snils_last4, school_id, class_name, external_id)
    select ${account.region}::text, ${account.login}::text, ${account.passwordHash}::text, ${account.mustChangePassword}::boolean,
      ${account.role}::text, ${account.familyName}::text, ${account.givenName}::text, ${account.patronymic}::text,
      ${account.birthDate}::date, ${account.snilsHmac}::text, ${account.snilsLast4}::text,
      s.id, ${account.className}::text, ${account.externalId}::text
    from ${tableOf(school)} s where not ${unless}
    returning *`
  return cte(name, ['id', 'region', 'school_id'], body, [school])
}

/** The select that reads `accounts` (rows of diary_account from a CTE) as AccountRows, with the name and diary id of `school`. */
export function accountRowsSql(
  accounts: Cte<string, 'id' | 'school_id', string>,
  school: Cte<string, 'id' | 'name' | 'diary_id', string>,
): RawBuilder<AccountRow> {
  return sql<AccountRow>`select a.*, s.name as school_name, s.diary_id as school_diary_id
        from ${tableOf(accounts)} a left join ${tableOf(school)} s on s.id = a.school_id`
}

/**
 * Replaces the provisioned fields of an account of `region` that is not erased, only while its version is
 * `expectedVersion` when one is given (If-Match). False when no such row.
 */
export async function replaceAccountRecord(
  db: Executor,
  region: string,
  accountId: string,
  record: AccountRecord,
  expectedVersion: string | undefined,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('diary_account')
    .set({ login: record.login, ...toColumns(record), updated_at: now })
    .where('id', '=', accountId)
    .where('region', '=', region)
    .where('state', '<>', 'erased')
    .$if(expectedVersion !== undefined, (query) => query.where('version', '=', expectedVersion as string))
    .executeTakeFirst()
  return result.numUpdatedRows === 1n
}

/** The login of the account `accountId` names, as a scalar subquery (console/operator.repository.ts lists roles with it). */
export function accountLoginSql(accountId: RawBuilder<unknown>): RawBuilder<string> {
  return sql<string>`(select login from diary_account where id = ${accountId})`
}

/** The state and region of the account `accountId` names, as scalar subqueries (factors/factor.repository.ts answers a passkey with its account's). */
export function accountStateAndRegionSql(accountId: RawBuilder<string>): {
  state: RawBuilder<AccountState>
  region: RawBuilder<string>
} {
  return {
    state: sql<AccountState>`(select state from diary_account where id = ${accountId})`,
    region: sql<string>`(select region from diary_account where id = ${accountId})`,
  }
}
