/*
 * Authorization codes and refresh tokens: opaque random strings, stored only as SHA-256 hashes.
 * - a code is single use, short-lived, bound to its client, redirect URI and PKCE challenge (S256);
 *   redeeming it locks its row first (SELECT … FOR UPDATE), so parallel redemptions queue: the first
 *   wins, every later one finds it used
 * - a failed check (client, expiry, redirect URI, PKCE) spends nothing
 * - a replayed code revokes what it issued: its token family and its access token, whose jti is chosen
 *   and stored with the redemption, so a replay that overtakes the first answer still revokes it
 * - every code redemption starts a token family; refresh tokens rotate inside it (refresh-rotation.ts)
 * Expected failures are values (`{ ok: false, reason }`), so the caller answers invalid_grant the same
 * way whatever the reason, and logs the reason.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import type { Kysely } from 'kysely'
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
  // Expired codes are deleted by the maintenance job (ops/maintenance.ts), not here.
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

export async function revokeFamily(db: Executor, familyId: string, reason: string, now: Date): Promise<void> {
  await db.updateTable('token_family').set({ revoked_at: now, revoked_reason: reason }).where('id', '=', familyId).where('revoked_at', 'is', null).execute()
}

export async function revokeAccessToken(db: Executor, jti: string, expiresAt: Date): Promise<void> {
  await db.insertInto('revoked_access_token').values({ jti, expires_at: expiresAt }).onConflict((c) => c.doNothing()).execute()
}

export async function newRefreshToken(db: Executor, familyId: string, ttlSeconds: number, now: Date, value = newOpaqueToken()): Promise<string> {
  await db
    .insertInto('refresh_token')
    .values({ token_hash: hashToken(value), family_id: familyId, expires_at: new Date(now.getTime() + ttlSeconds * 1000) })
    .execute()
  return value
}

/**
 * Redeems a code; when offline_access was granted, the new family gets its first refresh token.
 * The access token issued with it must carry `accessJti` (it expires within `accessTtlSeconds`).
 */
export function redeemAuthorizationCode(
  db: Kysely<Database>,
  request: {
    code: string
    clientId: string
    redirectUri: string | undefined
    codeVerifier: string | undefined
    refreshTtlSeconds: number
    accessTtlSeconds: number
    now: Date
  },
): Promise<GrantResult> {
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
    const accessJti = randomUUID()
    const claimed = await trx
      .updateTable('authorization_code')
      .set({ used_at: request.now, family_id: family.id, access_jti: accessJti, access_expires_at: new Date(request.now.getTime() + (request.accessTtlSeconds + 1) * 1000) })
      .where('code_hash', '=', row.code_hash)
      .where('used_at', 'is', null)
      .executeTakeFirst()
    // The row is locked: only a bug could get here, and then nothing must be issued.
    if (claimed.numUpdatedRows !== 1n) throw new Error('authorization code redeemed concurrently')
    return {
      ok: true,
      accessJti,
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
