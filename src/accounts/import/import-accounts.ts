/*
 * Imports diary accounts of one region from a CSV or JSON Lines file.
 * - every row is validated; a bad row is reported with its line number and skipped, good rows import
 * - idempotent: an existing login is compared field by field and updated only when something changed;
 *   its password is never touched (an initial password applies when the account is created)
 * - an initial password is hashed with argon2id and marked must-change; an imported hash is kept as is
 * - a login or SNILS that appears twice in the file, or a SNILS that already belongs to another account
 *   of the region, is a bad row (automatic linking could never pick between them)
 * - SNILS is kept only as HMAC + last 4 digits; it appears in no problem text
 * - e-mail and phone follow contact-changes.ts: an empty cell never wipes a stored contact, another
 *   value replaces it; verified at the import time with `contactsVerified`, unverified without
 * - rows are written in batches, each batch in one transaction; the insert tolerates a parallel import
 * - external_id (the diary's own id of the account) is unique in the region: twice in the file, or
 *   already another login's, is a bad row; an empty cell keeps the stored one
 * - the `active` column asks for state changes: a new account it marks inactive is created deactivated
 *   (in the batch's transaction, with its audit event: never active for a moment); deactivating an
 *   existing account and reactivating one are returned in `stateChanges` and made by
 *   lifecycle/import-lifecycle.ts (a change of state ends sessions and is audited)
 * - `dryRun` writes nothing (no school, account, contact or audit row; no password is hashed) and
 *   reports what would be written; a school that does not exist yet counts as new
 */
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/schema.js'
import {
  type Account,
  type AccountFields,
  findAccountsByLogins,
  findExternalIdOwners,
  findSnilsOwners,
  insertAccounts,
  type NewAccount,
  updateAccountFields,
} from '../account.repository.js'
import { recordAuditEvent } from '../../audit/record-audit-event.js'
import { hmacSnils } from '../../person/snils.js'
import type { PasswordHasher } from '../password-hash.js'
import { type ContactChanges, contactChanges, noContacts } from './contact-changes.js'
import { findContactsByLogins, writeContacts } from '../contacts.repository.js'
import { findSchool, resolveSchool, type SchoolResolution } from '../school.repository.js'
import { normaliseLogin } from '../account.repository.js'
import { type FileFormat, readRecords } from './read-records.js'
import { type ImportedAccount, validateAccountRow } from './validate-row.js'
import { emptyReport, type ImportReport, noSchool } from './import-report.js'

export type { ImportReport, RowProblem, StateRequest } from './import-report.js'
export { noSchool } from './import-report.js'

export interface ImportOptions {
  file: string
  format: FileFormat
  region: string
  snilsPepper: Buffer
  /** Hashes initial passwords (its pool size bounds the concurrency). */
  hasher: PasswordHasher
  /**
   * The file's e-mails and phones are known to reach their owners (the school collected them in person):
   * stored as verified at the import time. Without it they are stored unverified.
   */
  contactsVerified?: boolean
  batchSize?: number
  /** Write nothing, report what would be written. */
  dryRun?: boolean
  /** Called after every batch with the report so far. */
  onProgress?: (report: ImportReport) => void
  now?: () => Date
}

interface PreparedRow {
  line: number
  account: ImportedAccount
  snilsHmac: string | null
}

function fieldsOf(row: PreparedRow, schoolId: string | null, existing?: Account): AccountFields {
  const { account } = row
  return {
    role: account.role,
    familyName: account.familyName,
    givenName: account.givenName,
    patronymic: account.patronymic,
    birthDate: account.birthDate,
    snilsHmac: row.snilsHmac,
    snilsLast4: account.snils === null ? null : account.snils.slice(-4),
    schoolId,
    className: account.className,
    externalId: account.externalId ?? existing?.externalId ?? null,
  }
}

function changedFields(existing: Account, fields: AccountFields): Partial<AccountFields> {
  return Object.fromEntries(
    Object.entries(fields).filter(([key, value]) => existing[key as keyof AccountFields] !== value),
  )
}

/** The school of a row as the file names it (its diary id and name), or undefined without one. */
function schoolKey(row: PreparedRow): string | undefined {
  const { school, schoolDiaryId } = row.account
  return school === null ? undefined : JSON.stringify([schoolDiaryId, school])
}

