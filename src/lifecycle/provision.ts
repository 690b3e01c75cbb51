/*
 * Accounts written whole by a system of record (the diary's SCIM client): create, or replace.
 * - the input is already validated (scim/user-resource.ts); this decides and writes, in one transaction:
 *   uniqueness in the region (login, the diary's id, SNILS) → `taken`; a school named by name that two
 *   schools of the region carry → `ambiguous_school`; an If-Match version that is not the row's → `version_mismatch`
 * - the school is found or created (accounts/school.repository.ts resolveSchool), as the import does
 * - SNILS is kept as HMAC + last 4 (person/snils.ts); a password is hashed with the app's argon2id pool and
 *   marked must-change, as the import's initial password; SNILS and password absent from a replacement
 *   stay as they are (both are write-only: a client cannot send back what it never reads)
 * - e-mail and phone are stored unverified (accounts/contacts.repository.ts replaceContacts)
 * - `active` goes through lifecycle/account-state.ts (sessions end on deactivation), after the fields;
 *   absent, the state stays
 * - audit: account_created, account_updated, or account_moved when the school changes (ids only; sessions
 *   and links stay: a move within the region is not an end)
 * - the common create (no SNILS, no contacts, not created inactive, a school the region knows by that name
 *   or id, or none) is one statement: the account, its audit event and the row read back; anything else,
 *   or a school that has to be created or changed, goes the way above
 */
import { type Kysely, type RawBuilder, sql } from 'kysely'
import { inTransaction } from '../db/transaction.js'
import {
  type Account,
  type AccountRecord,
  type AccountRow,
  accountRowsSql,
  findAccountInRegion,
  findTakenValue,
  insertAccount,
  insertedAccountCte,
  replaceAccountRecord,
  setPassword,
  toAccount,
  type UniqueField,
  uniqueViolationOf,
} from '../accounts/account.repository.js'
import { replaceContacts } from '../accounts/contacts.repository.js'
import type { PasswordHasher } from '../accounts/password-hash.js'
import { knownSchoolCte, resolveSchool } from '../accounts/school.repository.js'
import { auditEventCte, recordAuditEvent } from '../audit/record-audit-event.js'
import { withCtes } from '../db/cte.js'
import type { Database, Executor, Role } from '../db/schema.js'
import { hmacSnils } from '../person/snils.js'
import {
  type ChangedBy,
  deactivateAccount,
  describeChangedBy,
  reactivateAccount,
  type StateMetrics,
} from './account-state.js'

/** A validated account as a system of record sends it. */
export interface ProvisionedAccount {
  /** Normalised as accounts/account.repository.ts normaliseLogin does. */
  login: string
  externalId: string | null
  role: Role
  familyName: string
  givenName: string
  patronymic: string | null
  birthDate: string | null
  /** 11 digits; undefined keeps the stored one (write-only), null clears it. */
  snils: string | null | undefined
  school: { name: string; diaryId: string | null } | null
  className: string | null
  email: string | null
  phone: string | null
  /** An initial password; undefined keeps the stored one. */
  password: string | undefined
  /** Undefined keeps the state (a new account is active). */
  active: boolean | undefined
}

export type ProvisionOutcome =
  | { kind: 'done'; account: Account; created: boolean }
  | { kind: 'not_found' }
  | { kind: 'version_mismatch' }
  | { kind: 'taken'; field: UniqueField }
  | { kind: 'ambiguous_school' }

export interface ProvisionDeps {
  db: Kysely<Database>
  hasher: PasswordHasher
  snilsPepper: Buffer
  now: () => Date
  metrics?: StateMetrics
}

export interface Provisioner {
  by: ChangedBy
  requestId?: string
}

type Written = ProvisionOutcome | { kind: 'written'; accountId: string; created: boolean; state: Account['state'] }

class Rollback extends Error {
  constructor(readonly outcome: ProvisionOutcome) {
    super(outcome.kind)
  }
}

/**
 * A condition of the caller's right to write (its machine token not revoked): part of the one statement
 * (nothing is written while `unless` holds), else `ensure` is asked before the transaction.
 */
export interface WriteGuard {
  unless: RawBuilder<boolean>
  ensure: () => Promise<void>
}

