/*
 * Authorization codes and refresh tokens: opaque random strings, stored only as SHA-256 hashes.
 * - a code is single use, short-lived, bound to its client, redirect URI and PKCE challenge (S256);
 *   redeeming it is one conditional UPDATE, so two parallel redemptions cannot both succeed
 * - a replayed code revokes what it issued: its token family and its access token
 * - every code redemption starts a token family; refresh tokens rotate inside it on every use
 * - a refresh token used a second time revokes its whole family (RFC 9700 §4.14.2)
 * Expected failures are values (`{ ok: false, reason }`), so the caller answers invalid_grant the same
 * way whatever the reason, and logs the reason.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import type { Database, Executor } from '../db/schema.js'
import type { TokenAccount } from '../tokens/issue.js'

export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url')
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

const verifierFormat = /^[A-Za-z0-9\-._~]{43,128}$/

/** RFC 7636 §4.6: BASE64URL(SHA256(verifier)) equals the challenge. */
export function checkPkce(verifier: string | undefined, challenge: string): boolean {
  if (verifier === undefined || !verifierFormat.test(verifier)) return false
  const computed = Buffer.from(createHash('sha256').update(verifier).digest('base64url'))
  const expected = Buffer.from(challenge)
  return computed.length === expected.length && timingSafeEqual(computed, expected)
}

export interface NewCode {
  clientId: string
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
}

export async function issueAuthorizationCode(db: Executor, code: NewCode): Promise<string> {
  const value = newOpaqueToken()
  await db
    .insertInto('authorization_code')
    .values({
      code_hash: hashToken(value),
      client_id: code.clientId,
      account_id: code.accountId,
      session_id: code.sessionId,
      redirect_uri: code.redirectUri,
      scope: code.scope,
      nonce: code.nonce,
      code_challenge: code.codeChallenge,
      auth_time: code.authTime,
      amr: code.amr,
      expires_at: new Date(code.now.getTime() + code.ttlSeconds * 1000),
    })
    .execute()
  // Codes live seconds; the expired ones of the last hours are swept as new ones are made.
  await db.deleteFrom('authorization_code').where('expires_at', '<', new Date(code.now.getTime() - 3600_000)).execute()
  return value
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
  | { ok: true; grant: Grant; refreshToken: string | undefined; account?: TokenAccount }
  | { ok: false; reason: GrantFailure }

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
}

export async function revokeFamily(db: Executor, familyId: string, reason: string, now: Date): Promise<void> {
  await db.updateTable('token_family').set({ revoked_at: now, revoked_reason: reason }).where('id', '=', familyId).where('revoked_at', 'is', null).execute()
}

export async function revokeAccessToken(db: Executor, jti: string, expiresAt: Date): Promise<void> {
  await db.insertInto('revoked_access_token').values({ jti, expires_at: expiresAt }).onConflict((c) => c.doNothing()).execute()
}

async function newRefreshToken(db: Executor, familyId: string, ttlSeconds: number, now: Date): Promise<string> {
  const value = newOpaqueToken()
  await db
    .insertInto('refresh_token')
    .values({ token_hash: hashToken(value), family_id: familyId, expires_at: new Date(now.getTime() + ttlSeconds * 1000) })
    .execute()
  return value
}

