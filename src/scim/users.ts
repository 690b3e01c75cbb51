/*
 * The operations on /Users (RFC 7644 §3), apart from HTTP so that Bulk runs the same ones.
 * - every read and write is scoped to the caller's regions in its statement: an account of another
 *   region, like an erased one or an unknown id, is 404
 * - a new account's region: the extension's `region` if the caller has it (else 403), or the caller's
 *   only region; a caller of several regions must name one
 * - PUT and PATCH replace the account whole (lifecycle/provision.ts); PATCH applies its operations with
 *   scim-patch to the stored resource first; changing id, meta or region is a mutability error
 * - If-Match: a version that is not the row's → 412; without it, a PATCH still applies to the version it
 *   read (tried again if another writer came between)
 * - DELETE erases (lifecycle/account-state.ts eraseAccount)
 * - the extension's consoleRoles (scim/console-roles.ts) are written in one transaction with the account:
 *   a create sets those it names; a PUT makes them exactly those it names, and one without the
 *   attribute leaves them as they are (RFC 7644 §3.5.1 lets an omitted attribute count as not asserted:
 *   a directory that knows nothing of console roles must not take away those IT granted); a PATCH
 *   works on the resource as read, so removing the attribute takes them all away
 */
import type { RawBuilder } from 'kysely'
import { patchBodyValidation, type ScimPatchOperation, ScimError, scimPatch } from 'scim-patch'
import { type Account, findAccountInRegions, listAccountsInRegions } from '../accounts/account.repository.js'
import { BridgeError, type BridgeErrorCode } from '../errors.js'
import { deactivateAccount, eraseAccount, reactivateAccount, setActiveAtOnce } from '../lifecycle/account-state.js'
import { holdsOperatorRole } from '../console/operator.repository.js'
import { inTransaction } from '../db/transaction.js'
import { createAccount, type ProvisionDeps, type ProvisionOutcome, replaceAccount } from '../lifecycle/provision.js'
import { checkConsoleRoles, rolesOfAccounts, setConsoleRoles } from './console-roles.js'
import { filterCondition } from './filter.js'
import { coreUserSchema, diaryUserSchema, limits, listResponseSchema, patchOpSchema } from './schemas.js'
import {
  attributeOf,
  type ConsoleRoleAsk,
  etagOf,
  parseScimUser,
  type ScimUser,
  toScimUser,
  versionOf,
} from './user-resource.js'

/**
 * Who calls: a machine client and the regions its token may see. Whether the token was revoked is either
 * asked already or still to be asked: a statement that carries `revoked` as a condition reads and writes
 * nothing for a revoked token; every other path asks `ensureNotRevoked` before it reads or writes.
 */
export interface ScimCaller {
  clientId: string
  regions: readonly string[]
  revoked: RawBuilder<boolean>
  ensureNotRevoked: () => Promise<void>
}

export interface ScimContext {
  deps: ProvisionDeps
  /** <issuer>/scim/v2 */
  baseUrl: string
  caller: ScimCaller
  requestId: string
  /** Bulk answers status, location and version only: the resource is not read back. */
  withoutBody?: boolean
}

/** What an operation answers, for HTTP and for a Bulk response alike. */
export interface ScimResult {
  status: number
  body?: unknown
  etag?: string
  location?: string
}

export interface ListQuery {
  filter?: unknown
  startIndex?: unknown
  count?: unknown
  sortBy?: unknown
  sortOrder?: unknown
}

const fail = (code: BridgeErrorCode, detail: string) => new BridgeError(code, detail)
const notFound = () => fail('ERR_NOT_FOUND', 'no such User')

/** The Users of accounts as read (contacts and the school come with the row; the console roles in one statement). */
async function present(context: ScimContext, accounts: readonly Account[]): Promise<ScimUser[]> {
  const roles = await rolesOfAccounts(
    context.deps.db,
    accounts.map((account) => account.id),
  )
  return accounts.map((account) => toScimUser(account, context.baseUrl, roles.get(account.id)))
}

async function answer(context: ScimContext, account: Account, status: number): Promise<ScimResult> {
  const location = `${context.baseUrl}/Users/${account.id}`
  if (context.withoutBody === true) return { status, etag: etagOf(account), location }
  const [user] = await present(context, [account])
  return { status, body: user, etag: etagOf(account), location }
}

