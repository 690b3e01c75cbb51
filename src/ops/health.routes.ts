/*
 * GET /healthz: the process is alive (no dependencies checked: a restart would not help them).
 * GET /metrics: Prometheus text format (metrics.ts).
 * GET /readyz: the instance can serve: the database answers within the timeout. (Configuration is
 * loaded before the listener opens, so a running instance always has a valid one.)
 */
import type { FastifyPluginAsync } from 'fastify'
import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/schema.js'
import type { Metrics } from './metrics.js'

export interface HealthRoutesOptions {
  db: Kysely<Database>
  metrics: Metrics
  readinessTimeoutMs?: number
}

async function pingDatabase(db: Kysely<Database>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))
  try {
    return await Promise.race([sql`select 1`.execute(db).then(() => true), timeout])
  } catch {
    return false
  } finally {
    clearTimeout(timer)
  }
}

export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, options) => {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store')
  })

  app.get('/healthz', async () => ({ status: 'ok' }))

  app.get('/metrics', async (_request, reply) => {
    reply.type(options.metrics.registry.contentType)
    return options.metrics.registry.metrics()
  })

  app.get('/readyz', async (_request, reply) => {
    const database = await pingDatabase(options.db, options.readinessTimeoutMs ?? 2000)
    reply.code(database ? 200 : 503)
    return { status: database ? 'ready' : 'unavailable', checks: { database: database ? 'ok' : 'unavailable' } }
  })
}