/** Creates an account of `region`. */
export async function createAccount(
  deps: ProvisionDeps,
  region: string,
  input: ProvisionedAccount,
  who: Provisioner,
  guard?: WriteGuard,
): Promise<ProvisionOutcome> {
  const theLongWay = async (hashed?: string) => {
    await guard?.ensure()
    return provision(deps, region, input, who, undefined, hashed)
  }
  if (input.snils !== undefined && input.snils !== null) return theLongWay()
  if (input.email !== null || input.phone !== null || input.active === false) return theLongWay()
  const passwordHash = input.password === undefined ? undefined : await deps.hasher.hash(input.password)
  const unless = guard?.unless ?? sql<boolean>`false`
  try {
    // Alone, the statement is its own transaction; inside a caller's (a Bulk's shared commit), a savepoint
    // keeps a refused create from aborting the others.
    const account = deps.db.isTransaction
      ? await inTransaction(deps.db, (trx) => createAtOnce(trx, region, input, who, passwordHash, unless))
      : await createAtOnce(deps.db, region, input, who, passwordHash, unless)
    if (account !== undefined) return { kind: 'done', account, created: true }
  } catch (error) {
    const field = uniqueViolationOf(error)
    if (field !== undefined) return { kind: 'taken', field }
    throw error
  }
  return theLongWay(passwordHash)
}

/** The common create in one statement (see the header); undefined when the school is not one the region knows as named. */
async function createAtOnce(
  db: Kysely<Database>,
  region: string,
  input: ProvisionedAccount,
  who: Provisioner,
  passwordHash: string | undefined,
  unless: RawBuilder<boolean>,
): Promise<Account | undefined> {
  const school = knownSchoolCte('school', region, input.school)
  const created = insertedAccountCte(
    'created',
    {
      region,
      login: input.login,
      externalId: input.externalId,
      role: input.role,
      familyName: input.familyName,
      givenName: input.givenName,
      patronymic: input.patronymic,
      birthDate: input.birthDate,
      snilsHmac: null,
      snilsLast4: null,
      schoolId: null,
      className: input.className,
      passwordHash: passwordHash ?? null,
      mustChangePassword: passwordHash !== undefined,
    },
    school,
    unless,
  )
  const audited = auditEventCte('audited', created, {
    type: 'account_created',
    outcome: 'success',
    clientId: who.by.kind === 'scim' ? who.by.clientId : null,
    requestId: who.requestId,
    details: { by: describeChangedBy(who.by) },
  })
  const statement = withCtes().with(school).with(created).with(audited)
  const { rows } = await statement.select<AccountRow>(() => accountRowsSql(created, school)).execute(db)
  return rows[0] && toAccount(rows[0])
}

/** Replaces the account `accountId` of `region`; with `expectedVersion`, only while the row has that version. */
export async function replaceAccount(
  deps: ProvisionDeps,
  region: string,
  accountId: string,
  input: ProvisionedAccount,
  who: Provisioner,
  expectedVersion?: string,
): Promise<ProvisionOutcome> {
  return provision(deps, region, input, who, { accountId, expectedVersion })
}

async function provision(
  deps: ProvisionDeps,
  region: string,
  input: ProvisionedAccount,
  who: Provisioner,
  target: { accountId: string; expectedVersion: string | undefined } | undefined,
  hashed?: string,
): Promise<ProvisionOutcome> {
  const passwordHash = hashed ?? (input.password === undefined ? undefined : await deps.hasher.hash(input.password))
  const now = deps.now()
  let written: Written
  try {
    // The state that `active` asks for is changed in the same transaction as the fields: a new account
    // that is to be inactive is never active for a moment, and a failed state change writes nothing.
    written = await inTransaction(deps.db, async (trx) => {
      const result = await write(trx, region, input, target, { passwordHash, now, who, snilsPepper: deps.snilsPepper })
      if (result.kind !== 'written') return result
      const change = { region, accountId: result.accountId, by: who.by, now, requestId: who.requestId }
      if (input.active === true && result.state === 'deactivated') await reactivateAccount(trx, change, deps.metrics)
      if (input.active === false && result.state === 'active') await deactivateAccount(trx, change, deps.metrics)
      return result
    })
  } catch (error) {
    if (error instanceof Rollback) return error.outcome
    const field = uniqueViolationOf(error)
    if (field !== undefined) return { kind: 'taken', field }
    throw error
  }
  if (written.kind !== 'written') return written
  const account = await findAccountInRegion(deps.db, region, written.accountId)
  if (account === undefined || account.state === 'erased') return { kind: 'not_found' }
  return { kind: 'done', account, created: written.created }
}

