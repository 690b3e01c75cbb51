/*
 * Authorization codes and refresh tokens: opaque random strings, stored only as SHA-256 hashes.
 * - a code is single use, short-lived, bound to its client, redirect URI and PKCE challenge (S256);
 *   it is issued, with its audit event, in one statement that also checks the account is in one of
 *   the client's regions
 * - redeeming it is one statement in the common case: an UPDATE that claims the code only when every
 *   check holds (unused, client, expiry, redirect URI, PKCE, its session not ended: a code issued just
 *   before a sign-out everywhere or a password change gives nothing after it), and in the same statement its token
 *   family, first refresh token (offline_access), audit event and the account for the tokens. Parallel
 *   redemptions queue on the row lock: the first wins, every later one finds it used
 * - when the claim finds nothing, a second look (under a row lock) says why: a failed check spends
 *   nothing; a replayed code revokes what it issued: its token family and its access token, whose jti
 *   is chosen and stored with the redemption, so a replay that overtakes the first answer still revokes it
 * - every code redemption starts a token family; refresh tokens rotate inside it (refresh-rotation.ts)
 * Expected failures are values (`{ ok: false, reason }`), so the caller answers invalid_grant the same
 * way whatever the reason, and logs the reason.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { type Kysely, type RawBuilder, sql } from 'kysely'
import { accountInRegionsSql, tokenAccountsSql } from '../accounts/account.repository.js'
import { auditEventSql } from '../audit/record-audit-event.js'
import type { Database, Executor, Role } from '../db/schema.js'
import { findUnendedSession, sessionEndedSql, sessionInColumnEndedSql } from '../sessions/login-session.js'
import type { TokenAccount } from '../tokens/issue.js'

export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url')
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

const verifierFormat = /^[A-Za-z0-9\-._~]{43,128}$/

/** RFC 7636 §4.6: BASE64URL(SHA256(verifier)), or undefined for a malformed verifier. */
function s256(verifier: string | undefined): string | undefined {
  return verifier === undefined || !verifierFormat.test(verifier) ? undefined : createHash('sha256').update(verifier).digest('base64url')
}

/** RFC 7636 §4.6: BASE64URL(SHA256(verifier)) equals the challenge. */
export function checkPkce(verifier: string | undefined, challenge: string): boolean {
  const computed = s256(verifier)
  if (computed === undefined) return false
  const expected = Buffer.from(challenge)
  return computed.length === expected.length && timingSafeEqual(Buffer.from(computed), expected)
}

export interface NewCode {
  clientId: string
  /** The client's regions: a code is issued only for an account of one of them. */
  regions: readonly string[]
  accountId: string
  sessionId: string | null
  redirectUri: string
  scope: string
  nonce: string | null
  codeChallenge: string
  authTime: Date
  amr: string
  ttlSeconds: number
  now: Date
  requestId?: string
}

/**
 * The code `value` and its audit event as data-modifying CTEs (`issued_code`, `audited_code`) of a
 * larger statement: one code for each row of `accounts` (columns id, region, session_id), which must
 * already be limited to the client's regions.
 */
export function authorizationCodeSql(accounts: string, code: Omit<NewCode, 'regions' | 'accountId' | 'sessionId'>, value: string): RawBuilder<unknown> {
  return sql`issued_code as (
      insert into authorization_code (code_hash, client_id, account_id, session_id, redirect_uri, scope, nonce, code_challenge, auth_time, amr, expires_at)
      select ${hashToken(value)}, ${code.clientId}, id, session_id, ${code.redirectUri}, ${code.scope}, ${code.nonce}, ${code.codeChallenge},
             ${code.authTime}::timestamptz, ${code.amr}, ${new Date(code.now.getTime() + code.ttlSeconds * 1000)}::timestamptz
      from ${sql.table(accounts)}
    ), audited_code as (${auditEventSql(accounts, { type: 'authorization_code', outcome: 'issued', clientId: code.clientId, requestId: code.requestId })})`
}

/**
 * A code and its audit event, in one statement; undefined when the account is gone or in a region the
 * client does not serve (nothing is written then).
 */
export async function issueAuthorizationCode(db: Executor, code: NewCode): Promise<string | undefined> {
  const value = newOpaqueToken()
  const { rows } = await sql<{ id: string }>`
    with account as (${accountInRegionsSql(code.accountId, code.sessionId, code.regions)}), ${authorizationCodeSql('account', code, value)}
    select id from account`.execute(db)
  // Expired codes are deleted by the maintenance job (ops/maintenance.ts), not here.
  return rows.length === 1 ? value : undefined
}

