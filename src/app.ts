/*
 * buildApp: the whole HTTP service, apart from the listener (server.ts) so that tests can
 * `inject` into it. Plugins first, then routes; dependencies arrive as options, never as globals.
 */
import type { IncomingMessage } from 'node:http'
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import type { Config } from './config/load.js'
import type { Database } from './db/schema.js'
import { BridgeError, toErrorResponse } from './errors.js'
import { healthRoutes } from './ops/health.routes.js'

export interface AppDeps {
  db: Kysely<Database>
  logger: FastifyBaseLogger
}

export interface BuildAppOptions {
  config: Config
  deps: AppDeps
}

const acceptableRequestId = /^[A-Za-z0-9._:-]{8,128}$/

/** Keeps a well-formed X-Request-Id from the proxy in front (to correlate logs), otherwise a new UUID. */
function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id']
  return typeof incoming === 'string' && acceptableRequestId.test(incoming) ? incoming : randomUUID()
}

export async function buildApp({ config, deps }: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    genReqId: requestIdFor,
    requestIdHeader: false,
    trustProxy: config.bridge.trustProxy,
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
  })

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })

  app.setErrorHandler((error, request, reply) => {
    const response = toErrorResponse(error, request.id)
    if (response.internal) request.log.error({ err: error }, 'request failed')
    return reply.code(response.status).header('cache-control', 'no-store').send(response.body)
  })

  app.setNotFoundHandler(async () => {
    throw new BridgeError('ERR_NOT_FOUND', 'No such page.')
  })

  await app.register(healthRoutes, { db: deps.db })
  return app
}
