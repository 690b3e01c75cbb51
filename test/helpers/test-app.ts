/*
 * Builds the real app against this file's test database, with its log lines captured for assertions.
 */
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import type { PasswordHasher } from '../../src/accounts/password-hash.js'
import { buildApp } from '../../src/app.js'
import type { Config } from '../../src/config/load.js'
import type { Database } from '../../src/db/schema.js'
import { createLogger } from '../../src/logger.js'
import type { Senders } from '../../src/notify/senders.js'
import type { RequestRates } from '../../src/ops/request-rate.js'

export interface TestApp {
  app: FastifyInstance
  /** Every log line written so far, parsed. */
  logLines: () => Record<string, unknown>[]
  /** The raw log text written so far. */
  logText: () => string
}

export async function buildTestApp(
  t: { teardown(fn: () => unknown): void },
  config: Config,
  db: Kysely<Database>,
  deps: {
    now?: () => Date
    fetch?: typeof fetch
    hasher?: PasswordHasher
    requestRates?: RequestRates
    senders?: Senders
    backgroundJobs?: boolean
  } = {},
): Promise<TestApp> {
  const chunks: string[] = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString())
      callback()
    },
  })
  const logger = createLogger({ level: 'info', destination })
  const app = await buildApp({ config, deps: { db, logger, ...deps } })
  t.teardown(() => app.close())
  const logText = () => chunks.join('')
  return {
    app,
    logText,
    logLines: () =>
      logText()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  }
}