export interface Grant {
  familyId: string
  clientId: string
  accountId: string
  sessionId: string | null
  scope: string
  nonce: string | null
  authTime: Date
  amr: string
}

export type GrantFailure = 'unknown' | 'wrong_client' | 'expired' | 'replayed' | 'redirect_uri' | 'pkce' | 'revoked' | 'scope'

export type GrantResult =
  | {
      ok: true
      grant: Grant
      refreshToken: string | undefined
      account?: TokenAccount
      /** The jti the access token must carry (a code redemption stores it, for a replay to revoke). */
      accessJti?: string
      /** A repeated refresh within the grace period: the refresh token is the one issued already. */
      reissued?: boolean
    }
  | { ok: false; reason: GrantFailure; accountId?: string }

/**
 * When an access token issued at `now` with a lifetime of `ttlSeconds` expires, at the latest: a second
 * more, for the token's `exp` rounded to whole seconds.
 */
export function accessTokenExpiry(now: Date, ttlSeconds: number): Date {
  return new Date(now.getTime() + (ttlSeconds + 1) * 1000)
}

/**
 * `token_family.access_expires_at` moves to `until` unless it is later already: the family issued an
 * access token valid until then (the revocation list names its session while one may be valid). As a
 * statement part: the families of the rows (`family_id`) of `source`.
 */
export function accessIssuedSql(source: string, until: Date): RawBuilder<unknown> {
  return sql`update token_family set access_expires_at = greatest(access_expires_at, ${until}::timestamptz)
    where id in (select family_id from ${sql.table(source)})`
}

export async function revokeFamily(db: Executor, familyId: string, reason: string, now: Date): Promise<void> {
  await db.updateTable('token_family').set({ revoked_at: now, revoked_reason: reason }).where('id', '=', familyId).where('revoked_at', 'is', null).execute()
}

export async function revokeAccessToken(db: Executor, jti: string, expiresAt: Date): Promise<void> {
  await db.insertInto('revoked_access_token').values({ jti, expires_at: expiresAt }).onConflict((c) => c.doNothing()).execute()
}

/** Whether an access token was revoked: by its jti, or by the end of its session (`sid`). */
export async function isAccessTokenRevoked(db: Executor, jti: string, sessionId?: string): Promise<boolean> {
  const { rows } = await sql<{ revoked: boolean }>`select (exists (select 1 from revoked_access_token where jti = ${jti}) or ${sessionEndedSql(sessionId)}) as revoked`.execute(db)
  return rows[0]?.revoked === true
}

