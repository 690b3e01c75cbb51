/*
 * SCIM 2.0 at /scim/v2 (RFC 7644), for the diary system of a region:
 *   GET  /ServiceProviderConfig, /ResourceTypes, /Schemas  what the API offers (no token needed)
 *   GET  /Users (filter, startIndex, count, sortBy, sortOrder), POST /Users, POST /Users/.search
 *   GET, PUT, PATCH, DELETE /Users/{id}; POST /Bulk
 * - bodies are application/scim+json (application/json too); answers are application/scim+json
 * - every other call carries a machine client's bearer token (`authenticate`, oauth/machine-token.ts in
 *   the app): scope scim (or scim.read to read, scim.write to write); its regions are the scope of every statement;
 *   its revocation is asked before the handler, but for the three calls a directory client makes most (list,
 *   create, PATCH), whose statements carry it as a condition (users.ts ScimCaller); a refusal there asks it too
 * - request limits per address first, per client once authenticated, as at /token (ops/request-rate.ts)
 * - every refusal is a SCIM error body (scim-error.ts); bad input is never a 5xx
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import { runBulk } from './bulk.js'
import { toScimError } from './scim-error.js'
import { limits, resourceTypes, schemas, serviceProviderConfig } from './schemas.js'
import {
  createUser,
  deleteUser,
  getUser,
  listUsers,
  patchUser,
  replaceUser,
  type ScimCaller,
  type ScimContext,
  type ScimResult,
} from './users.js'

export type ScimScope = 'scim.read' | 'scim.write'

/**
 * The caller of a token in an Authorization header, its revocation still to be asked (`ensureNotRevoked`);
 * throws a BridgeError (401, 403) otherwise.
 */
export type ScimAuthenticator = (authorizationHeader: string | undefined, scope: ScimScope) => Promise<ScimCaller>

export interface ScimRouteOptions {
  context: RouteContext
  authenticate: ScimAuthenticator
}

const mediaType = 'application/scim+json; charset=utf-8'
const documentationUri = 'https://github.com/diary-bridge/diary-bridge/blob/main/docs/provisioning.md'

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated SCIM client (scim/scim.routes.ts). */
    scimCaller: ScimCaller | null
  }
}

const idParams = {
  type: 'object',
  properties: { id: { type: 'string', maxLength: 200 } },
  required: ['id'],
} as const

