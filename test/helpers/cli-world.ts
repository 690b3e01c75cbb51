/*
 * The support desk's world for CLI tests: the test configuration (regions 29 and 78) with the
 * environment it was loaded from, a migrated database with the demo accounts of region 29, `cli(...)`
 * to run a command against that database, and plain inserts for the rows the tests need.
 */
import { join } from 'node:path'
import type { Kysely } from 'kysely'
import { type Config, loadConfig } from '../../src/config/load.js'
import { connectors } from '../../src/upstream/connectors.js'
import type { Database } from '../../src/db/schema.js'
import { runCli } from '../../src/cli/run-cli.js'
import { importDemoAccounts } from './demo-world.js'
import { validEnv, validFiles, writeConfigDir } from './test-config.js'
import { openTestDatabase } from './test-database.js'

/** ivanova.m's SNILS, in the two ways people write it: neither may ever be printed. */
export const snilsForms = ['11223344595', '112-233-445 95']
export const issuer = 'http://127.0.0.1:4001'

export interface CliRun {
  code: number
  stdout: string[]
  stderr: string[]
  /** stdout and stderr together, for "never printed" checks. */
  all: string
}

interface Teardown {
  teardown(fn: () => unknown): void
}

export async function openCliWorld(t: Teardown) {
  const dir = writeConfigDir(t, validFiles)
  const env = { ...validEnv, BRIDGE_CONFIG_DIR: dir, DATA_DIR: join(dir, 'data') }
  const config: Config = loadConfig({ connectors, env }).config
  const database = await openTestDatabase(t)
  await importDemoAccounts(database, config)
  const db: Kysely<Database> = database.db

  async function cli(argv: string[], options: { now?: Date } = {}): Promise<CliRun> {
    const stdout: string[] = []
    const stderr: string[] = []
    const now = options.now
    const code = await runCli(argv, {
      env,
      stdout: (line) => stdout.push(...line.split('\n')),
      stderr: (line) => stderr.push(...line.split('\n')),
      db,
      ...(now === undefined ? {} : { now: () => now }),
    })
    return { code, stdout, stderr, all: [...stdout, ...stderr].join('\n') }
  }

  async function accountOf(login: string) {
    return db
      .selectFrom('diary_account')
      .selectAll()
      .where('region', '=', '29')
      .where('login', '=', login)
      .executeTakeFirstOrThrow()
  }

  async function addLink(
    login: string,
    link: { subject: string; issuer?: string; method?: 'auto_snils' | 'password'; verified?: boolean },
  ) {
    const account = await accountOf(login)
    const method = link.method ?? 'auto_snils'
    return db
      .insertInto('identity_link')
      .values({
        account_id: account.id,
        issuer: link.issuer ?? issuer,
        subject: link.subject,
        method,
        verified: link.verified ?? method === 'auto_snils',
        evidence: JSON.stringify({ snils: 'match' }),
      })
      .returning(['id', 'issuer', 'subject'])
      .executeTakeFirstOrThrow()
  }

  /** An active session with a diary module's refresh-token family in it. */
  async function addSession(
    login: string,
    session: { method: 'password' | 'state_services'; issuer?: string; browser?: string },
  ) {
    const account = await accountOf(login)
    const row = await db
      .insertInto('login_session')
      .values({
        account_id: account.id,
        method: session.method,
        upstream_issuer: session.method === 'state_services' ? (session.issuer ?? issuer) : null,
        browser: session.browser ?? 'Firefox · Linux',
        expires_at: new Date(Date.now() + 3600_000),
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    const family = await db
      .insertInto('token_family')
      .values({
        client_id: 'web-diary',
        account_id: account.id,
        session_id: row.id,
        scope: 'openid',
        auth_time: new Date(),
        amr: 'pwd',
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    return { sessionId: row.id, familyId: family.id }
  }

  async function sessionRow(id: string) {
    return db
      .selectFrom('login_session')
      .select(['ended_at', 'ended_reason'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
  }

  async function familyRow(id: string) {
    return db
      .selectFrom('token_family')
      .select(['revoked_at', 'revoked_reason'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
  }

  async function auditOf(login: string, type: string) {
    const account = await accountOf(login)
    return db
      .selectFrom('audit_event')
      .selectAll()
      .where('account_id', '=', account.id)
      .where('type', '=', type)
      .orderBy('id')
      .execute()
  }

  return { config, env, db, cli, accountOf, addLink, addSession, sessionRow, familyRow, auditOf }
}

export type CliWorld = Awaited<ReturnType<typeof openCliWorld>>