/** The access tokens revoked one by one that have not expired at `now`, the latest to expire first, at most `limit` (the revocation list). */
export async function listRevokedAccessTokens(db: Executor, now: Date, limit: number): Promise<{ jti: string; until: Date }[]> {
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
    .select(['refresh_token.family_id', 'refresh_token.expires_at', 'refresh_token.used_at', 'token_family.revoked_at', 'token_family.client_id', 'token_family.account_id', 'token_family.scope'])
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

export async function newRefreshToken(db: Executor, familyId: string, ttlSeconds: number, now: Date, value = newOpaqueToken()): Promise<string> {
  await sql`with family as (select ${familyId}::uuid as family_id) ${refreshTokenSql('family', value, ttlSeconds, now)}`.execute(db)
  return value
}

/**
 * `newRefreshToken` as part of a larger statement: the refresh token `value` for the family of each row
 * (`family_id`) of `source`; returns its token_hash.
 */
export function refreshTokenSql(source: string, value: string, ttlSeconds: number, now: Date): RawBuilder<unknown> {
  return sql`insert into refresh_token (token_hash, family_id, expires_at)
    select ${hashToken(value)}, family_id, ${new Date(now.getTime() + ttlSeconds * 1000)}::timestamptz from ${sql.table(source)}
    returning token_hash`
}

export interface Redemption {
  code: string
  clientId: string
  redirectUri: string | undefined
  codeVerifier: string | undefined
  refreshTtlSeconds: number
  accessTtlSeconds: number
  now: Date
  requestId?: string
}

interface Claimed {
  refreshable: boolean
  session_id: string | null
  scope: string
  nonce: string | null
  auth_time: Date
  amr: string
  id: string
  region: string
  role: Role
  family_name: string
  given_name: string
  patronymic: string | null
}

/**
 * Redeems a code; when offline_access was granted, the new family gets its first refresh token.
 * The access token issued with it must carry `accessJti` (it expires within `accessTtlSeconds`).
 */
export async function redeemAuthorizationCode(db: Kysely<Database>, request: Redemption): Promise<GrantResult> {
  const challenge = s256(request.codeVerifier)
  if (challenge === undefined || request.redirectUri === undefined) return whyNotRedeemed(db, request)
  const familyId = randomUUID()
  const accessJti = randomUUID()
  const accessExpiresAt = accessTokenExpiry(request.now, request.accessTtlSeconds)
  const refreshToken = newOpaqueToken()
  const { rows } = await sql<Claimed>`
    with claimed as (
      update authorization_code
      set used_at = ${request.now}::timestamptz, family_id = ${familyId}::uuid, access_jti = ${accessJti},
          access_expires_at = ${accessExpiresAt}::timestamptz
      where code_hash = ${hashToken(request.code)} and used_at is null and client_id = ${request.clientId}
        and expires_at > ${request.now}::timestamptz and redirect_uri = ${request.redirectUri} and code_challenge = ${challenge}
        and not ${sessionInColumnEndedSql('authorization_code.session_id')}
      returning account_id, session_id, scope, nonce, auth_time, amr
    ), family as (
      insert into token_family (id, client_id, account_id, session_id, scope, auth_time, amr, access_expires_at)
      select ${familyId}::uuid, ${request.clientId}, account_id, session_id, scope, auth_time, amr, ${accessExpiresAt}::timestamptz from claimed
    ), offline as (
      select ${familyId}::uuid as family_id from claimed where 'offline_access' = any(string_to_array(scope, ' '))
    ), refresh as (${refreshTokenSql('offline', refreshToken, request.refreshTtlSeconds, request.now)}), account as (${tokenAccountsSql('claimed')}), audited as (${auditEventSql('account', { type: 'token_authorization_code', outcome: 'issued', clientId: request.clientId, requestId: request.requestId })})
    select c.session_id, c.scope, c.nonce, c.auth_time, c.amr, a.*, exists (select 1 from refresh) as refreshable
    from claimed c cross join account a`.execute(db)
  const row = rows[0]
  if (row === undefined) return whyNotRedeemed(db, request)
  return {
    ok: true,
    accessJti,
    grant: { familyId, clientId: request.clientId, accountId: row.id, sessionId: row.session_id, scope: row.scope, nonce: row.nonce, authTime: row.auth_time, amr: row.amr },
    account: { id: row.id, region: row.region, role: row.role, familyName: row.family_name, givenName: row.given_name, patronymic: row.patronymic },
    refreshToken: row.refreshable ? refreshToken : undefined,
  }
}

/** Why a code was not redeemed, under its row lock; a replay revokes what the code issued. */
function whyNotRedeemed(db: Kysely<Database>, request: Redemption): Promise<GrantResult> {
  return db.transaction().execute(async (trx): Promise<GrantResult> => {
    const row = await trx.selectFrom('authorization_code').selectAll().where('code_hash', '=', hashToken(request.code)).forUpdate().executeTakeFirst()
    if (row === undefined) return { ok: false, reason: 'unknown' }
    const refused = (reason: GrantFailure): GrantResult => ({ ok: false, reason, accountId: row.account_id })
    if (row.client_id !== request.clientId) return refused('wrong_client')
    if (row.used_at !== null) {
      if (row.family_id !== null) await revokeFamily(trx, row.family_id, 'code_replay', request.now)
      if (row.access_jti !== null && row.access_expires_at !== null) await revokeAccessToken(trx, row.access_jti, row.access_expires_at)
      return refused('replayed')
    }
    if (row.expires_at <= request.now) return refused('expired')
    if (request.redirectUri !== row.redirect_uri) return refused('redirect_uri')
    if (!checkPkce(request.codeVerifier, row.code_challenge)) return refused('pkce')
    if (row.session_id !== null && (await findUnendedSession(trx, row.session_id)) === undefined) return refused('revoked')
    // Every check holds on an unused code, yet the claim found nothing: only a bug could get here.
    throw new Error('an unused, valid authorization code could not be claimed')
  })
}
