/*
 * The operator's commands for running the service: migrations, the configuration check, importing
 * diary accounts, the signing keys and the maintenance job.
 */
import { availableParallelism } from 'node:os'
import { basename } from 'node:path'
import { type ImportReport, noSchool } from '../accounts/import/import-accounts.js'
import { detectFormat } from '../accounts/import/read-records.js'
import { createPasswordHasher } from '../accounts/password-hash.js'
import { migrateToLatest } from '../db/migrate.js'
import {
  importWithLifecycle,
  type LifecycleImportOutcome,
  massDeactivationShare,
} from '../lifecycle/import-lifecycle.js'
import { BridgeError } from '../errors.js'
import { retentionPolicy, runMaintenance } from '../ops/maintenance.js'
import { createRegionRegistry } from '../regions/registry.js'
import { keyPolicy, keyState, listKeys, rotateSigningKey } from '../tokens/signing-keys.js'
import { gostReport } from '../upstream/esia/gost.js'
import { argument, type CliCommand, type CommandContext, plural, requiredValue } from './command.js'

function printReport(context: CommandContext, file: string, report: ImportReport): void {
  context.out(
    `${basename(file)}: ${report.rows} rows: ${report.created} created, ${report.updated} updated, ` +
      `${report.unchanged} unchanged, ${report.rejected.length} rejected`,
  )
  for (const row of report.rejected) context.out(`  line ${row.line}: ${row.problems.join('; ')}`)
}

/** Per school: created, updated, deactivated, reactivated, and the logins deactivated. */
function printSchools(context: CommandContext, outcome: Extract<LifecycleImportOutcome, { kind: 'done' }>): void {
  const names = new Set([...Object.keys(outcome.report.schools), ...outcome.changes.map((change) => change.school)])
  const sorted = [...names].sort((a, b) => (a === noSchool ? 1 : b === noSchool ? -1 : a.localeCompare(b, 'ru')))
  for (const name of sorted) {
    const counts = outcome.report.schools[name] ?? { created: 0, updated: 0 }
    const of = (change: 'deactivate' | 'reactivate') =>
      outcome.changes.filter((request) => request.school === name && request.change === change).map((r) => r.login)
    const deactivated = of('deactivate')
    const reactivated = of('reactivate')
    const label = name === noSchool ? 'no school' : `school "${name}"`
    context.out(
      `${label}: ${counts.created} created, ${counts.updated} updated, ${deactivated.length} deactivated, ${reactivated.length} reactivated`,
    )
    if (deactivated.length > 0) context.out(`  deactivated: ${deactivated.join(', ')}`)
    if (reactivated.length > 0) context.out(`  reactivated: ${reactivated.join(', ')}`)
  }
}

function printRefusal(context: CommandContext, outcome: Extract<LifecycleImportOutcome, { kind: 'refused' }>): void {
  if (outcome.reason === 'unreadable_rows') {
    context.err(
      `--sync school refused, nothing was changed: ${plural(outcome.report.listed.unreadable, 'line')} of the file could not be read, so whose accounts they are is unknown; correct them and run the import again`,
    )
    for (const row of outcome.report.rejected) context.err(`  line ${row.line}: ${row.problems.join('; ')}`)
    return
  }
  const what =
    outcome.reason === 'mass_deactivation'
      ? 'nothing was changed'
      : 'the file was imported, but no account was deactivated (the schools changed since the check)'
  for (const school of outcome.schools) {
    const share = Math.round((school.unlisted.length / school.active) * 100)
    context.err(
      `--sync school refused, ${what}: it would deactivate ${school.unlisted.length} of the ${school.active} active accounts of school "${school.school}" (${share} %), more than ${massDeactivationShare * 100} %`,
    )
  }
  context.err(
    'check that the file is the whole list of these schools; if it is, run the import again with --allow-mass-deactivation',
  )
}

const migrate: CliCommand = {
  name: 'migrate',
  synopsis: '',
  summary: 'Applies pending database migrations.',
  run: (context) =>
    context.withDatabase(
      async (db) => {
        const results = await migrateToLatest(db)
        if (results.length === 0) context.out('database is up to date')
        for (const result of results) context.out(`applied ${result.migrationName}`)
        return 0
      },
      { prepare: false },
    ),
}

const configCheck: CliCommand = {
  name: 'config check',
  synopsis: '',
  summary:
    "Validates the configuration, builds every region's State Services connector (keys decoded, ESIA keys checked against their certificates), says which GOST implementation ESIA gets (a warning when it falls back to JavaScript) and exits.",
  run: async ({ config, out, err }) => {
    createRegionRegistry(config)
    out(`configuration is valid: ${plural(config.regions.size, 'region')}, ${plural(config.clients.size, 'client')}`)
    const gost = gostReport(config)
    if (gost?.fellBack) err(`warning: ${gost.message}`)
    else if (gost) out(gost.message)
    return 0
  },
}

