/*
 * Starts the whole service from an environment: config → logger → database → migrations → app → listen.
 * Shared by server.ts and the demo; it reads only the `env` it is given.
 */
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import { createPasswordHasher, type PasswordHasher } from './accounts/password-hash.js'
import { buildApp } from './app.js'
import { countPastHours } from './audit/hourly-counts.js'
import { type Config, loadConfig } from './config/load.js'
import { ConfigError, formatProblem } from './config/problems.js'
import type { EnvironmentVariables } from './config/schema.js'
import { overviewWeek } from './console/region-overview.js'
import { openDatabase } from './db/open-database.js'
import { migrateToLatest, pendingMigrations } from './db/migrate.js'
import type { Database } from './db/schema.js'
import { BridgeError } from './errors.js'
import { createLogger } from './logger.js'
import { closeSenders, createSenders } from './notify/open-senders.js'
import type { Senders } from './notify/senders.js'
import { type MaintenanceResult, retentionPolicy, runMaintenance } from './ops/maintenance.js'
import { createMetrics, type Metrics } from './ops/metrics.js'
import { decryptPrivateKey } from './tokens/key-encryption.js'
import { keyPolicy, listKeys, maintainSigningKeys } from './tokens/signing-keys.js'
import { connectors } from './upstream/connectors.js'
import { gostReport } from './upstream/esia/gost.js'

export interface RunningService {
  app: FastifyInstance
  config: Config
  db: Kysely<Database>
  logger: Logger
  /** Stops accepting connections, lets in-flight requests finish, then closes the database. */
  stop(): Promise<void>
  /** Reads the configuration again; a valid one replaces regions and clients, an invalid one is refused. */
  reload(): boolean
}

/** Opens the configured database (embedded in `<dataDir>/pglite` without DATABASE_URL). */
export function openConfiguredDatabase(config: Config, logger?: Logger): Promise<Kysely<Database>> {
  return openDatabase({
    databaseUrl: config.databaseUrl?.reveal(),
    embeddedDir: join(config.dataDir, 'pglite'),
    poolSize: config.bridge.database.poolSize,
    statementTimeoutMs: config.bridge.database.statementTimeoutMs,
    preparedStatements: config.bridge.database.preparedStatements,
    onPoolError: (error) => logger?.warn({ err: error }, 'idle database connection failed'),
  })
}

export async function prepareDatabase(db: Kysely<Database>, config: Config, logger: Logger): Promise<void> {
  if (config.bridge.database.migrateOnStart) {
    const results = await migrateToLatest(db)
    for (const result of results) logger.info({ migration: result.migrationName }, 'migration applied')
    return
  }
  const pending = await pendingMigrations(db)
  if (pending.length > 0) {
    throw new BridgeError(
      'ERR_MIGRATION_FAILED',
      `the database lacks ${pending.length} migration(s) (${pending.join(', ')}): run "npx diary-bridge migrate" (or "npm run migrate") first`,
    )
  }
}

/** Creates the first signing key, or starts a rotation when one is due (every instance may call it). */
export async function maintainKeys(db: Kysely<Database>, config: Config, logger: Logger): Promise<void> {
  try {
    const kek = config.secrets.keyEncryptionKey.reveal()
    const result = await maintainSigningKeys(db, kek, keyPolicy(config), new Date())
    if (result !== 'unchanged') logger.info({ result }, 'signing keys maintained')
    for (const key of await listKeys(db)) {
      try {
        decryptPrivateKey(kek, key.kid, key.private_jwk_encrypted)
      } catch {
        throw new BridgeError(
          'ERR_CONFIG_INVALID',
          `KEY_ENCRYPTION_KEY does not decrypt signing key ${key.kid}: is it the key the keys were made with?`,
        )
      }
    }
  } catch (error) {
    logger.error({ err: error }, 'signing key maintenance failed')
    throw error
  }
}

/**
 * Deletes the rows that expired, once (ops/maintenance.ts), then counts the audit hours just over; a failure is
 * logged and counted, never thrown.
 */
export async function maintainTables(
  db: Kysely<Database>,
  config: Config,
  logger: Logger,
  metrics?: Metrics,
): Promise<MaintenanceResult | undefined> {
  try {
    const result = await runMaintenance(db, retentionPolicy(config), new Date())
    if (result.kind === 'skipped') {
      logger.debug('maintenance skipped: another instance is running it')
      metrics?.maintenance('skipped')
      return result
    }
    const total = Object.values(result.deleted).reduce((sum, rows) => sum + rows, 0)
    if (total > 0) logger.info({ deleted: result.deleted }, 'expired rows deleted')
    metrics?.maintenance('done', result.deleted)
    await countAuditHours(db, logger)
    return result
  } catch (error) {
    logger.error({ err: error }, 'maintenance failed')
    metrics?.maintenance('failed')
    return undefined
  }
}