async function current(context: ScimContext, id: string): Promise<Account> {
  await context.caller.ensureNotRevoked()
  const account = await findAccountInRegions(context.deps.db, context.caller.regions, id)
  if (account === undefined) throw notFound()
  return account
}

export async function getUser(context: ScimContext, id: string): Promise<ScimResult> {
  return answer(context, await current(context, id), 200)
}

function integer(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN
  if (!Number.isSafeInteger(number)) throw fail('ERR_SCIM_INVALID_VALUE', `${name}: must be an integer`)
  return number
}

export async function listUsers(context: ScimContext, query: ListQuery): Promise<ScimResult> {
  if (query.filter !== undefined && typeof query.filter !== 'string') {
    throw fail('ERR_SCIM_INVALID_FILTER', 'filter: must be a string')
  }
  const startIndex = Math.max(1, integer(query.startIndex, 'startIndex') ?? 1)
  const count = Math.min(limits.maxResults, Math.max(0, integer(query.count, 'count') ?? limits.maxResults))
  if (
    query.sortBy !== undefined &&
    (typeof query.sortBy !== 'string' ||
      !/^(urn:ietf:params:scim:schemas:core:2\.0:User:)?userName$/i.test(query.sortBy))
  ) {
    throw fail('ERR_SCIM_INVALID_VALUE', 'sortBy: only userName sorts')
  }
  const order =
    query.sortOrder === undefined
      ? 'ascending'
      : typeof query.sortOrder === 'string'
        ? query.sortOrder.toLowerCase()
        : ''
  if (order !== 'ascending' && order !== 'descending') {
    throw fail('ERR_SCIM_INVALID_VALUE', 'sortOrder: must be ascending or descending')
  }
  const page = await listAccountsInRegions(context.deps.db, context.caller.regions, {
    where: query.filter === undefined || query.filter === '' ? undefined : filterCondition(query.filter),
    descending: order === 'descending',
    offset: startIndex - 1,
    limit: count,
    unless: context.caller.revoked,
  })
  // Nothing listed: perhaps because the token was revoked (the list's condition), which is then a 401.
  if (page.accounts.length === 0) await context.caller.ensureNotRevoked()
  const resources = await present(context, page.accounts)
  return {
    status: 200,
    body: {
      schemas: [listResponseSchema],
      totalResults: page.total,
      startIndex,
      itemsPerPage: resources.length,
      Resources: resources,
    },
  }
}

function today(context: ScimContext): string {
  return context.deps.now().toISOString().slice(0, 10)
}

function received(context: ScimContext, body: unknown) {
  const parsed = parseScimUser(body, today(context))
  if (!parsed.ok) {
    throw fail(
      parsed.scimType === 'invalidSyntax' ? 'ERR_SCIM_INVALID_SYNTAX' : 'ERR_SCIM_INVALID_VALUE',
      parsed.detail,
    )
  }
  return parsed.user
}

function who(context: ScimContext) {
  return { by: { kind: 'scim' as const, clientId: context.caller.clientId }, requestId: context.requestId }
}

/** The account's write and then its console roles, in one transaction (a refused role undoes the write). */
async function writeWithRoles(
  context: ScimContext,
  roles: readonly ConsoleRoleAsk[],
  write: (deps: ProvisionDeps) => Promise<ProvisionOutcome>,
): Promise<ProvisionOutcome> {
  // Asked before: inside, the transaction may hold the pool's only connection.
  await context.caller.ensureNotRevoked()
  return inTransaction(context.deps.db, async (trx) => {
    const outcome = await write({ ...context.deps, db: trx })
    if (outcome.kind === 'done') {
      await setConsoleRoles(trx, outcome.account, roles, `scim:${context.caller.clientId}`)
    }
    return outcome
  })
}

async function settle(context: ScimContext, outcome: ProvisionOutcome): Promise<ScimResult> {
  switch (outcome.kind) {
    case 'done':
      return answer(context, outcome.account, outcome.created ? 201 : 200)
    case 'not_found':
      throw notFound()
    case 'version_mismatch':
      throw fail('ERR_SCIM_VERSION_MISMATCH', 'the User changed: its version is not the one of If-Match')
    case 'taken': {
      const attribute = { login: 'userName', externalId: 'externalId', snils: 'snils' }[outcome.field]
      throw fail('ERR_SCIM_UNIQUENESS', `${attribute}: another User of the region has this value`)
    }
    case 'ambiguous_school':
      throw fail('ERR_SCIM_INVALID_VALUE', 'school: several schools of the region have this name (give schoolId)')
  }
}

