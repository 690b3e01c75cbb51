/*
 * An import that also decides who may sign in: the file's `active` column, and `--sync school`.
 * - the import itself is accounts/import/import-accounts.ts; the state changes it asks for, and those
 *   of the sync, are made here through account-state.ts (sessions end, audited, by `import`)
 * - `sync: 'school'`: for each school of the file's good rows, its active accounts of the region whose
 *   login the file does not list (rejected rows list theirs too) are deactivated, reason
 *   "not in the import of <date>"
 * - before anything is written, the whole file is read once as a dry run: the sync refuses (nothing
 *   changes) when it would deactivate more than 10 % of a school's active accounts without
 *   `allowMassDeactivation`, or when some lines could not be read at all (their logins are unknown)
 * - `dryRun` writes nothing and answers what would change
 * - a deactivated account that the file lists as active is reactivated, whoever deactivated it
 */
import type { Kysely } from 'kysely'
import { countActiveAccountsOfSchool, findActiveAccountsOfSchoolNotIn } from '../accounts/account.repository.js'
import {
  importAccounts,
  type ImportOptions,
  type ImportReport,
  type StateRequest,
} from '../accounts/import/import-accounts.js'
import { findSchoolById } from '../accounts/school.repository.js'
import type { Database } from '../db/schema.js'
import { deactivateAccount, reactivateAccount, type StateMetrics } from './account-state.js'

/** At most this share of a school's active accounts is deactivated by one sync without the flag. */
export const massDeactivationShare = 0.1

export interface LifecycleImportOptions extends ImportOptions {
  sync?: 'school'
  allowMassDeactivation?: boolean
  metrics?: StateMetrics
}

export interface SchoolSync {
  schoolId: string
  school: string
  active: number
  /** The active accounts the file does not list, by login. */
  unlisted: { id: string; login: string }[]
}

export type LifecycleImportOutcome =
  | {
      kind: 'refused'
      /** `mass_deactivation_after_import`: the file was imported, but by then the sync was past the limit. */
      reason: 'mass_deactivation' | 'unreadable_rows' | 'mass_deactivation_after_import'
      /** The schools past the limit (mass_deactivation). */
      schools: SchoolSync[]
      report: ImportReport
    }
  | {
      kind: 'done'
      dryRun: boolean
      report: ImportReport
      /** The state changes made (or, in a dry run, that would be made): the file's and the sync's. */
      changes: StateRequest[]
      /** What the sync found per school (empty without `sync`). */
      synced: SchoolSync[]
    }

/** Whether deactivating `count` of `active` accounts is past the limit. */
export function isMassDeactivation(count: number, active: number): boolean {
  return count > active * massDeactivationShare
}

async function findUnlisted(db: Kysely<Database>, region: string, report: ImportReport): Promise<SchoolSync[]> {
  const synced: SchoolSync[] = []
  for (const schoolId of report.listed.schoolIds) {
    const school = await findSchoolById(db, region, schoolId)
    const unlisted = await findActiveAccountsOfSchoolNotIn(db, region, schoolId, report.listed.logins)
    const active = await countActiveAccountsOfSchool(db, region, schoolId)
    synced.push({ schoolId, school: school?.name ?? schoolId, active, unlisted })
  }
  return synced.sort((a, b) => a.school.localeCompare(b.school, 'ru'))
}

const syncRequests = (synced: SchoolSync[]): StateRequest[] =>
  synced.flatMap((school) =>
    school.unlisted.map((account) => ({
      change: 'deactivate' as const,
      accountId: account.id,
      login: account.login,
      school: school.school,
    })),
  )

export async function importWithLifecycle(
  db: Kysely<Database>,
  options: LifecycleImportOptions,
): Promise<LifecycleImportOutcome> {
  const now = options.now?.() ?? new Date()
  const date = now.toISOString().slice(0, 10)
  const plan = await importAccounts(db, { ...options, dryRun: true })
  let synced: SchoolSync[] = []
  if (options.sync === 'school') {
    if (plan.listed.unreadable > 0) return { kind: 'refused', reason: 'unreadable_rows', schools: [], report: plan }
    synced = await findUnlisted(db, options.region, plan)
    const past = synced.filter((school) => isMassDeactivation(school.unlisted.length, school.active))
    if (past.length > 0 && !options.allowMassDeactivation)
      return { kind: 'refused', reason: 'mass_deactivation', schools: past, report: plan }
  }
  if (options.dryRun) {
    return {
      kind: 'done',
      dryRun: true,
      report: plan,
      changes: [...plan.stateChanges, ...syncRequests(synced)],
      synced,
    }
  }

  const report = await importAccounts(db, { ...options, dryRun: false })
  // The import may have moved accounts between schools, and other writers may have changed the schools
  // since the plan: who is unlisted now is asked again, and the limit checked again on that.
  if (options.sync === 'school') {
    synced = await findUnlisted(db, options.region, report)
    const past = synced.filter((school) => isMassDeactivation(school.unlisted.length, school.active))
    if (past.length > 0 && !options.allowMassDeactivation)
      return { kind: 'refused', reason: 'mass_deactivation_after_import', schools: past, report }
  }
  const changes: StateRequest[] = []
  const apply = async (request: StateRequest, reason: string) => {
    if (request.accountId === null) return
    // Created deactivated by the import itself (audited there): nothing left to do.
    if (request.created === true) {
      changes.push(request)
      options.metrics?.accountState(options.region, 'deactivated', 'import')
      return
    }
    const change = {
      region: options.region,
      accountId: request.accountId,
      by: { kind: 'import' as const },
      reason,
      now,
    }
    const outcome =
      request.change === 'deactivate'
        ? await deactivateAccount(db, change, options.metrics)
        : await reactivateAccount(db, change, options.metrics)
    if (outcome.kind === 'changed') changes.push(request)
  }
  for (const request of report.stateChanges)
    await apply(request, `${request.change === 'deactivate' ? 'inactive' : 'active'} in the import of ${date}`)
  for (const request of syncRequests(synced)) await apply(request, `not in the import of ${date}`)
  return { kind: 'done', dryRun: false, report, changes, synced }
}
