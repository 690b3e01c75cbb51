/*
 * Opens the database: PostgreSQL over `pg` when a URL is given, otherwise the embedded PGlite
 * (data in `<dataDir>/pglite`, or in memory when no directory is given).
 * - both return the same types: int8 as number, date as 'YYYY-MM-DD', timestamptz as Date
 * - the embedded data directory is locked to one process: a second one fails with a clear error
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { resolve } from 'node:path'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { BridgeError } from '../errors.js'
import { PGliteDialect } from './pglite-dialect.js'
import { preparingPool } from './prepared.js'
import type { Database } from './schema.js'

export interface DatabaseOptions {
  /** PostgreSQL connection string; absent means the embedded database. */
  databaseUrl?: string
  /** Directory of the embedded database; absent means in memory (tests). */
  embeddedDir?: string
  poolSize?: number
  statementTimeoutMs?: number
  /** Parse and plan each statement once per connection (db/prepared.ts); default on. */
  preparedStatements?: boolean
  /** Called when an idle pooled connection fails (the database restarted, say). */
  onPoolError?: (error: Error) => void
}

const INT8 = 20
const DATE = 1082

const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number) => {
    if (oid === INT8) return (value: string) => Number(value)
    if (oid === DATE) return (value: string) => value
    return pg.types.getTypeParser(oid, 'text') as (value: string) => unknown
  }) as pg.CustomTypesConfig['getTypeParser'],
}

export async function openDatabase(options: DatabaseOptions): Promise<Kysely<Database>> {
  if (options.databaseUrl !== undefined) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5000,
      statement_timeout: options.statementTimeoutMs ?? 5000,
      types: pgTypes,
    })
    pool.on('error', (error) => options.onPoolError?.(error))
    // A connection can die while checked out between two queries (the database restarts); pg then emits
    // 'error' on the client, which Kysely does not listen to, and an unhandled 'error' ends the process.
    // The query in flight fails on its own; this listener only keeps the process alive.
    pool.on('connect', (client) => client.on('error', (error) => options.onPoolError?.(error)))
    return new Kysely<Database>({
      dialect: new PostgresDialect({ pool: options.preparedStatements === false ? pool : preparingPool(pool) }),
    })
  }
  const releaseLock = options.embeddedDir === undefined ? () => {} : lockDataDir(options.embeddedDir)
  try {
    // Loaded only when used: production (with DATABASE_URL) never pays for the embedded database's memory.
    const { PGlite, types: pgliteTypes } = await import('@electric-sql/pglite')
    const pglite = await PGlite.create({
      dataDir: options.embeddedDir,
      parsers: { [pgliteTypes.INT8]: (value: string) => Number(value), [pgliteTypes.DATE]: (value: string) => value },
    })
    return new Kysely<Database>({ dialect: new PGliteDialect({ pglite, onDestroy: releaseLock }) })
  } catch (error) {
    releaseLock()
    throw error
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Takes `<dir>.lock` for this process; a lock left by a dead process is taken over. */
function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true })
  const lockFile = `${resolve(dir)}.lock`
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx', 0o600)
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return () => rmSync(lockFile, { force: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const owner = Number(readFileSync(lockFile, 'utf8'))
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new BridgeError(
          'ERR_DATA_DIR_LOCKED',
          `the embedded database in ${dir} is in use by process ${owner}; stop it, or set DATA_DIR or DATABASE_URL`,
        )
      }
      rmSync(lockFile, { force: true })
    }
  }
  throw new BridgeError('ERR_DATA_DIR_LOCKED', `could not lock the embedded database in ${dir}`)
}