export async function createUser(context: ScimContext, body: unknown): Promise<ScimResult> {
  const user = received(context, body)
  const { regions } = context.caller
  let region: string
  if (user.region !== undefined) {
    if (!regions.includes(user.region))
      throw fail('ERR_SCIM_REGION_FORBIDDEN', "region: not one of the client's regions")
    region = user.region
  } else if (regions.length === 1) region = regions[0] as string
  else throw fail('ERR_SCIM_INVALID_VALUE', `region: required (${diaryUserSchema}) for a client of several regions`)
  const role = user.account.role
  if (role === undefined) throw fail('ERR_SCIM_INVALID_VALUE', 'role: is required')
  const roles = user.consoleRoles ?? []
  checkConsoleRoles(roles, role)
  const { revoked, ensureNotRevoked } = context.caller
  if (roles.length === 0) {
    const guard = { unless: revoked, ensure: ensureNotRevoked }
    return settle(context, await createAccount(context.deps, region, { ...user.account, role }, who(context), guard))
  }
  const guard = { unless: revoked, ensure: async () => {} }
  const create = (deps: ProvisionDeps) => createAccount(deps, region, { ...user.account, role }, who(context), guard)
  return settle(context, await writeWithRoles(context, roles, create))
}

/** The version of If-Match, or 412 for one we never made. */
function expected(ifMatch: string | undefined): string | undefined {
  const version = versionOf(ifMatch)
  if (version === false) throw fail('ERR_SCIM_VERSION_MISMATCH', 'If-Match names no version of this User')
  return version
}

async function replaceWith(
  context: ScimContext,
  existing: Account,
  body: unknown,
  version: string,
  /** What a body without consoleRoles means: a PUT's leaves them (`keep`), a patched resource has none. */
  absentRoles: 'keep' | 'none',
): Promise<ProvisionOutcome> {
  const user = received(context, body)
  if (user.id !== undefined && user.id !== existing.id) throw fail('ERR_SCIM_MUTABILITY', 'id: is read-only')
  if (user.region !== undefined && user.region !== existing.region) {
    throw fail('ERR_SCIM_MUTABILITY', 'region: is read-only (a move to another region is a new account there)')
  }
  const account = { ...user.account, role: user.account.role ?? existing.role }
  const replace = (deps: ProvisionDeps) =>
    replaceAccount(deps, existing.region, existing.id, account, who(context), version)
  if (user.consoleRoles === undefined && absentRoles === 'keep') return replace(context.deps)
  const roles = user.consoleRoles ?? []
  checkConsoleRoles(roles, account.role)
  if (roles.length === 0 && !(await holdsOperatorRole(context.deps.db, existing.id))) return replace(context.deps)
  return writeWithRoles(context, roles, replace)
}

export async function replaceUser(
  context: ScimContext,
  id: string,
  body: unknown,
  ifMatch?: string,
): Promise<ScimResult> {
  const existing = await current(context, id)
  const version = expected(ifMatch) ?? existing.version
  return settle(context, await replaceWith(context, existing, body, version, 'keep'))
}

