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
 */
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/schema.js'
import {
  type Account,
  type AccountFields,
  findAccountsByLogins,
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
import { resolveSchool } from '../school.repository.js'
import { type FileFormat, readRecords } from './read-records.js'
import { type ImportedAccount, validateAccountRow } from './validate-row.js'

export interface RowProblem {
  line: number
  problems: string[]
}

export interface ImportReport {
  rows: number
  created: number
  updated: number
  unchanged: number
  rejected: RowProblem[]
}

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
  /** Called after every batch with the report so far. */
  onProgress?: (report: ImportReport) => void
  now?: () => Date
}

interface PreparedRow {
  line: number
  account: ImportedAccount
  snilsHmac: string | null
}

function fieldsOf(row: PreparedRow, schoolId: string | null): AccountFields {
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
  }
}

function changedFields(existing: Account, fields: AccountFields): Partial<AccountFields> {
  return Object.fromEntries(
    Object.entries(fields).filter(([key, value]) => existing[key as keyof AccountFields] !== value),
  )
}

async function writeBatch(
  db: Kysely<Database>,
  batch: PreparedRow[],
  options: ImportOptions,
  report: ImportReport,
): Promise<void> {
  const now = options.now?.() ?? new Date()
  const contactOptions = { verified: options.contactsVerified ?? false, now }
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
  const schools = new Map<string, string | null>()
  for (const name of new Set(batch.flatMap((row) => (row.account.school === null ? [] : [row.account.school])))) {
    const resolved = await resolveSchool(db, options.region, { name }, now)
    schools.set(name, resolved.ok ? resolved.school.id : null)
  }
  const schoolOf = (row: PreparedRow) =>
    row.account.school === null ? null : (schools.get(row.account.school) ?? null)

  const inserts: PreparedRow[] = []
  const updates: { id: string; changes: Partial<AccountFields> }[] = []
  const contactWrites: { login: string; contacts: ContactChanges }[] = []
  for (const row of batch) {
    if (row.account.school !== null && schoolOf(row) === null) {
      report.rejected.push({
        line: row.line,
        problems: ["school: several schools of the region have this name (give the diary's id of the school)"],
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
    const changes = changedFields(current, fieldsOf(row, schoolOf(row)))
    if (Object.keys(changes).length === 0 && contacts === undefined) report.unchanged++
    else updates.push({ id: current.id, changes })
  }

  const newAccounts: NewAccount[] = await Promise.all(
    inserts.map(async (row) => ({
      region: options.region,
      login: row.account.login,
      passwordHash: row.account.passwordHash ?? (await options.hasher.hash(row.account.password as string)),
      mustChangePassword: row.account.password !== null,
      ...fieldsOf(row, schoolOf(row)),
    })),
  )

  await db.transaction().execute(async (trx: Transaction<Database>) => {
    const created = await insertAccounts(trx, newAccounts)
    report.created += created
    // A parallel import created the others between our read and our insert: they exist, unchanged by us
    // (but for a contact they lack: writeContacts replaces only the value it expects, here none).
    report.unchanged += newAccounts.length - created
    for (const { id, changes } of updates)
      if (Object.keys(changes).length > 0) await updateAccountFields(trx, id, changes, now)
    await writeContacts(trx, options.region, contactWrites, now)
    report.updated += updates.length
  })
}

export async function importAccounts(db: Kysely<Database>, options: ImportOptions): Promise<ImportReport> {
  const report: ImportReport = { rows: 0, created: 0, updated: 0, unchanged: 0, rejected: [] }
  const today = (options.now?.() ?? new Date()).toISOString().slice(0, 10)
  const loginLines = new Map<string, number>()
  const snilsLines = new Map<string, number>()
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
      continue
    }
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
    if (problems.length > 0) {
      report.rejected.push({ line: record.line, problems })
      continue
    }
    loginLines.set(account.login, record.line)
    if (snilsHmac !== null) snilsLines.set(snilsHmac, record.line)
    batch.push({ line: record.line, account, snilsHmac })
    if (batch.length >= batchSize) await flush()
  }
  await flush()
  report.rejected.sort((a, b) => a.line - b.line)

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
