/*
 * Refresh-token rotation (RFC 9700 §4.14.2): every use spends the token and issues its successor in
 * the same family.
 * - every condition (client, revocation, expiry, requested scope) is checked before the token is
 *   spent: a refused request leaves it usable
 * - a requested scope must be part of the family's and keep openid
 * - a spent token presented again revokes the whole family, except within the grace period
 *   (`reuseGraceSeconds` after it was spent, 0: never) when its successor is still unused: then the
 *   answer carries that same successor (sealed in the spent row, refresh-successor.ts), so two tabs
 *   or a retried request keep one family with one usable token. Never more than the one preceding
 *   token: once the successor is used, the preceding token is plain reuse.
 * - rotations of one token are serialised by its row lock (SELECT … FOR UPDATE), so parallel
 *   requests with one token all get the one successor
 * - every answer issues an access token: the family's `access_expires_at` moves to its expiry (in the
 *   statement that rotates, on the common path), for the revocation list
 */
import { type Kysely, sql, type Transaction } from 'kysely'
import { toTokenAccount } from '../accounts/account.repository.js'
import { cte, withCtes } from '../db/cte.js'
import type { AcrLevel, Database } from '../db/schema.js'
import type { TokenAccount } from '../tokens/issue.js'
import { accessTokenExpiry, type GrantFailure, type GrantResult, hashToken, newOpaqueToken } from './grants.js'
import { openSuccessor, sealSuccessor } from './refresh-successor.js'
import {
  accessIssuedCte,
  familyCte,
  newRefreshToken,
  refreshTokenCte,
  revokeFamily,
} from './token-family.repository.js'

export interface RefreshRequest {
  refreshToken: string
  clientId: string
  scope: string | undefined
  refreshTtlSeconds: number
  /** The lifetime of the access token issued with the answer. */
  accessTtlSeconds: number
  reuseGraceSeconds: number
  now: Date
}

interface FastRotation {
  id: string
  region: string
  role: TokenAccount['role']
  family_name: string
  given_name: string
  patronymic: string | null
  family_id: string
  session_id: string | null
  scope: string
  auth_time: Date
  amr: string
  acr: AcrLevel
}

/** The scope a refresh may carry: the family's, or the requested part of it with openid; undefined when refused. */
export function refreshScope(granted: string, requested: string | undefined): string | undefined {
  if (requested === undefined) return granted
  const grantedScopes = granted.split(' ')
  const wanted = requested.split(' ').filter(Boolean)
  if (!wanted.includes('openid') || !wanted.every((scope) => grantedScopes.includes(scope))) return undefined
  return [...new Set(wanted)].join(' ')
}

/**
 * Rotates a refresh token: the old one is spent, a new one of the same family is returned.
 * The common case (valid unused token, no scope) is one statement: spend, issue and read the account
 * together (the one read of diary_account outside accounts/account.repository.ts, for speed). Anything
 * else takes the careful path, which also finds out why (and answers a repeat, or revokes on reuse).
 */
export async function rotateRefreshToken(db: Kysely<Database>, request: RefreshRequest): Promise<GrantResult> {
  const fresh = newOpaqueToken()
  const sealed = sealSuccessor(request.refreshToken, fresh)
  if (request.scope === undefined) {
    const spent = cte(
      'spent',
      ['family_id', 'account_id', 'session_id', 'scope', 'auth_time', 'amr', 'acr'],
      sql`update refresh_token r set used_at = ${request.now}, successor_sealed = ${sealed}
        from token_family f
        where r.token_hash = ${hashToken(request.refreshToken)} and r.used_at is null and r.expires_at > ${request.now}
          and f.id = r.family_id and f.revoked_at is null and f.client_id = ${request.clientId}
        returning r.family_id, f.account_id, f.session_id, f.scope, f.auth_time, f.amr, f.acr`,
    )
    const statement = withCtes()
      .with(spent)
      .with(refreshTokenCte('issued', spent, fresh, request.refreshTtlSeconds, request.now))
      .with(accessIssuedCte('access', spent, accessTokenExpiry(request.now, request.accessTtlSeconds)))
      .select<FastRotation>(
        ({
          table,
          column,
        }) => sql`select ${column('spent', 'family_id')}, ${column('spent', 'session_id')}, ${column('spent', 'scope')}, ${column('spent', 'auth_time')}, ${column('spent', 'amr')}, ${column('spent', 'acr')},
             a.id, a.region, a.role, a.family_name, a.given_name, a.patronymic
      from ${table('spent')} join diary_account a on a.id = ${column('spent', 'account_id')}`,
      )
    const { rows } = await statement.execute(db)
    const row = rows[0]
    if (row !== undefined) {
      return {
        ok: true,
        grant: {
          familyId: row.family_id,
          clientId: request.clientId,
          accountId: row.id,
          sessionId: row.session_id,
          scope: row.scope,
          nonce: null,
          authTime: row.auth_time,
          amr: row.amr,
          acr: row.acr,
        },
        refreshToken: fresh,
        account: toTokenAccount(row),
      }
    }
  }
  return db.transaction().execute((trx) => rotateCarefully(trx, request, fresh, sealed))
}

