/*
 * Runs the migrations in migrations/ (an explicit ordered list, so the built service and tsx agree).
 * Safe when several instances start at once: Kysely's Postgres adapter takes an advisory lock
 * for the whole run, the second instance waits and then finds nothing left to do.
 */
import { type Kysely, type MigrationResult, Migrator } from 'kysely'
import { migrations } from '../../migrations/index.js'
import { BridgeError, isDatabaseUnavailable } from '../errors.js'
import type { Database } from './schema.js'

function createMigrator(db: Kysely<Database>): Migrator {
  return new Migrator({ db, provider: { getMigrations: () => Promise.resolve(migrations) } })
}

/** Applies every pending migration; throws ERR_MIGRATION_FAILED naming the one that failed. */
export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationResult[]> {
  const { error, results = [] } = await createMigrator(db).migrateToLatest()
  if (error !== undefined) {
    if (isDatabaseUnavailable(error))
      throw new BridgeError('ERR_DATABASE_UNAVAILABLE', 'database unavailable', { cause: error })
    const failed = results.find((result) => result.status === 'Error')?.migrationName
    const message = error instanceof Error ? error.message : JSON.stringify(error)
    throw new BridgeError(
      'ERR_MIGRATION_FAILED',
      failed === undefined ? `could not run migrations: ${message}` : `migration ${failed} failed: ${message}`,
      { cause: error },
    )
  }
  return results
}

/** Names of migrations this code has that the database has not applied yet. */
export async function pendingMigrations(db: Kysely<Database>): Promise<string[]> {
  const applied = await createMigrator(db).getMigrations()
  return applied.filter((migration) => migration.executedAt === undefined).map((migration) => migration.name)
}