export const scimRoutes: FastifyPluginAsync<ScimRouteOptions> = async (app, { context, authenticate }) => {
  const baseUrl = () => `${context.config.publicUrl}/scim/v2`
  app.decorateRequest('scimCaller', null)
  app.addContentTypeParser('application/scim+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'))

  app.setErrorHandler(answerScimError)
  app.setNotFoundHandler((request) => {
    throw new BridgeError(
      'ERR_NOT_FOUND',
      `no such endpoint: ${request.method} ${request.routeOptions.url ?? ''}`.trim(),
    )
  })

  // Counted in memory before the token is checked, as at /token: the client is the one the token names.
  app.addHook('preHandler', async (request) => {
    const clientId = claimedClientId(request.headers.authorization)
    const verdict = context.requestRates.admit({ address: request.ip, clientId }, context.now())
    if (!verdict.allowed) {
      context.metrics.rateLimited(request.routeOptions.url ?? 'unmatched', verdict.kind)
      throw new BridgeError('ERR_RATE_LIMITED', 'Too many requests: try again after Retry-After seconds.', {
        retryAfterSeconds: verdict.retryAfterSeconds,
      })
    }
    const scope = request.routeOptions.config.scimScope
    if (scope === undefined) return
    request.scimCaller = await authenticate(request.headers.authorization, scope)
    context.requestRates.countClient(request.scimCaller.clientId, context.now())
    if (request.routeOptions.config.revocationInStatement !== true) await request.scimCaller.ensureNotRevoked()
  })

  function scim(request: FastifyRequest): ScimContext {
    return {
      deps: {
        db: context.db,
        hasher: context.hasher,
        snilsPepper: context.config.secrets.snilsPepper.reveal(),
        now: context.now,
        metrics: context.metrics,
      },
      baseUrl: baseUrl(),
      caller: request.scimCaller as ScimCaller,
      requestId: request.id,
    }
  }

  function send(reply: FastifyReply, result: ScimResult) {
    if (result.etag !== undefined) reply.header('etag', result.etag)
    if (result.location !== undefined && result.status === 201) reply.header('location', result.location)
    reply.code(result.status).header('cache-control', 'no-store')
    if (result.body === undefined) return reply.send()
    return reply.header('content-type', mediaType).send(result.body)
  }

  const read = { config: { scimScope: 'scim.read' as const } }
  const write = { config: { scimScope: 'scim.write' as const } }
  const readAsking = { config: { scimScope: 'scim.read' as const, revocationInStatement: true } }
  const writeAsking = { config: { scimScope: 'scim.write' as const, revocationInStatement: true } }
  // A refusal of a call whose statement carries the revocation is the token's refusal if it was revoked.
  const revokedFirst = async (request: FastifyRequest, work: () => Promise<ScimResult>) => {
    try {
      return await work()
    } catch (error) {
      await request.scimCaller?.ensureNotRevoked()
      throw error
    }
  }
  const json = (body: unknown) => ({ status: 200, body })

  app.get('/ServiceProviderConfig', (_request, reply) =>
    send(reply, json(serviceProviderConfig(baseUrl(), documentationUri))),
  )
  app.get('/ResourceTypes', (_request, reply) => send(reply, json(listOf(resourceTypes(baseUrl())))))
  app.get('/ResourceTypes/:id', (request, reply) => {
    const found = resourceTypes(baseUrl()).find((type) => type.id === (request.params as { id: string }).id)
    if (found === undefined) throw new BridgeError('ERR_NOT_FOUND', 'no such resource type')
    return send(reply, json(found))
  })
  app.get('/Schemas', (_request, reply) => send(reply, json(listOf(schemas(baseUrl())))))
  app.get('/Schemas/:id', (request, reply) => {
    const found = schemas(baseUrl()).find((schema) => schema.id === (request.params as { id: string }).id)
    if (found === undefined) throw new BridgeError('ERR_NOT_FOUND', 'no such schema')
    return send(reply, json(found))
  })

  app.get('/Users', readAsking, async (request, reply) =>
    send(reply, await revokedFirst(request, () => listUsers(scim(request), request.query as Record<string, unknown>))),
  )
  app.post('/Users/.search', read, async (request, reply) => {
    const body = request.body
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new BridgeError('ERR_SCIM_INVALID_SYNTAX', 'the body must be a SearchRequest object')
    }
    return send(reply, await listUsers(scim(request), body))
  })
  app.post('/Users', writeAsking, async (request, reply) =>
    send(reply, await revokedFirst(request, () => createUser(scim(request), request.body))),
  )
  app.get('/Users/:id', { ...read, schema: { params: idParams } }, async (request, reply) =>
    send(reply, await getUser(scim(request), (request.params as { id: string }).id)),
  )
  app.put('/Users/:id', { ...write, schema: { params: idParams } }, async (request, reply) =>
    send(
      reply,
      await replaceUser(scim(request), (request.params as { id: string }).id, request.body, ifMatch(request)),
    ),
  )
  app.patch('/Users/:id', { ...writeAsking, schema: { params: idParams } }, async (request, reply) =>
    send(
      reply,
      await revokedFirst(request, () =>
        patchUser(scim(request), (request.params as { id: string }).id, request.body, ifMatch(request)),
      ),
    ),
  )
  app.delete('/Users/:id', { ...write, schema: { params: idParams } }, async (request, reply) =>
    send(reply, await deleteUser(scim(request), (request.params as { id: string }).id, ifMatch(request))),
  )
  app.post('/Bulk', { ...write, bodyLimit: limits.bulkMaxPayloadSize }, async (request, reply) =>
    send(
      reply,
      await runBulk(scim(request), request.body, (error) => request.log.error({ err: error }, 'bulk operation failed')),
    ),
  )
}

/** The client_id a bearer JWT claims, unverified: only a key for the request limits (verified later). */
function claimedClientId(authorization: string | undefined): string | undefined {
  const payload = /^Bearer [\w-]+\.([\w-]+)\.[\w-]+$/i.exec(authorization?.trim() ?? '')?.[1]
  if (payload === undefined || payload.length > 4096) return undefined
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    const clientId = (claims as { client_id?: unknown } | null)?.client_id
    return typeof clientId === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(clientId) ? clientId : undefined
  } catch {
    return undefined
  }
}

/** A refusal or failure as a SCIM error body (scim-error.ts), logged as every refusal is. */
export function answerScimError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const response = toScimError(error, request.id)
  if (response.internal) request.log.error({ err: error }, 'request failed')
  else request.log.info({ code: (error as { code?: unknown }).code, status: response.status }, 'request refused')
  if (response.retryAfterSeconds !== undefined) reply.header('retry-after', String(response.retryAfterSeconds))
  if (response.wwwAuthenticate !== undefined) reply.header('www-authenticate', response.wwwAuthenticate)
  return reply
    .code(response.status)
    .header('content-type', mediaType)
    .header('cache-control', 'no-store')
    .send(response.scim)
}

function ifMatch(request: FastifyRequest): string | undefined {
  const value = request.headers['if-match']
  return typeof value === 'string' ? value : undefined
}

function listOf(resources: unknown[]) {
  return {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
    totalResults: resources.length,
    startIndex: 1,
    itemsPerPage: resources.length,
    Resources: resources,
  }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a SCIM route's token must grant; none for discovery. */
    scimScope?: ScimScope
    /** The route's statements carry the token's revocation as a condition: not asked before the handler. */
    revocationInStatement?: boolean
  }
}