async function writeBatch(
  db: Kysely<Database>,
  batch: PreparedRow[],
  options: ImportOptions,
  report: ImportReport,
): Promise<void> {
  const now = options.now?.() ?? new Date()
  const contactOptions = { verified: options.contactsVerified ?? false, now }
  const createdInactive = {
    at: now,
    reason: `inactive in the import of ${now.toISOString().slice(0, 10)}`,
    by: 'import',
  }
  const existing = await findAccountsByLogins(
    db,
    options.region,
    batch.map((row) => row.account.login),
  )
  const snilsOwners = await findSnilsOwners(
    db,
    options.region,
    batch.flatMap((row) => (row.snilsHmac === null ? [] : [row.snilsHmac])),
  )
  const withContacts = batch.filter(
    (row) => existing.has(row.account.login) && (row.account.email !== null || row.account.phone !== null),
  )
  const storedContacts = await findContactsByLogins(
    db,
    options.region,
    withContacts.map((row) => row.account.login),
  )

  // The schools the batch names, found or created (an import names few schools: one statement or two each).
  // A dry run only finds them: a school it would create gets a stand-in id.
  const schools = new Map<string, { id: string | null; name: string }>()
  for (const row of batch) {
    const key = schoolKey(row)
    if (key === undefined || schools.has(key)) continue
    const reference = { name: row.account.school as string, diaryId: row.account.schoolDiaryId }
    const resolved: SchoolResolution | undefined = options.dryRun
      ? await findSchool(db, options.region, reference)
      : await resolveSchool(db, options.region, reference, now)
    if (resolved === undefined) schools.set(key, { id: `new:${key}`, name: reference.name })
    else schools.set(key, resolved.ok ? resolved.school : { id: null, name: reference.name })
    if (resolved?.ok) report.listed.schoolIds.push(resolved.school.id)
  }
  const schoolOf = (row: PreparedRow) => {
    const key = schoolKey(row)
    return key === undefined ? null : (schools.get(key)?.id ?? null)
  }
  const schoolName = (row: PreparedRow) => {
    const key = schoolKey(row)
    return key === undefined ? noSchool : (schools.get(key)?.name ?? noSchool)
  }
  const count = (row: PreparedRow, kind: 'created' | 'updated') => {
    const counts = (report.schools[schoolName(row)] ??= { created: 0, updated: 0 })
    counts[kind]++
  }
  const externalOwners = await findExternalIdOwners(
    db,
    options.region,
    batch.flatMap((row) => (row.account.externalId === null ? [] : [row.account.externalId])),
  )

  const inserts: PreparedRow[] = []
  const updates: { id: string; changes: Partial<AccountFields>; fromSchool: string | null }[] = []
  const contactWrites: { login: string; contacts: ContactChanges }[] = []
  for (const row of batch) {
    if (row.account.school !== null && schoolOf(row) === null) {
      report.rejected.push({
        line: row.line,
        problems: ["school: several schools of the region have this name (give the diary's id of the school)"],
      })
      continue
    }
    const externalOwner = row.account.externalId === null ? undefined : externalOwners.get(row.account.externalId)
    if (externalOwner !== undefined && externalOwner !== row.account.login) {
      report.rejected.push({
        line: row.line,
        problems: [`external_id: already belongs to account "${externalOwner}" of this region`],
      })
      continue
    }
    const owner = row.snilsHmac === null ? undefined : snilsOwners.get(row.snilsHmac)
    if (owner !== undefined && owner !== row.account.login) {
      report.rejected.push({
        line: row.line,
        problems: [`snils: already belongs to account "${owner}" of this region`],
      })
      continue
    }
    const current = existing.get(row.account.login)
    const contacts = contactChanges(storedContacts.get(row.account.login) ?? noContacts, row.account, contactOptions)
    if (contacts !== undefined) contactWrites.push({ login: row.account.login, contacts })
    if (current === undefined) {
      inserts.push(row)
      continue
    }
    const changes = changedFields(current, fieldsOf(row, schoolOf(row), current))
    if (Object.keys(changes).length === 0 && contacts === undefined) report.unchanged++
    else {
      updates.push({ id: current.id, changes, fromSchool: current.schoolId })
      count(row, 'updated')
    }
    if (row.account.active === false && current.state === 'active')
      report.stateChanges.push({
        change: 'deactivate',
        accountId: current.id,
        login: current.login,
        school: schoolName(row),
      })
    if (row.account.active === true && current.state === 'deactivated')
      report.stateChanges.push({
        change: 'reactivate',
        accountId: current.id,
        login: current.login,
        school: schoolName(row),
      })
  }
  for (const row of inserts) count(row, 'created')

  if (options.dryRun) {
    report.created += inserts.length
    report.updated += updates.length
    for (const row of inserts)
      if (row.account.active === false)
        report.stateChanges.push({
          change: 'deactivate',
          accountId: null,
          login: row.account.login,
          school: schoolName(row),
        })
    return
  }

  const newAccounts: NewAccount[] = await Promise.all(
    inserts.map(async (row) => ({
      region: options.region,
      login: row.account.login,
      passwordHash: row.account.passwordHash ?? (await options.hasher.hash(row.account.password as string)),
      mustChangePassword: row.account.password !== null,
      ...fieldsOf(row, schoolOf(row)),
      ...(row.account.active === false ? { deactivation: createdInactive } : {}),
    })),
  )

  await db.transaction().execute(async (trx: Transaction<Database>) => {
    const created = await insertAccounts(trx, newAccounts)
    report.created += created.length
    // A parallel import created the others between our read and our insert: they exist, unchanged by us
    // (but for a contact they lack: writeContacts replaces only the value it expects, here none).
    report.unchanged += newAccounts.length - created.length
    const inactive = new Map(
      inserts.filter((row) => row.account.active === false).map((row) => [row.account.login, row]),
    )
    for (const { id, login } of created) {
      const row = inactive.get(login)
      if (row === undefined) continue
      report.stateChanges.push({ change: 'deactivate', accountId: id, login, school: schoolName(row), created: true })
      await recordAuditEvent(trx, {
        type: 'account_deactivated',
        outcome: 'success',
        accountId: id,
        region: options.region,
        details: { by: createdInactive.by, reason: createdInactive.reason, sessions_ended: 0 },
      })
    }
    for (const { id, changes, fromSchool } of updates) {
      if (Object.keys(changes).length === 0) continue
      await updateAccountFields(trx, id, changes, now)
      // A move to another school of the region: sessions and links stay; the audit says from where to where.
      if (changes.schoolId !== undefined && changes.schoolId !== fromSchool)
        await recordAuditEvent(trx, {
          type: 'account_moved',
          outcome: 'success',
          accountId: id,
          region: options.region,
          details: { by: 'import', from_school: fromSchool, to_school: changes.schoolId },
        })
    }
    await writeContacts(trx, options.region, contactWrites, now)
    report.updated += updates.length
  })
}