const patchCodes: Record<string, BridgeErrorCode> = {
  invalidPath: 'ERR_SCIM_INVALID_PATH',
  noTarget: 'ERR_SCIM_NO_TARGET',
  invalidValue: 'ERR_SCIM_INVALID_VALUE',
  invalidSyntax: 'ERR_SCIM_INVALID_SYNTAX',
  mutability: 'ERR_SCIM_MUTABILITY',
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * An add or replace without a path whose value holds a complex attribute (name, the extension) sets its
 * sub-attributes and leaves the others (RFC 7644 §3.5.2.1, §3.5.2.3); scim-patch would replace the
 * attribute whole, so such values are spelled out as one path per sub-attribute first.
 */
function spellOut(operation: unknown): unknown {
  if (!isPlainObject(operation) || attributeOf(operation, 'path') !== undefined) return operation
  const value = attributeOf(operation, 'value')
  if (!isPlainObject(value)) return operation
  const spelled = Object.entries(value).flatMap(([key, inner]): [string, unknown][] =>
    isPlainObject(inner)
      ? Object.entries(inner).map(([sub, subValue]) => [`${key}${key.startsWith('urn:') ? ':' : '.'}${sub}`, subValue])
      : [[key, inner]],
  )
  return { ...operation, value: Object.fromEntries(spelled) }
}

/*
 * What a PATCH may name: scim-patch walks a path through plain objects and writes where it ends, so a
 * path or key such as `__proto__`, `constructor.prototype` or `toString.x` would reach the prototypes of
 * the whole process. Every path (and every key of a value without a path, spelled out) must name an
 * attribute of the User, and no key anywhere in a value may be one that reaches a prototype.
 */
const coreAttributes: Readonly<Record<string, readonly string[]>> = {
  id: [],
  externalid: [],
  username: [],
  name: ['familyname', 'givenname', 'middlename', 'formatted'],
  active: [],
  emails: ['value', 'type', 'primary', 'display'],
  phonenumbers: ['value', 'type', 'primary', 'display'],
  password: [],
  meta: ['resourcetype', 'created', 'lastmodified', 'location', 'version'],
  schemas: [],
}
/** Core attributes the bridge keeps nothing of: a PATCH may name them (RFC 7643 §4.1), they are ignored. */
const ignoredAttributes = new Set([
  'nickname',
  'displayname',
  'profileurl',
  'title',
  'usertype',
  'preferredlanguage',
  'locale',
  'timezone',
  'ims',
  'photos',
  'addresses',
  'groups',
  'entitlements',
  'roles',
  'x509certificates',
])
const extensionAttributes = [
  'region',
  'school',
  'schoolid',
  'class',
  'role',
  'birthdate',
  'snils',
  'snilslast4',
  'consoleroles',
]
const prototypeKeys = new Set(['__proto__', 'constructor', 'prototype'])

/** Whether `path` names an attribute of the User (a value filter in brackets aside). */
export function isUserAttributePath(path: string): boolean {
  const plain = path.replace(/\[[^\]]*\]/g, '').toLowerCase()
  const extension = `${diaryUserSchema.toLowerCase()}`
  if (plain === extension) return true
  if (plain.startsWith(`${extension}:`)) return extensionAttributes.includes(plain.slice(extension.length + 1))
  const core = plain.startsWith(`${coreUserSchema.toLowerCase()}:`) ? plain.slice(coreUserSchema.length + 1) : plain
  const [attribute = '', sub, ...rest] = core.split('.')
  if (ignoredAttributes.has(attribute))
    return rest.length === 0 && (sub === undefined || (/^[a-z0-9]+$/.test(sub) && !prototypeKeys.has(sub)))
  const subs = Object.hasOwn(coreAttributes, attribute) ? coreAttributes[attribute] : undefined
  if (subs === undefined || rest.length > 0) return false
  return sub === undefined || subs.includes(sub)
}

function reachesPrototype(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(reachesPrototype)
  if (typeof value !== 'object' || value === null) return false
  return Object.keys(value).some(
    (key) => prototypeKeys.has(key.toLowerCase()) || reachesPrototype((value as Record<string, unknown>)[key]),
  )
}

function checkTargets(operations: unknown[]): void {
  for (const operation of operations) {
    if (!isPlainObject(operation)) continue
    const path = attributeOf(operation, 'path')
    const value = attributeOf(operation, 'value')
    const paths = typeof path === 'string' ? [path] : isPlainObject(value) ? Object.keys(value) : []
    if (paths.some((one) => !isUserAttributePath(one)) || reachesPrototype(value)) {
      throw fail('ERR_SCIM_INVALID_PATH', 'the PATCH names something that is not an attribute of a User')
    }
  }
}

/** The stored resource with the operations applied (scim-patch), or the SCIM error they deserve. */
function applyPatch(resource: ScimUser, body: unknown): ScimUser {
  const listed = isPlainObject(body) ? attributeOf(body, 'Operations') : undefined
  const operations = Array.isArray(listed) ? listed.map(spellOut) : listed
  if (Array.isArray(operations)) checkTargets(operations)
  try {
    patchBodyValidation({ schemas: [patchOpSchema], ...(body as object), Operations: operations } as never)
    const patched = scimPatch(structuredClone(resource) as never, operations as ScimPatchOperation[], {
      mutateDocument: true,
      treatMissingAsAdd: true,
    }) as unknown as ScimUser
    return patched
  } catch (error) {
    if (error instanceof ScimError) {
      const code = patchCodes[error.scimCode ?? ''] ?? 'ERR_SCIM_INVALID_VALUE'
      // The library's messages may quote the operation's value (a password): name only what failed.
      throw fail(code, `the PATCH operations cannot be applied (${error.scimCode ?? 'invalidValue'})`)
    }
    if (error instanceof TypeError || error instanceof SyntaxError) {
      throw fail('ERR_SCIM_INVALID_VALUE', 'the PATCH operations cannot be applied')
    }
    throw error
  }
}

