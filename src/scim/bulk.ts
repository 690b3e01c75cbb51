/*
 * POST /Bulk (RFC 7644 §3.7): up to limits.bulkMaxOperations operations on /Users, run in order, each
 * as the same request alone would run (scim/users.ts).
 * - consecutive creates without a password (a school's new accounts) share one commit, up to
 *   `createsPerCommit`, each in a savepoint of its own (db/transaction.ts): one bad create rolls back only
 *   itself; should the commit fail, every create of it answers the error. Any other operation, and a
 *   create with a password (argon2id takes its time: no transaction waits for it), commits alone.
 * - an operation that fails answers its status and a SCIM error in `response`; the others go on, until
 *   `failOnErrors` errors (then the rest are not run, and not listed: §3.7.3)
 * - `bulkId` of a POST names the new User for the operations after it: a path `/Users/bulkId:<id>`
 * - more operations than allowed → 413; a malformed request (not an object, no Operations list) → 400
 * - `version` of an operation is its If-Match
 */
import type { ScimErrorBody } from './scim-error.js'
import { toScimError } from './scim-error.js'
import { bulkResponseSchema, limits } from './schemas.js'
import { BridgeError } from '../errors.js'
import { createUser, deleteUser, patchUser, replaceUser, type ScimContext, type ScimResult } from './users.js'
import { attributeOf } from './user-resource.js'

interface BulkOperationResult {
  method: string
  bulkId?: string
  version?: string
  location?: string
  status: string
  response?: ScimErrorBody
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const invalid = (detail: string) => new BridgeError('ERR_SCIM_INVALID_SYNTAX', detail)

export async function runBulk(
  context: ScimContext,
  body: unknown,
  onInternalError: (error: unknown) => void,
): Promise<ScimResult> {
  if (!isObject(body)) throw invalid('the body must be a BulkRequest object')
  const operations = attributeOf(body, 'Operations')
  if (!Array.isArray(operations)) throw invalid('Operations: must be a list')
  if (operations.length > limits.bulkMaxOperations) {
    throw new BridgeError('ERR_SCIM_TOO_LARGE', `Operations: at most ${limits.bulkMaxOperations} in one request`)
  }
  const failOnErrorsValue = attributeOf(body, 'failOnErrors')
  if (
    failOnErrorsValue !== undefined &&
    !(Number.isSafeInteger(failOnErrorsValue) && (failOnErrorsValue as number) > 0)
  ) {
    throw new BridgeError('ERR_SCIM_INVALID_VALUE', 'failOnErrors: must be a positive integer')
  }
  const failOnErrors = (failOnErrorsValue as number | undefined) ?? Infinity
  const created = new Map<string, string>()
  const results: BulkOperationResult[] = []
  let errors = 0
  const failed = (result: BulkOperationResult) => Number(result.status) >= 400
  let next = 0
  while (next < operations.length && errors < failOnErrors) {
    const group = sharedCommit(operations, next)
    next += Math.max(group, 1)
    if (group === 0) {
      const result = await runOne({ ...context, withoutBody: true }, operations[next - 1], created, onInternalError)
      results.push(result)
      if (failed(result)) errors++
      continue
    }
    const chunk: BulkOperationResult[] = []
    try {
      await context.deps.db.transaction().execute(async (trx) => {
        const shared = { ...context, withoutBody: true, deps: { ...context.deps, db: trx } }
        for (const operation of operations.slice(next - group, next)) {
          const result = await runOne(shared, operation, created, onInternalError)
          chunk.push(result)
          if (failed(result) && errors + chunk.filter(failed).length >= failOnErrors) break
        }
      })
    } catch (error) {
      // Nothing of this commit was kept: every create of it answers the error, and its bulkIds name nothing.
      const refusal = toScimError(error, context.requestId)
      if (refusal.internal) onInternalError(error)
      for (const result of chunk) {
        if (result.bulkId !== undefined) created.delete(result.bulkId)
        delete result.location
        delete result.version
        result.status = refusal.scim.status
        result.response = refusal.scim
      }
    }
    results.push(...chunk)
    errors += chunk.filter(failed).length
  }
  return { status: 200, body: { schemas: [bulkResponseSchema], Operations: results } }
}

/** Creates that may share one commit. */
const createsPerCommit = 200

/** How many operations from `start` are creates without a password that may share one commit (0: run it alone). */
function sharedCommit(operations: unknown[], start: number): number {
  let count = 0
  while (start + count < operations.length && count < createsPerCommit) {
    const operation = operations[start + count]
    if (!isObject(operation)) break
    const method = attributeOf(operation, 'method')
    const data = attributeOf(operation, 'data')
    if (typeof method !== 'string' || method.toUpperCase() !== 'POST' || !isObject(data)) break
    if (attributeOf(data, 'password') !== undefined) break
    count++
  }
  return count
}

async function runOne(
  context: ScimContext,
  operation: unknown,
  created: Map<string, string>,
  onInternalError: (error: unknown) => void,
): Promise<BulkOperationResult> {
  const methodValue = isObject(operation) ? attributeOf(operation, 'method') : undefined
  const method = typeof methodValue === 'string' ? methodValue.toUpperCase() : ''
  const bulkIdValue = isObject(operation) ? attributeOf(operation, 'bulkId') : undefined
  const bulkId = typeof bulkIdValue === 'string' ? bulkIdValue : undefined
  const echo = { method: method.slice(0, 10), ...(bulkId === undefined ? {} : { bulkId: bulkId.slice(0, 100) }) }
  try {
    if (!isObject(operation)) throw invalid('an operation must be an object')
    const path = attributeOf(operation, 'path')
    const data = attributeOf(operation, 'data')
    const version = attributeOf(operation, 'version')
    const ifMatch = typeof version === 'string' ? version : undefined
    if (typeof path !== 'string') throw invalid('path: is required')
    const result = await dispatch(context, method, path, data, ifMatch, bulkId, created)
    if (method === 'POST' && bulkId !== undefined && result.location !== undefined) {
      created.set(bulkId, result.location.slice(result.location.lastIndexOf('/') + 1))
    }
    return {
      ...echo,
      status: String(result.status),
      ...(result.location === undefined ? {} : { location: result.location }),
      ...(result.etag === undefined ? {} : { version: result.etag }),
    }
  } catch (error) {
    const refusal = toScimError(error, context.requestId)
    if (refusal.internal) onInternalError(error)
    return { ...echo, status: refusal.scim.status, response: refusal.scim }
  }
}

function dispatch(
  context: ScimContext,
  method: string,
  path: string,
  data: unknown,
  ifMatch: string | undefined,
  bulkId: string | undefined,
  created: Map<string, string>,
): Promise<ScimResult> {
  if (method === 'POST') {
    if (path !== '/Users') throw invalid('path: a POST creates at /Users')
    if (bulkId === undefined) throw invalid('bulkId: is required for a POST')
    return createUser(context, data)
  }
  const match = /^\/Users\/([^/]+)$/.exec(path)
  if (match === null) throw invalid('path: must be /Users/{id}')
  const reference = match[1] as string
  const id = reference.startsWith('bulkId:') ? created.get(reference.slice('bulkId:'.length)) : reference
  if (id === undefined) throw new BridgeError('ERR_SCIM_INVALID_VALUE', 'path: names a bulkId no earlier POST created')
  switch (method) {
    case 'PUT':
      return replaceUser(context, id, data, ifMatch)
    case 'PATCH':
      return patchUser(context, id, data, ifMatch)
    case 'DELETE':
      return deleteUser(context, id, ifMatch)
    default:
      throw invalid('method: must be POST, PUT, PATCH or DELETE')
  }
}