export async function importAccounts(db: Kysely<Database>, options: ImportOptions): Promise<ImportReport> {
  const report = emptyReport()
  const today = (options.now?.() ?? new Date()).toISOString().slice(0, 10)
  const loginLines = new Map<string, number>()
  const snilsLines = new Map<string, number>()
  const externalIdLines = new Map<string, number>()
  const listedLogins = new Set<string>()
  const batchSize = options.batchSize ?? 500
  let batch: PreparedRow[] = []

  const flush = async () => {
    if (batch.length === 0) return
    await writeBatch(db, batch, options, report)
    batch = []
    options.onProgress?.(report)
  }

  for await (const record of readRecords(options.file, options.format)) {
    report.rows++
    if ('problems' in record) {
      report.rejected.push(record)
      report.listed.unreadable++
      continue
    }
    const typedLogin = normaliseLogin(record.fields.login ?? '')
    if (typedLogin !== '') listedLogins.add(typedLogin)
    const result = validateAccountRow(record.fields, today)
    if (!result.ok) {
      report.rejected.push({ line: record.line, problems: result.problems })
      continue
    }
    const { account } = result
    const snilsHmac = account.snils === null ? null : hmacSnils(options.snilsPepper, account.snils)
    const problems: string[] = []
    const loginLine = loginLines.get(account.login)
    if (loginLine !== undefined) problems.push(`login: the same login is on line ${loginLine}`)
    const snilsLine = snilsHmac === null ? undefined : snilsLines.get(snilsHmac)
    if (snilsLine !== undefined) problems.push(`snils: the same SNILS is on line ${snilsLine}`)
    const externalIdLine = account.externalId === null ? undefined : externalIdLines.get(account.externalId)
    if (externalIdLine !== undefined) problems.push(`external_id: the same external_id is on line ${externalIdLine}`)
    if (problems.length > 0) {
      report.rejected.push({ line: record.line, problems })
      continue
    }
    loginLines.set(account.login, record.line)
    if (snilsHmac !== null) snilsLines.set(snilsHmac, record.line)
    if (account.externalId !== null) externalIdLines.set(account.externalId, record.line)
    batch.push({ line: record.line, account, snilsHmac })
    if (batch.length >= batchSize) await flush()
  }
  await flush()
  report.rejected.sort((a, b) => a.line - b.line)
  report.listed.logins = [...listedLogins]
  report.listed.schoolIds = [...new Set(report.listed.schoolIds)]
  if (options.dryRun) return report

  await recordAuditEvent(db, {
    type: 'accounts_import',
    outcome: report.rejected.length === 0 ? 'success' : 'partial',
    region: options.region,
    details: {
      rows: report.rows,
      created: report.created,
      updated: report.updated,
      unchanged: report.unchanged,
      rejected: report.rejected.length,
    },
  })
  return report
}