const accountsImport: CliCommand = {
  name: 'accounts import',
  arguments: ['FILE'],
  synopsis:
    'FILE --region CODE [--format csv|jsonl] [--contacts-verified] [--sync school [--allow-mass-deactivation]] [--dry-run]',
  summary:
    'Imports diary accounts from a CSV or JSON Lines file; exit code 2 when some rows were rejected. With --sync school, deactivates the active accounts of each school of the file that the file does not list.',
  options: {
    region: '--region CODE    the region the accounts belong to',
    format: '--format F       csv or jsonl (default: from the file name)',
    'contacts-verified':
      '--contacts-verified  the e-mails and phones in the file are known to reach their owners: stored as verified (without it, unverified until each owner confirms)',
    sync: '--sync school    deactivate the active accounts of each school of the file that the file does not list',
    'allow-mass-deactivation':
      "--allow-mass-deactivation  let --sync school deactivate more than 10 % of a school's active accounts",
    'dry-run': '--dry-run        change nothing: print what would be created, updated, deactivated and reactivated',
  },
  flags: ['contacts-verified', 'allow-mass-deactivation', 'dry-run'],
  required: { region: 'accounts are imported into one region' },
  run: async (context, input) => {
    const file = argument(input, 0)
    const region = requiredValue(input, 'region')
    const format = input.values.format ?? detectFormat(file)
    if (format !== 'csv' && format !== 'jsonl') {
      context.err('cannot tell the format from the file name: add --format csv or --format jsonl')
      return 1
    }
    const sync = input.values.sync
    if (sync !== undefined && sync !== 'school') {
      context.err(`--sync takes "school" (the only kind of sync), not "${sync}"`)
      return 1
    }
    if (input.flags.has('allow-mass-deactivation') && sync === undefined) {
      context.err('--allow-mass-deactivation goes with --sync school')
      return 1
    }
    const dryRun = input.flags.has('dry-run')
    return context.withDatabase(async (db) => {
      const started = Date.now()
      // The import is the only work of this process: every core hashes, nothing is refused.
      const hasher = createPasswordHasher({ workers: availableParallelism(), maxQueue: Number.POSITIVE_INFINITY })
      let outcome: LifecycleImportOutcome
      try {
        outcome = await importWithLifecycle(db, {
          file,
          format,
          region,
          snilsPepper: context.config.secrets.snilsPepper.reveal(),
          hasher,
          contactsVerified: input.flags.has('contacts-verified'),
          now: context.now,
          onProgress: (progress) => context.progress(`\r${progress.rows} rows read…`),
          ...(sync === undefined ? {} : { sync }),
          allowMassDeactivation: input.flags.has('allow-mass-deactivation'),
          dryRun,
        })
      } catch (error) {
        if (!(error instanceof BridgeError && error.code === 'ERR_IMPORT_FILE_INVALID')) throw error
        context.err(error.message)
        return 1
      } finally {
        await hasher.close()
      }
      context.progress('\r')
      if (outcome.kind === 'refused') {
        printRefusal(context, outcome)
        return 1
      }
      const { report } = outcome
      context.err(`${report.rows} rows read in ${((Date.now() - started) / 1000).toFixed(1)} s`)
      if (dryRun) context.out('dry run: nothing was changed; the import would do this:')
      printReport(context, file, report)
      printSchools(context, outcome)
      return report.rejected.length === 0 ? 0 : 2
    })
  },
}

const keysList: CliCommand = {
  name: 'keys list',
  synopsis: '',
  summary: 'Lists the signing keys and their state.',
  run: (context) =>
    context.withDatabase(async (db) => {
      const keys = await listKeys(db)
      const now = context.now()
      if (keys.length === 0) context.out('no signing keys yet: the service creates the first one at start-up')
      for (const key of keys) {
        const retires = key.retires_at === null ? '' : `  retires ${key.retires_at.toISOString()}`
        context.out(
          `${key.kid}  ${key.alg.padEnd(5)}  ${keyState(key, keys, now).padEnd(9)}  signs from ${key.signs_from.toISOString()}${retires}`,
        )
      }
      return 0
    }),
}

const keysRotate: CliCommand = {
  name: 'keys rotate',
  synopsis: '',
  summary: 'Stages a new signing key: published now, signing later.',
  run: (context) =>
    context.withDatabase(async (db) => {
      const { config } = context
      const kid = await rotateSigningKey(db, config.secrets.keyEncryptionKey.reveal(), keyPolicy(config), context.now())
      const key = (await listKeys(db)).find((row) => row.kid === kid)
      context.out(`staged ${kid}: published now, signs from ${key?.signs_from.toISOString()}`)
      return 0
    }),
}

const maintenanceRun: CliCommand = {
  name: 'maintenance run',
  synopsis: '',
  summary:
    'Deletes expired rows once (what every instance does every maintenance.intervalSeconds) and prints the rows deleted per table.',
  run: (context) =>
    context.withDatabase(async (db) => {
      const result = await runMaintenance(db, retentionPolicy(context.config), context.now())
      if (result.kind === 'skipped') {
        context.err('another instance is running the maintenance job right now: nothing done')
        return 1
      }
      const width = Math.max(...Object.keys(result.deleted).map((table) => table.length))
      for (const [table, rows] of Object.entries(result.deleted)) context.out(`${table.padEnd(width)}  ${rows}`)
      return 0
    }),
}

export const operatorCommands: readonly CliCommand[] = [
  migrate,
  configCheck,
  accountsImport,
  keysList,
  keysRotate,
  maintenanceRun,
]
