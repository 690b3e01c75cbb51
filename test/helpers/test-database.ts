/*
 * One isolated, migrated database per test file:
 * - with DATABASE_URL: a fresh PostgreSQL database created for the file and dropped at its end
 * - without: an in-memory embedded PostgreSQL (PGlite), so `npm test` needs no server
 */
import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import pg from 'pg'
import { openDatabase } from '../../src/db/open-database.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import type { Database } from '../../src/db/schema.js'

export interface TestDatabase {
  db: Kysely<Database>
  /** The URL of this file's own PostgreSQL database; undefined on the embedded database. */
  url: string | undefined
}

interface Teardown {
  teardown(fn: () => unknown): void
}

export const serverUrl = process.env.DATABASE_URL

/** Creates an empty database on the server and returns its URL; dropped at teardown. */
export async function createServerDatabase(t: Teardown, baseUrl: string): Promise<string> {
  const name = `bridge_test_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: baseUrl })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  t.teardown(async () => {
    const cleanup = new pg.Client({ connectionString: baseUrl })
    await cleanup.connect()
    await cleanup.query(`drop database if exists ${name} with (force)`)
    await cleanup.end()
  })
  const url = new URL(baseUrl)
  url.pathname = `/${name}`
  return url.toString()
}

export async function openTestDatabase(t: Teardown, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const url = serverUrl === undefined ? undefined : await createServerDatabase(t, serverUrl)
  const db = await openDatabase({ databaseUrl: url })
  t.teardown(() => db.destroy())
  if (options.migrate ?? true) await migrateToLatest(db)
  return { db, url }
}