/** Counts the audit hours just over for the region overview (audit/hourly-counts.ts), so that its reads need not. */
async function countAuditHours(db: Kysely<Database>, logger: Logger): Promise<void> {
  const now = new Date()
  try {
    await countPastHours(db, overviewWeek(now), now)
  } catch (error) {
    logger.error({ err: error }, 'counting audit hours failed')
  }
}

/** Runs maintainTables now and every `maintenance.intervalSeconds`, never two at once in this process. */
function scheduleMaintenance(
  db: Kysely<Database>,
  config: Config,
  logger: Logger,
  metrics: Metrics,
): { stop(): Promise<void> } {
  if (!config.bridge.maintenance.enabled) return { stop: async () => {} }
  let running: Promise<unknown> | undefined
  const run = () => {
    running ??= maintainTables(db, config, logger, metrics).finally(() => (running = undefined))
  }
  const timer = setInterval(run, config.bridge.maintenance.intervalSeconds * 1000)
  timer.unref()
  run()
  return {
    stop: async () => {
      clearInterval(timer)
      await running
    },
  }
}

/** Re-reads the configuration directory for a running app (SIGHUP). */
export function reloadConfig(app: FastifyInstance, env: EnvironmentVariables, logger: Logger): boolean {
  let changes: ReturnType<FastifyInstance['reloadConfig']>
  try {
    changes = app.reloadConfig(loadConfig({ connectors, env }).config)
  } catch (error) {
    if (error instanceof ConfigError)
      for (const problem of error.problems)
        logger.error({ problem: formatProblem(problem) }, 'configuration reload refused')
    else logger.error({ err: error }, 'configuration reload refused')
    logger.error('configuration reload refused: the previous configuration stays in force')
    return false
  }
  logger.info({ regions: changes.regions, clients: changes.clients }, 'configuration reloaded')
  if (changes.restartNeeded.length > 0)
    logger.warn({ ignored: changes.restartNeeded }, 'these settings apply only after a restart')
  return true
}

/** One line: the GOST implementation ESIA's regions use; loud in production when it fell back to JavaScript. */
function logGostChoice(config: Config, logger: Logger): void {
  const report = gostReport(config)
  if (report === undefined) return
  const fields = { gost: report.implementation, regions: report.regions }
  if (report.fellBack && config.production) logger.warn(fields, `!!! ${report.message}`)
  else logger.info(fields, report.message)
}

export interface StartOptions {
  env: EnvironmentVariables
  /** Runs after migrations, before the service listens (the demo seeds its accounts here). */
  beforeListen?: (db: Kysely<Database>, config: Config, logger: Logger, hasher: PasswordHasher) => Promise<void>
  /** Instead of the senders of the configuration (`mail`, `sms`); they stay the caller's to close (the demo's mailbox). */
  senders?: Senders
}

export async function startService(options: StartOptions): Promise<RunningService> {
  const { config, warnings, developmentSecrets } = loadConfig({ connectors, env: options.env })
  const logger = createLogger({ level: config.logLevel, pretty: config.logFormat === 'pretty' })
  for (const warning of warnings) logger.warn(`!!! ${warning}`)
  if (developmentSecrets !== undefined) {
    const { used, generated, file } = developmentSecrets
    logger.warn(
      `!!! ${used.join(', ')} not set: using development values ${generated.length > 0 ? 'generated now into' : 'from'} ${file}. Never run production like this.`,
    )
  }
  const db = await openConfiguredDatabase(config, logger)
  let senders: Senders | undefined
  const closeOwnSenders = async () => {
    if (senders !== undefined && options.senders === undefined)
      await closeSenders(senders).catch((error: unknown) => logger.warn({ err: error }, 'closing the senders failed'))
  }
  try {
    await prepareDatabase(db, config, logger)
    await maintainKeys(db, config, logger)
    const hasher = createPasswordHasher(config.bridge.passwordHashing)
    await options.beforeListen?.(db, config, logger, hasher)
    const metrics = createMetrics({ hasher })
    senders = options.senders ?? createSenders(config)
    const app = await buildApp({ config, deps: { db, logger, hasher, metrics, senders, backgroundJobs: true } })
    logGostChoice(config, logger)
    await app.listen({ host: config.server.host, port: config.server.port })
    const keyMaintenance = setInterval(() => void maintainKeys(db, config, logger).catch(() => {}), 3600_000)
    keyMaintenance.unref()
    const tableMaintenance = scheduleMaintenance(db, config, logger, metrics)
    logger.info(
      {
        pid: process.pid,
        publicUrl: config.publicUrl,
        database: config.databaseUrl ? 'postgresql' : 'embedded',
        regions: [...config.regions.keys()],
        mail: senders.mail !== undefined,
        sms: senders.sms !== undefined,
      },
      'bridge is ready',
    )
    return {
      app,
      config,
      db,
      logger,
      reload: () => reloadConfig(app, options.env, logger),
      stop: async () => {
        clearInterval(keyMaintenance)
        await app.close()
        await tableMaintenance.stop()
        await hasher.close()
        await closeOwnSenders()
        await db.destroy()
      },
    }
  } catch (error) {
    await closeOwnSenders()
    await db.destroy()
    throw error
  }
}