/**
 * The state a PATCH asks for when `active` is all it changes (a directory client deactivating a leaver:
 * the common PATCH), else undefined. `"True"`/`"False"` as strings too (Microsoft's client sends them).
 */
function onlyActive(body: unknown): boolean | undefined {
  const operations = isPlainObject(body) ? attributeOf(body, 'Operations') : undefined
  if (!Array.isArray(operations) || operations.length === 0) return undefined
  let active: boolean | undefined
  for (const operation of operations) {
    if (!isPlainObject(operation)) return undefined
    const op = attributeOf(operation, 'op')
    if (typeof op !== 'string' || !['add', 'replace'].includes(op.toLowerCase())) return undefined
    const path = attributeOf(operation, 'path')
    const value = attributeOf(operation, 'value')
    let asked: unknown
    if (typeof path === 'string' && path.toLowerCase() === 'active') asked = value
    else if (path === undefined && isPlainObject(value) && Object.keys(value).length === 1)
      asked = attributeOf(value, 'active')
    else return undefined
    if (typeof asked === 'string' && /^(true|false)$/i.test(asked)) asked = asked.toLowerCase() === 'true'
    if (typeof asked !== 'boolean') return undefined
    active = asked
  }
  return active
}

export async function patchUser(
  context: ScimContext,
  id: string,
  body: unknown,
  ifMatch?: string,
): Promise<ScimResult> {
  const asked = expected(ifMatch)
  const active = onlyActive(body)
  if (active !== undefined) {
    // Deactivation or reactivation alone: the state change itself, not a rewrite of the whole account;
    // in one statement when the account is in the other state, else read to tell why nothing changed.
    const { by, requestId } = who(context)
    const changed = await setActiveAtOnce(
      context.deps.db,
      {
        regions: context.caller.regions,
        accountId: id,
        by,
        requestId,
        now: context.deps.now(),
        expectedVersion: asked,
      },
      active,
      context.deps.metrics,
      context.caller.revoked,
    )
    if (changed !== undefined) return answer(context, changed, 200)
    const existing = await current(context, id)
    if (asked !== undefined && asked !== existing.version) {
      throw fail('ERR_SCIM_VERSION_MISMATCH', 'the User changed: its version is not the one of If-Match')
    }
    const change = { region: existing.region, accountId: existing.id, ...who(context), now: context.deps.now() }
    const outcome = active
      ? await reactivateAccount(context.deps.db, change, context.deps.metrics)
      : await deactivateAccount(context.deps.db, change, context.deps.metrics)
    if (outcome.kind === 'not_found') throw notFound()
    return answer(context, outcome.kind === 'changed' ? await current(context, id) : existing, 200)
  }
  for (let attempt = 0; ; attempt++) {
    const existing = await current(context, id)
    const [resource] = await present(context, [existing])
    const patched = applyPatch(resource as ScimUser, body)
    if (JSON.stringify(patched.meta) !== JSON.stringify((resource as ScimUser).meta)) {
      throw fail('ERR_SCIM_MUTABILITY', 'meta: is read-only')
    }
    const outcome = await replaceWith(context, existing, patched, asked ?? existing.version, 'none')
    if (outcome.kind === 'version_mismatch' && asked === undefined && attempt < 2) continue
    return settle(context, outcome)
  }
}

export async function deleteUser(context: ScimContext, id: string, ifMatch?: string): Promise<ScimResult> {
  const existing = await current(context, id)
  const version = expected(ifMatch)
  if (version !== undefined && version !== existing.version) {
    throw fail('ERR_SCIM_VERSION_MISMATCH', 'the User changed: its version is not the one of If-Match')
  }
  const outcome = await eraseAccount(
    context.deps.db,
    {
      region: existing.region,
      accountId: existing.id,
      by: who(context).by,
      now: context.deps.now(),
      requestId: context.requestId,
    },
    context.deps.metrics,
  )
  if (outcome.kind === 'not_found') throw notFound()
  return { status: 204 }
}
