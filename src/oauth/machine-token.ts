/*
 * Machine clients (client_credentials, RFC 6749 §4.4) and the check of their tokens at the SCIM API:
 * - a machine token is an RFC 9068 access token with sub = client_id and aud = the SCIM base URL
 *   (`<issuer>/scim/v2`); it names no account, and the client's `regions` are what its calls may see
 * - the scope granted is what was asked, or else the client's machine scopes: its `scopes` without the
 *   scopes that are about a person (openid, profile, offline_access…); anything else asked is refused
 * - at the API, a token counts while it verifies (our key, our issuer, typ at+jwt, unexpired), names the
 *   SCIM audience, has the scope the call needs, its client is still registered and still allowed
 *   client_credentials, and it was not revoked (POST /revoke): checked at every call, nothing cached.
 *   `verifyMachineTokenUnlessRevoked` leaves the revocation to the call: its statement carries it as a
 *   condition (a revoked token's statement reads and writes nothing), or the call asks before it acts
 */
import type { RawBuilder } from 'kysely'
import type { ClientConfig } from '../config/load.js'
import type { RouteContext } from '../context.js'
import { BridgeError } from '../errors.js'
import { hasScope } from '../tokens/issue.js'
import { verifyOwnAccessToken } from '../tokens/verify-own.js'
import { accessTokenRevokedSql, isAccessTokenRevoked } from './token-family.repository.js'

/** Scopes that are about a person signing in: never granted to a machine. */
const personScopes = new Set(['openid', 'profile', 'email', 'phone', 'address', 'offline_access'])

/** The audience of machine tokens: the SCIM 2.0 API the bridge serves. */
export function scimBaseUrl(issuer: string): string {
  return `${issuer}/scim/v2`
}

export function machineScopes(client: Pick<ClientConfig, 'scopes'>): string[] {
  return client.scopes.filter((scope) => !personScopes.has(scope))
}

/**
 * The scope to grant for `requested` (absent: all machine scopes), or undefined when something asked is
 * not one of the client's machine scopes, or nothing would be granted.
 */
export function grantMachineScope(client: Pick<ClientConfig, 'scopes'>, requested: string | undefined) {
  const allowed = machineScopes(client)
  const asked = requested === undefined ? allowed : [...new Set(requested.split(' ').filter((s) => s !== ''))]
  if (asked.length === 0 || asked.some((scope) => !allowed.includes(scope))) return undefined
  return asked.join(' ')
}

export type MachineTokenDeps = Pick<RouteContext, 'config' | 'db' | 'keys' | 'now'>

const invalid = () =>
  new BridgeError('ERR_MACHINE_TOKEN_INVALID', 'the access token is invalid, expired or revoked, or not for this API')

/** A verified machine token whose revocation is still to be asked (`verifyMachineTokenUnlessRevoked`). */
export interface MachineCaller {
  client: ClientConfig
  regions: readonly string[]
  /** The token's revocation as an SQL condition: a statement that writes or reads only while it is false. */
  revoked: RawBuilder<boolean>
  /** Asks the database (once); throws ERR_MACHINE_TOKEN_INVALID when the token was revoked. */
  ensureNotRevoked: () => Promise<void>
}

/**
 * The machine client an `Authorization: Bearer …` header speaks for, and the regions its call may see;
 * throws ERR_MACHINE_TOKEN_MISSING (no header), ERR_MACHINE_TOKEN_INVALID (401) or ERR_MACHINE_TOKEN_SCOPE
 * (403, the token grants none of `scope`: one scope, or several of which any will do). RFC 6750 §2.1,
 * RFC 9068 §4.
 */
export async function verifyMachineToken(
  deps: MachineTokenDeps,
  authorizationHeader: string | undefined,
  scope: string | readonly string[],
): Promise<{ client: ClientConfig; regions: readonly string[] }> {
  const { caller, access } = await verifyUnlessRevoked(deps, authorizationHeader)
  await caller.ensureNotRevoked()
  requireScope(access.scope, scope)
  return { client: caller.client, regions: caller.regions }
}

/**
 * verifyMachineToken but for the revocation, which the caller must make part of its statement
 * (`revoked`) or ask (`ensureNotRevoked`) before it reads or writes anything.
 */
export async function verifyMachineTokenUnlessRevoked(
  deps: MachineTokenDeps,
  authorizationHeader: string | undefined,
  scope: string | readonly string[],
): Promise<MachineCaller> {
  const { caller, access } = await verifyUnlessRevoked(deps, authorizationHeader)
  requireScope(access.scope, scope)
  return caller
}

async function verifyUnlessRevoked(deps: MachineTokenDeps, authorizationHeader: string | undefined) {
  if (authorizationHeader === undefined || authorizationHeader.trim() === '') {
    throw new BridgeError('ERR_MACHINE_TOKEN_MISSING', 'a bearer access token is required')
  }
  const token = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorizationHeader.trim())?.[1]
  if (token === undefined) throw invalid()
  const { config } = deps
  const access = await verifyOwnAccessToken(deps.keys, token, config.publicUrl, deps.now())
  // A person's token names the person (sub) and the module's own audience: neither passes here.
  if (access === undefined || access.sub !== access.client_id) throw invalid()
  if (![access.aud].flat().includes(scimBaseUrl(config.publicUrl))) throw invalid()
  const client = config.clients.get(access.client_id)
  if (client === undefined || !client.grantTypes.includes('client_credentials')) throw invalid()
  let asked: Promise<boolean> | undefined
  const caller: MachineCaller = {
    client,
    regions: client.regions,
    revoked: accessTokenRevokedSql(access.jti),
    ensureNotRevoked: async () => {
      asked ??= isAccessTokenRevoked(deps.db, access.jti)
      if (await asked) throw invalid()
    },
  }
  return { caller, access }
}

function requireScope(granted: string, scope: string | readonly string[]): void {
  const anyOf = typeof scope === 'string' ? [scope] : scope
  if (!anyOf.some((one) => hasScope(granted, one))) {
    throw new BridgeError('ERR_MACHINE_TOKEN_SCOPE', `the access token grants none of the scopes ${anyOf.join(', ')}`)
  }
}
