/* eslint-disable no-console -- a command-line tool talks to its operator on stdout and stderr */
/*
 * Operator commands (`npm run cli -- <command>`):
 *   migrate                                       apply pending database migrations
 *   accounts import FILE --region CODE [--format csv|jsonl]
 *   config check                                  validate the configuration and exit
 *   keys list                                     signing keys and their state
 *   keys rotate                                   stage a new signing key (published now, signing later)
 * Exit codes: 0 done; 1 could not run (bad config, unreadable file, database down);
 * 2 the import finished but rejected some rows (they are listed).
 */
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { basename } from 'node:path'
import { importAccounts, type ImportReport } from './accounts/import/import-accounts.js'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import { detectFormat } from './accounts/import/read-records.js'
import { createPasswordHasher } from './accounts/password-hash.js'
import { type Config, loadConfig } from './config/load.js'
import type { Database } from './db/schema.js'
import { migrateToLatest } from './db/migrate.js'
import { BridgeError } from './errors.js'
import { createLogger } from './logger.js'
import { openConfiguredDatabase, prepareDatabase } from './service.js'
import { keyPolicy, keyState, listKeys, rotateSigningKey } from './tokens/signing-keys.js'
import { reportStartupFailure } from './startup-failure.js'

const usage = `Usage:
  npm run cli -- migrate
  npm run cli -- accounts import FILE --region CODE [--format csv|jsonl]
  npm run cli -- config check
  npm run cli -- keys list
  npm run cli -- keys rotate`

function fail(message: string): never {
  console.error(message)
  process.exit(1)
}

function printReport(file: string, report: ImportReport): void {
  console.log(
    `${basename(file)}: ${report.rows} rows: ${report.created} created, ${report.updated} updated, ` +
      `${report.unchanged} unchanged, ${report.rejected.length} rejected`,
  )
  for (const row of report.rejected) console.log(`  line ${row.line}: ${row.problems.join('; ')}`)
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { region: { type: 'string' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  })
  const command = positionals.slice(0, 2).join(' ')
  if (values.help || positionals.length === 0) {
    console.log(usage)
    return 0
  }
  const { config, warnings } = loadConfig({ env: process.env })
  for (const warning of warnings) console.error(`warning: ${warning}`)

  if (command === 'config check') {
    console.log(`configuration is valid: ${config.regions.size} regions, ${config.clients.size} clients`)
    return 0
  }
  if (positionals[0] === 'migrate') {
    return withDatabase(config, async (db) => {
      const results = await migrateToLatest(db)
      console.log(results.length === 0 ? 'database is up to date' : results.map((r) => `applied ${r.migrationName}`).join('\n'))
      return 0
    })
  }
  if (command === 'accounts import') {
    const file = positionals[2] ?? fail(`missing FILE\n${usage}`)
    const region = values.region ?? fail(`missing --region CODE\n${usage}`)
    if (!config.regions.has(region)) fail(`unknown region "${region}"; configured: ${[...config.regions.keys()].join(', ')}`)
    const format = values.format ?? detectFormat(file)
    if (format !== 'csv' && format !== 'jsonl') fail('cannot tell the format from the file name: add --format csv or --format jsonl')
    return withDatabase(config, async (db, logger) => {
      await prepareDatabase(db, config, logger)
      const started = Date.now()
      // The import is the only work of this process: every core hashes, nothing is refused.
      const hasher = createPasswordHasher({ workers: availableParallelism(), maxQueue: Number.POSITIVE_INFINITY })
      const report = await importAccounts(db, {
        file,
        format,
        region,
        snilsPepper: config.secrets.snilsPepper.reveal(),
        hasher,
        onProgress: (progress) => process.stderr.write(`\r${progress.rows} rows read…`),
      }).finally(() => hasher.close())
      process.stderr.write(`\r${report.rows} rows read in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
      printReport(file, report)
      return report.rejected.length === 0 ? 0 : 2
    })
  }
  if (command === 'keys list' || command === 'keys rotate') {
    return withDatabase(config, async (db, logger) => {
      await prepareDatabase(db, config, logger)
      const now = new Date()
      if (command === 'keys rotate') {
        const kid = await rotateSigningKey(db, config.secrets.keyEncryptionKey.reveal(), keyPolicy(config), now)
        const key = (await listKeys(db)).find((row) => row.kid === kid)
        console.log(`staged ${kid}: published now, signs from ${key?.signs_from.toISOString()}`)
        return 0
      }
      const keys = await listKeys(db)
      if (keys.length === 0) console.log('no signing keys yet: the service creates the first one at start-up')
      for (const key of keys) {
        const retires = key.retires_at === null ? '' : `  retires ${key.retires_at.toISOString()}`
        console.log(`${key.kid}  ${key.alg.padEnd(5)}  ${keyState(key, keys, now).padEnd(9)}  signs from ${key.signs_from.toISOString()}${retires}`)
      }
      return 0
    })
  }
  return fail(`unknown command "${positionals.join(' ')}"\n${usage}`)
}

async function withDatabase(
  config: Config,
  run: (db: Kysely<Database>, logger: Logger) => Promise<number>,
): Promise<number> {
  const logger = createLogger({ level: 'warn' })
  const db = await openConfiguredDatabase(config, logger)
  try {
    return await run(db, logger)
  } finally {
    await db.destroy()
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof BridgeError && error.code === 'ERR_IMPORT_FILE_INVALID') fail(error.message)
    reportStartupFailure(error)
  },
)
