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
import { type Config, loadConfig } from './config/load.js'
import { ConfigError, formatProblem } from './config/problems.js'
import type { EnvironmentVariables } from './config/schema.js'
import { openDatabase } from './db/open-database.js'
import { migrateToLatest, pendingMigrations } from './db/migrate.js'
import type { Database } from './db/schema.js'
import { BridgeError } from './errors.js'
import { createLogger } from './logger.js'
import { decryptPrivateKey } from './tokens/key-encryption.js'
import { keyPolicy, listKeys, maintainSigningKeys } from './tokens/signing-keys.js'

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
      `the database lacks ${pending.length} migration(s) (${pending.join(', ')}): run "npm run migrate" first`,
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
        throw new BridgeError('ERR_CONFIG_INVALID', `KEY_ENCRYPTION_KEY does not decrypt signing key ${key.kid}: is it the key the keys were made with?`)
      }
    }
  } catch (error) {
    logger.error({ err: error }, 'signing key maintenance failed')
    throw error
  }
}

/** Re-reads the configuration directory for a running app (SIGHUP). */
export function reloadConfig(app: FastifyInstance, env: EnvironmentVariables, logger: Logger): boolean {
  let changes: ReturnType<FastifyInstance['reloadConfig']>
  try {
    changes = app.reloadConfig(loadConfig({ env }).config)
  } catch (error) {
    if (error instanceof ConfigError) for (const problem of error.problems) logger.error({ problem: formatProblem(problem) }, 'configuration reload refused')
    else logger.error({ err: error }, 'configuration reload refused')
    logger.error('configuration reload refused: the previous configuration stays in force')
    return false
  }
  logger.info({ regions: changes.regions, clients: changes.clients }, 'configuration reloaded')
  if (changes.restartNeeded.length > 0) logger.warn({ ignored: changes.restartNeeded }, 'these settings apply only after a restart')
  return true
}

export interface StartOptions {
  env: EnvironmentVariables
  /** Runs after migrations, before the service listens (the demo seeds its accounts here). */
  beforeListen?: (db: Kysely<Database>, config: Config, logger: Logger, hasher: PasswordHasher) => Promise<void>
}

export async function startService(options: StartOptions): Promise<RunningService> {
  const { config, warnings } = loadConfig({ env: options.env })
  const logger = createLogger({ level: config.logLevel })
  for (const warning of warnings) logger.warn(`!!! ${warning}`)
  const db = await openConfiguredDatabase(config, logger)
  try {
    await prepareDatabase(db, config, logger)
    await maintainKeys(db, config, logger)
    const hasher = createPasswordHasher(config.bridge.passwordHashing)
    await options.beforeListen?.(db, config, logger, hasher)
    const app = await buildApp({ config, deps: { db, logger, hasher } })
    await app.listen({ host: config.server.host, port: config.server.port })
    const keyMaintenance = setInterval(() => void maintainKeys(db, config, logger).catch(() => {}), 3600_000)
    keyMaintenance.unref()
    logger.info(
      { publicUrl: config.publicUrl, database: config.databaseUrl ? 'postgresql' : 'embedded', regions: [...config.regions.keys()] },
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
        await hasher.close()
        await db.destroy()
      },
    }
  } catch (error) {
    await db.destroy()
    throw error
  }
}
