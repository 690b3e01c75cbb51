/*
 * Token families, their refresh tokens and the access tokens revoked one by one: the one place that
 * writes `token_family`, `refresh_token` and `revoked_access_token` (the named exceptions are listed in
 * test/architecture.test.ts).
 * - every code redemption starts a family, with the code's auth_time, amr and acr (what every token of
 *   the family says of the sign-in); refresh tokens rotate inside it (refresh-rotation.ts)
 * - a refresh token is stored as its hash only (grants.ts), with its expiry; spending it is rotation's
 * - `access_expires_at` only moves forward: the latest expiry of an access token the family issued
 * - revoking a family or an access token is idempotent: the first reason and time stay
 */
import { type RawBuilder, sql } from 'kysely'
import { type Cte, cte, tableOf, withCtes } from '../db/cte.js'
import { type Executor, isUuid } from '../db/schema.js'
import { accountIsActiveSql } from '../accounts/account.repository.js'
import { sessionEndedSql } from '../sessions/login-session.js'
import { hashToken, newOpaqueToken } from './grants.js'

/**
 * A new family `familyId` for the client, as part of a larger statement: one for each row of `source`,
 * with its first access token valid until `accessExpiresAt`.
 */
export function startFamilyCte<
  Name extends string,
  Source extends Cte<string, 'account_id' | 'session_id' | 'scope' | 'auth_time' | 'amr' | 'acr', string>,
>(name: Name, source: Source, family: { familyId: string; clientId: string; accessExpiresAt: Date }) {
  const body = sql`insert into token_family (id, client_id, account_id, session_id, scope, auth_time, amr, acr, access_expires_at)
      select ${family.familyId}::uuid, ${family.clientId}, account_id, session_id, scope, auth_time, amr, acr, ${family.accessExpiresAt}::timestamptz from ${tableOf(source)}`
  return cte(name, [], body, [source])
}

/**
 * `token_family.access_expires_at` moves to `until` unless it is later already: the family issued an
 * access token valid until then (the revocation list names its session while one may be valid). As a
 * statement part: the families of the rows of `source`.
 */
export function accessIssuedCte<Name extends string, Source extends Cte<string, 'family_id', string>>(
  name: Name,
  source: Source,
  until: Date,
) {
  const body = sql`update token_family set access_expires_at = greatest(access_expires_at, ${until}::timestamptz)
    where id in (select family_id from ${tableOf(source)})`
  return cte(name, [], body, [source])
}

export async function revokeFamily(db: Executor, familyId: string, reason: string, now: Date): Promise<void> {
  await db
    .updateTable('token_family')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('id', '=', familyId)
    .where('revoked_at', 'is', null)
    .execute()
}

export async function revokeAccessToken(db: Executor, jti: string, expiresAt: Date): Promise<void> {
  await db
    .insertInto('revoked_access_token')
    .values({ jti, expires_at: expiresAt })
    .onConflict((c) => c.doNothing())
    .execute()
}

/**
 * Whether an access token was revoked, by its jti, by the end of its session (`sid`), or because its
 * account (`sub`) is no longer active (deactivated or erased), as an SQL condition.
 */
export function accessTokenRevokedSql(jti: string, sessionId?: string, accountId?: string): RawBuilder<boolean> {
  const closed =
    accountId !== undefined && isUuid(accountId) ? sql`not ${accountIsActiveSql(sql`${accountId}::uuid`)}` : sql`false`
  return sql<boolean>`(exists (select 1 from revoked_access_token where jti = ${jti}) or ${sessionEndedSql(sessionId)} or ${closed})`
}

/** Whether an access token was revoked: by its jti, by the end of its session (`sid`), or its account's deactivation. */
export async function isAccessTokenRevoked(
  db: Executor,
  jti: string,
  sessionId?: string,
  accountId?: string,
): Promise<boolean> {
  const { rows } = await sql<{
    revoked: boolean
  }>`select ${accessTokenRevokedSql(jti, sessionId, accountId)} as revoked`.execute(db)
  return rows[0]?.revoked === true
}

/** The access tokens revoked one by one that have not expired at `now`, the latest to expire first, at most `limit` (the revocation list). */
export async function listRevokedAccessTokens(
  db: Executor,
  now: Date,
  limit: number,
): Promise<{ jti: string; until: Date }[]> {
  return db
    .selectFrom('revoked_access_token')
    .select(['jti', 'expires_at as until'])
    .where('expires_at', '>', now)
    .orderBy('expires_at', 'desc')
    .orderBy('jti')
    .limit(limit)
    .execute()
}

export interface RefreshTokenState {
  familyId: string
  clientId: string
  accountId: string
  scope: string
  expiresAt: Date
  usedAt: Date | null
  revokedAt: Date | null
}

/** A refresh token and its family, whatever their state (introspection and revocation decide). */
export async function findRefreshToken(db: Executor, token: string): Promise<RefreshTokenState | undefined> {
  const row = await db
    .selectFrom('refresh_token')
    .innerJoin('token_family', 'token_family.id', 'refresh_token.family_id')
    .select([
      'refresh_token.family_id',
      'refresh_token.expires_at',
      'refresh_token.used_at',
      'token_family.revoked_at',
      'token_family.client_id',
      'token_family.account_id',
      'token_family.scope',
    ])
    .where('refresh_token.token_hash', '=', hashToken(token))
    .executeTakeFirst()
  return (
    row && {
      familyId: row.family_id,
      clientId: row.client_id,
      accountId: row.account_id,
      scope: row.scope,
      expiresAt: row.expires_at,
      usedAt: row.used_at,
      revokedAt: row.revoked_at,
    }
  )
}

/** The family `familyId` as a CTE, for the statement parts above. */
export function familyCte<Name extends string>(name: Name, familyId: string) {
  return cte(name, ['family_id'], sql`select ${familyId}::uuid as family_id`)
}

export async function newRefreshToken(
  db: Executor,
  familyId: string,
  ttlSeconds: number,
  now: Date,
  value = newOpaqueToken(),
): Promise<string> {
  const family = familyCte('family', familyId)
  await withCtes()
    .with(family)
    .then(refreshTokenCte('refresh', family, value, ttlSeconds, now))
    .execute(db)
  return value
}

/**
 * `newRefreshToken` as part of a larger statement: the refresh token `value` for the family of each row
 * of `source`; its rows are the token_hash written.
 */
export function refreshTokenCte<Name extends string, Source extends Cte<string, 'family_id', string>>(
  name: Name,
  source: Source,
  value: string,
  ttlSeconds: number,
  now: Date,
) {
  const body = sql`insert into refresh_token (token_hash, family_id, expires_at)
    select ${hashToken(value)}, family_id, ${new Date(now.getTime() + ttlSeconds * 1000)}::timestamptz from ${tableOf(source)}
    returning token_hash`
  return cte(name, ['token_hash'], body, [source])
}
