/*
 * One-time secrets sent to a contact (table recovery_secret): a password-recovery link or SMS code, or
 * the confirmation of a new e-mail address or phone number.
 * - a link carries 32 random bytes; only their SHA-256 is stored. A code is 6 random digits; only its
 *   HMAC (key derived from SNILS_PEPPER) is stored, so a copy of the table does not give codes away
 * - one live secret per account and purpose: storing a new one replaces the old one under a new id
 *   (the unique index decides, not a prior read), so an older link or code stops working at once
 * - a secret without an account is a stand-in for a login that has no such contact: it is stored and
 *   tried exactly like a real one, so that nothing tells the two apart, and it can never be met
 * - a link is spent by deleting it; a code is tried at most `maxAttempts` times (each try counts in the
 *   same statement that compares it) and expires in that statement when it is right
 */
import { createHash, createHmac, randomBytes, randomInt } from 'node:crypto'
import { sql } from 'kysely'
import type { Executor, RecoveryPurpose } from '../db/schema.js'

export interface SecretToStore {
  accountId: string | null
  purpose: RecoveryPurpose
  secretHash: string
  destination: string | null
  expiresAt: Date
}

export function newLinkSecret(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url')
  return { token, hash: hashLinkToken(token) }
}

export function hashLinkToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

export function newCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0')
}

export function hashCode(pepper: Buffer, code: string): string {
  return createHmac('sha256', pepper).update(`one-time-code:${code}`).digest('hex')
}

/** Stores a secret, replacing the account's live one of the same purpose; answers its (new) id. */
export async function storeSecret(db: Executor, secret: SecretToStore): Promise<string> {
  const result = await sql<{ id: string }>`
    insert into recovery_secret (account_id, purpose, secret_hash, destination, expires_at)
    values (${secret.accountId}, ${secret.purpose}, ${secret.secretHash}, ${secret.destination}, ${secret.expiresAt})
    on conflict (account_id, purpose) where account_id is not null do update set
      id = gen_random_uuid(), secret_hash = excluded.secret_hash, destination = excluded.destination,
      attempts = 0, created_at = now(), expires_at = excluded.expires_at
    returning id`.execute(db)
  const [row] = result.rows
  if (row === undefined) throw new Error('storing a one-time secret returned no row')
  return row.id
}

export interface LiveSecret {
  id: string
  accountId: string
  destination: string | null
  expiresAt: Date
}

/** The live secret of a link, without spending it (the page behind the link). */
export async function findLinkSecret(db: Executor, purpose: RecoveryPurpose, hash: string, now: Date): Promise<LiveSecret | undefined> {
  const row = await db
    .selectFrom('recovery_secret')
    .select(['id', 'account_id', 'destination', 'expires_at'])
    .where('secret_hash', '=', hash)
    .where('purpose', '=', purpose)
    .where('expires_at', '>', now)
    .where('account_id', 'is not', null)
    .executeTakeFirst()
  return row && { id: row.id, accountId: row.account_id as string, destination: row.destination, expiresAt: row.expires_at }
}

/** Spends a link: deletes it if it is still live and still the account's (one answer per link). */
export async function spendLinkSecret(db: Executor, purpose: RecoveryPurpose, hash: string, now: Date): Promise<LiveSecret | undefined> {
  const row = await db
    .deleteFrom('recovery_secret')
    .where('secret_hash', '=', hash)
    .where('purpose', '=', purpose)
    .where('expires_at', '>', now)
    .where('account_id', 'is not', null)
    .returning(['id', 'account_id', 'destination', 'expires_at'])
    .executeTakeFirst()
  return row && { id: row.id, accountId: row.account_id as string, destination: row.destination, expiresAt: row.expires_at }
}

export type CodeTry =
  | { kind: 'right'; accountId: string; destination: string | null }
  | { kind: 'wrong'; attemptsLeft: number }
  /** Expired, replaced by a newer code, spent, or out of tries. */
  | { kind: 'gone' }

/** One try of a code, counted and compared in one statement (parallel tries queue on the row); a right code expires at once. */
export async function tryCode(db: Executor, id: string, hash: string, now: Date, maxAttempts: number): Promise<CodeTry> {
  const tried = await sql<{ account_id: string | null; destination: string | null; attempts: number; matches: boolean }>`
    update recovery_secret set
      attempts = attempts + 1,
      expires_at = case when secret_hash = ${hash} and account_id is not null then ${now} else expires_at end
    where id = ${id} and expires_at > ${now} and attempts < ${maxAttempts}
    returning account_id, destination, attempts, (secret_hash = ${hash} and account_id is not null) as matches`.execute(db)
  const [row] = tried.rows
  if (row === undefined) return { kind: 'gone' }
  if (!row.matches) return { kind: 'wrong', attemptsLeft: maxAttempts - row.attempts }
  return { kind: 'right', accountId: row.account_id as string, destination: row.destination }
}

/** The account's live secret of a purpose, if any (the account page shows a pending confirmation). */
export async function findPendingSecret(db: Executor, accountId: string, purpose: RecoveryPurpose, now: Date, maxAttempts: number): Promise<{ id: string; destination: string | null } | undefined> {
  return db
    .selectFrom('recovery_secret')
    .select(['id', 'destination'])
    .where('account_id', '=', accountId)
    .where('purpose', '=', purpose)
    .where('expires_at', '>', now)
    .where('attempts', '<', maxAttempts)
    .executeTakeFirst()
}