async function write(
  trx: Kysely<Database>,
  region: string,
  input: ProvisionedAccount,
  target: { accountId: string; expectedVersion: string | undefined } | undefined,
  options: { passwordHash: string | undefined; now: Date; who: Provisioner; snilsPepper: Buffer },
): Promise<Written> {
  const { now, who } = options
  const current = target === undefined ? undefined : await findAccountInRegion(trx, region, target.accountId)
  if (target !== undefined && (current === undefined || current.state === 'erased')) return { kind: 'not_found' }
  if (target?.expectedVersion !== undefined && current?.version !== target.expectedVersion) {
    return { kind: 'version_mismatch' }
  }
  const schoolId = await schoolOf(trx, region, input, now)
  if (schoolId === false) return { kind: 'ambiguous_school' }
  const snils =
    input.snils === undefined
      ? { snilsHmac: current?.snilsHmac ?? null, snilsLast4: current?.snilsLast4 ?? null }
      : input.snils === null
        ? { snilsHmac: null, snilsLast4: null }
        : { snilsHmac: hmacSnils(options.snilsPepper, input.snils), snilsLast4: input.snils.slice(-4) }
  const record: AccountRecord = {
    login: input.login,
    externalId: input.externalId,
    role: input.role,
    familyName: input.familyName,
    givenName: input.givenName,
    patronymic: input.patronymic,
    birthDate: input.birthDate,
    ...snils,
    schoolId,
    className: input.className,
  }
  // A new account without a SNILS: the login and the diary's id are unique by the database's own
  // constraints (a clash rolls this write back and answers `taken`), so no statement asks first; the
  // SNILS has no unique constraint in the database, so it is asked about.
  if (current !== undefined || record.snilsHmac !== null) {
    const taken = await findTakenValue(trx, region, record, current?.id)
    if (taken !== undefined) return { kind: 'taken', field: taken }
  }
  const details = { by: describeChangedBy(who.by) }
  if (current === undefined) {
    const created = await insertAccount(trx, {
      ...record,
      region,
      passwordHash: options.passwordHash ?? null,
      mustChangePassword: options.passwordHash !== undefined,
    })
    if (input.email !== null || input.phone !== null) await replaceContacts(trx, created.id, input, now)
    await audit(trx, 'account_created', created.id, region, who, details)
    return { kind: 'written', accountId: created.id, created: true, state: created.state }
  }
  const replaced = await replaceAccountRecord(trx, region, current.id, record, target?.expectedVersion, now)
  // The row changed between our read and the update (another writer): nothing of ours was written.
  if (!replaced) throw new Rollback({ kind: 'version_mismatch' })
  if (options.passwordHash !== undefined) {
    await setPassword(trx, current.id, { hash: options.passwordHash, mustChange: true, now })
  }
  await replaceContacts(trx, current.id, input, now)
  const moved = current.schoolId !== null && schoolId !== null && current.schoolId !== schoolId
  await audit(
    trx,
    moved ? 'account_moved' : 'account_updated',
    current.id,
    region,
    who,
    moved ? { ...details, from_school: current.schoolId, to_school: schoolId } : details,
  )
  return { kind: 'written', accountId: current.id, created: false, state: current.state }
}

/** The id of the input's school, found or created; null without one; false when its name is ambiguous. */
async function schoolOf(db: Executor, region: string, input: ProvisionedAccount, now: Date) {
  if (input.school === null) return null
  const resolved = await resolveSchool(db, region, input.school, now)
  return resolved.ok ? resolved.school.id : false
}

function audit(
  db: Kysely<Database>,
  type: 'account_created' | 'account_updated' | 'account_moved',
  accountId: string,
  region: string,
  who: Provisioner,
  details: Record<string, string | null>,
) {
  return recordAuditEvent(db, {
    type,
    outcome: 'success',
    accountId,
    region,
    clientId: who.by.kind === 'scim' ? who.by.clientId : null,
    requestId: who.requestId,
    details,
  })
}