async function rotateCarefully(
  trx: Transaction<Database>,
  request: RefreshRequest,
  fresh: string,
  sealed: string,
): Promise<GrantResult> {
  const row = await trx
    .selectFrom('refresh_token')
    .innerJoin('token_family', 'token_family.id', 'refresh_token.family_id')
    .selectAll()
    .where('refresh_token.token_hash', '=', hashToken(request.refreshToken))
    .forUpdate()
    .executeTakeFirst()
  if (row === undefined) return { ok: false, reason: 'unknown' }
  const refused = (reason: GrantFailure): GrantResult => ({ ok: false, reason, accountId: row.account_id })
  if (row.client_id !== request.clientId) return refused('wrong_client')
  if (row.revoked_at !== null) return refused('revoked')
  const scope = refreshScope(row.scope, request.scope)
  const grant = {
    familyId: row.family_id,
    clientId: row.client_id,
    accountId: row.account_id,
    sessionId: row.session_id,
    scope: scope ?? row.scope,
    nonce: null,
    authTime: row.auth_time,
    amr: row.amr,
    acr: row.acr,
  }

  if (row.used_at !== null) {
    const successor = await unusedSuccessor(trx, request, {
      familyId: row.family_id,
      usedAt: row.used_at,
      sealed: row.successor_sealed,
    })
    if (successor === undefined) {
      await revokeFamily(trx, row.family_id, 'refresh_reuse', request.now)
      return refused('replayed')
    }
    if (scope === undefined) return refused('scope')
    await accessIssued(trx, row.family_id, request)
    return { ok: true, grant, refreshToken: successor, reissued: true }
  }
  if (row.expires_at <= request.now) return refused('expired')
  if (scope === undefined) return refused('scope')
  await trx
    .updateTable('refresh_token')
    .set({ used_at: request.now, successor_sealed: sealed })
    .where('token_hash', '=', row.token_hash)
    .execute()
  await accessIssued(trx, row.family_id, request)
  return {
    ok: true,
    grant,
    refreshToken: await newRefreshToken(trx, row.family_id, request.refreshTtlSeconds, request.now, fresh),
  }
}

async function accessIssued(trx: Transaction<Database>, familyId: string, request: RefreshRequest): Promise<void> {
  const family = familyCte('family', familyId)
  await withCtes()
    .with(family)
    .then(accessIssuedCte('access', family, accessTokenExpiry(request.now, request.accessTtlSeconds)))
    .execute(trx)
}

/** The successor of a token spent within the grace period, if it is still the family's usable token. */
async function unusedSuccessor(
  trx: Transaction<Database>,
  request: RefreshRequest,
  spent: { familyId: string; usedAt: Date; sealed: string | null },
): Promise<string | undefined> {
  if (
    request.reuseGraceSeconds <= 0 ||
    request.now.getTime() - spent.usedAt.getTime() > request.reuseGraceSeconds * 1000
  )
    return undefined
  const successor = openSuccessor(request.refreshToken, spent.sealed)
  if (successor === undefined) return undefined
  const next = await trx
    .selectFrom('refresh_token')
    .select(['used_at', 'expires_at'])
    .where('token_hash', '=', hashToken(successor))
    .where('family_id', '=', spent.familyId)
    .executeTakeFirst()
  return next !== undefined && next.used_at === null && next.expires_at > request.now ? successor : undefined
}