/** Redeems a code; when offline_access was granted, the new family gets its first refresh token. */
export function redeemAuthorizationCode(
  db: Kysely<Database>,
  request: { code: string; clientId: string; redirectUri: string | undefined; codeVerifier: string | undefined; refreshTtlSeconds: number; now: Date },
): Promise<GrantResult> {
  return db.transaction().execute(async (trx): Promise<GrantResult> => {
    const row = await trx.selectFrom('authorization_code').selectAll().where('code_hash', '=', hashToken(request.code)).executeTakeFirst()
    if (row === undefined) return { ok: false, reason: 'unknown' }
    if (row.client_id !== request.clientId) return { ok: false, reason: 'wrong_client' }
    if (row.used_at !== null) {
      if (row.family_id !== null) await revokeFamily(trx, row.family_id, 'code_replay', request.now)
      if (row.access_jti !== null && row.access_expires_at !== null) await revokeAccessToken(trx, row.access_jti, row.access_expires_at)
      return { ok: false, reason: 'replayed' }
    }
    if (row.expires_at <= request.now) return { ok: false, reason: 'expired' }
    if (request.redirectUri !== row.redirect_uri) return { ok: false, reason: 'redirect_uri' }
    if (!checkPkce(request.codeVerifier, row.code_challenge)) return { ok: false, reason: 'pkce' }

    const family = await trx
      .insertInto('token_family')
      .values({
        client_id: row.client_id,
        account_id: row.account_id,
        session_id: row.session_id,
        scope: row.scope,
        auth_time: row.auth_time,
        amr: row.amr,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    const claimed = await trx
      .updateTable('authorization_code')
      .set({ used_at: request.now, family_id: family.id })
      .where('code_hash', '=', row.code_hash)
      .where('used_at', 'is', null)
      .executeTakeFirst()
    if (claimed.numUpdatedRows !== 1n) throw new Error('authorization code redeemed concurrently')
    return {
      ok: true,
      grant: {
        familyId: family.id,
        clientId: row.client_id,
        accountId: row.account_id,
        sessionId: row.session_id,
        scope: row.scope,
        nonce: row.nonce,
        authTime: row.auth_time,
        amr: row.amr,
      },
      refreshToken: row.scope.split(' ').includes('offline_access')
        ? await newRefreshToken(trx, family.id, request.refreshTtlSeconds, request.now)
        : undefined,
    }
  })
}

/** Remembers the access token a code issued, so that a replay of the code can revoke it. */
export async function recordCodeAccessToken(db: Executor, familyId: string, jti: string, expiresAt: Date): Promise<void> {
  await db.updateTable('authorization_code').set({ access_jti: jti, access_expires_at: expiresAt }).where('family_id', '=', familyId).execute()
}

/**
 * Rotates a refresh token: the old one is spent, a new one of the same family is returned.
 * The common case (valid token, no scope change) is one statement: spend, issue and read the account
 * together (the one read of diary_account outside accounts/account.repository.ts, for speed). Anything else takes the careful path, which also finds out why (and revokes on reuse).
 */
export async function rotateRefreshToken(
  db: Kysely<Database>,
  request: { refreshToken: string; clientId: string; scope: string | undefined; refreshTtlSeconds: number; now: Date },
): Promise<GrantResult> {
  if (request.scope === undefined) {
    const fresh = newOpaqueToken()
    const expires = new Date(request.now.getTime() + request.refreshTtlSeconds * 1000)
    const { rows } = await sql<FastRotation>`
      with spent as (
        update refresh_token r set used_at = ${request.now}
        from token_family f
        where r.token_hash = ${hashToken(request.refreshToken)} and r.used_at is null and r.expires_at > ${request.now}
          and f.id = r.family_id and f.revoked_at is null and f.client_id = ${request.clientId}
        returning r.family_id, f.account_id, f.session_id, f.scope, f.auth_time, f.amr
      ), issued as (
        insert into refresh_token (token_hash, family_id, expires_at)
        select ${hashToken(fresh)}, family_id, ${expires} from spent
      )
      select s.family_id, s.session_id, s.scope, s.auth_time, s.amr,
             a.id, a.region, a.role, a.family_name, a.given_name, a.patronymic
      from spent s join diary_account a on a.id = s.account_id`.execute(db)
    const row = rows[0]
    if (row !== undefined) {
      return {
        ok: true,
        grant: { familyId: row.family_id, clientId: request.clientId, accountId: row.id, sessionId: row.session_id, scope: row.scope, nonce: null, authTime: row.auth_time, amr: row.amr },
        refreshToken: fresh,
        account: { id: row.id, region: row.region, role: row.role, familyName: row.family_name, givenName: row.given_name, patronymic: row.patronymic },
      }
    }
  }
  return db.transaction().execute(async (trx): Promise<GrantResult> => {
    const row = await trx
      .selectFrom('refresh_token')
      .innerJoin('token_family', 'token_family.id', 'refresh_token.family_id')
      .selectAll()
      .where('refresh_token.token_hash', '=', hashToken(request.refreshToken))
      .executeTakeFirst()
    if (row === undefined) return { ok: false, reason: 'unknown' }
    if (row.client_id !== request.clientId) return { ok: false, reason: 'wrong_client' }
    if (row.revoked_at !== null) return { ok: false, reason: 'revoked' }
    const spent = await trx
      .updateTable('refresh_token')
      .set({ used_at: request.now })
      .where('token_hash', '=', row.token_hash)
      .where('used_at', 'is', null)
      .executeTakeFirst()
    if (spent.numUpdatedRows !== 1n) {
      await revokeFamily(trx, row.family_id, 'refresh_reuse', request.now)
      return { ok: false, reason: 'replayed' }
    }
    if (row.expires_at <= request.now) return { ok: false, reason: 'expired' }
    const granted = row.scope.split(' ')
    const scope = request.scope === undefined ? row.scope : request.scope.split(' ').filter(Boolean).join(' ')
    if (!scope.split(' ').every((s) => granted.includes(s)) || !scope.split(' ').includes('openid')) return { ok: false, reason: 'scope' }
    return {
      ok: true,
      grant: {
        familyId: row.family_id,
        clientId: row.client_id,
        accountId: row.account_id,
        sessionId: row.session_id,
        scope,
        nonce: null,
        authTime: row.auth_time,
        amr: row.amr,
      },
      refreshToken: await newRefreshToken(trx, row.family_id, request.refreshTtlSeconds, request.now),
    }
  })
}
