/*
 * One-time secrets sent to a contact (table recovery_secret): a password-recovery link or SMS code, or
 * the confirmation of a new e-mail address or phone number.
 * - a link carries 32 random bytes; only their SHA-256 is stored. A code is 6 random digits; only its
 *   HMAC is stored (accounts/keyed-hash.ts), so a copy of the table does not give codes away
 * - the owner is a keyed hash of what was typed (recovery) or of the account (confirmations). A recovery
 *   owner has at most two live secrets of a purpose, a confirmation one: a new secret takes a free slot,
 *   else the older one's, replacing it under a new id; the slot is chosen in the inserting statement and
 *   the unique index on (owner, purpose, slot) decides between parallel ones, so there are never more
 *   (migration 0012). Parallel requests of one owner may take the same slot: the later one replaces
 *   the earlier one, and two stay live
 * - a secret without an account is a stand-in for a login that has no such contact: it is stored,
 *   replaced and tried exactly like a real one, so that nothing tells the two apart, and it is never met
 * - a link is spent by deleting it; a code is tried at most `maxAttempts` times, each try counted and
 *   compared in one statement, and a right one uses up the tries in that statement (parallel tries
 *   queue on the row: one is right). A try may name two secrets (the code page of this browser's last
 *   two requests): it is counted on each that is live, and right when either matches
 */
import { createHash, randomBytes, randomInt } from 'node:crypto'
import { sql } from 'kysely'
import type { Executor, RecoveryPurpose } from '../db/schema.js'
import { keyedHash } from './keyed-hash.js'

export interface SecretToStore {
  /** `ownerKey(…)` of the typed login, or of the account. */
  lookupKey: string
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

export function hashCode(key: Buffer, code: string): string {
  return keyedHash(key, 'code', code)
}

/** A new link (its token goes into the URL) or code (it goes into the SMS), with the hash to store. */
export type OneTimeSecret = { kind: 'link'; token: string; hash: string } | { kind: 'code'; code: string; hash: string }

export function newOneTimeSecret(key: Buffer, kind: OneTimeSecret['kind']): OneTimeSecret {
  if (kind === 'link') return { kind, ...newLinkSecret() }
  const code = newCode()
  return { kind, code, hash: hashCode(key, code) }
}

/** A code as typed ("123 456", "123-456"): its 6 digits, or undefined. */
export function parseCode(typed: string): string | undefined {
  const digits = typed.replace(/[\s-]/g, '')
  return /^\d{6}$/.test(digits) ? digits : undefined
}

/** How many secrets of a purpose an owner may have live: a recovery link or code keeps the one before. */
export const liveSecrets: Readonly<Record<RecoveryPurpose, 1 | 2>> = {
  reset_email: 2,
  reset_sms: 2,
  verify_email: 1,
  verify_phone: 1,
}

/** Stores a secret in a free slot of its owner and purpose, else the older one's (replacing it); answers its (new) id. */
export async function storeSecret(db: Executor, secret: SecretToStore): Promise<string> {
  const slot = sql`(
    select s.slot from generate_series(0, ${liveSecrets[secret.purpose] - 1}::int) as s (slot)
    left join recovery_secret taken on taken.lookup_key = ${secret.lookupKey} and taken.purpose = ${secret.purpose} and taken.slot = s.slot
    order by taken.created_at nulls first, s.slot
    limit 1)`
  const result = await sql<{ id: string }>`
    insert into recovery_secret (lookup_key, account_id, purpose, secret_hash, destination, expires_at, slot)
    values (${secret.lookupKey}, ${secret.accountId}, ${secret.purpose}, ${secret.secretHash}, ${secret.destination}, ${secret.expiresAt}, ${slot})
    on conflict (lookup_key, purpose, slot) do update set
      id = gen_random_uuid(), account_id = excluded.account_id, secret_hash = excluded.secret_hash,
      destination = excluded.destination, attempts = 0, created_at = now(), expires_at = excluded.expires_at
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

const liveColumns = ['id', 'account_id', 'destination', 'expires_at'] as const

function toLive(row: {
  id: string
  account_id: string | null
  destination: string | null
  expires_at: Date
}): LiveSecret {
  return { id: row.id, accountId: row.account_id as string, destination: row.destination, expiresAt: row.expires_at }
}

/** The live secret of a link, without spending it (the page behind the link). */
export async function findLinkSecret(
  db: Executor,
  purpose: RecoveryPurpose,
  hash: string,
  now: Date,
): Promise<LiveSecret | undefined> {
  const row = await db
    .selectFrom('recovery_secret')
    .select(liveColumns)
    .where('secret_hash', '=', hash)
    .where('purpose', '=', purpose)
    .where('expires_at', '>', now)
    .where('account_id', 'is not', null)
    .executeTakeFirst()
  return row && toLive(row)
}

/** Spends a link: deletes it if it is still live (one answer per link). */
export async function spendLinkSecret(
  db: Executor,
  purpose: RecoveryPurpose,
  hash: string,
  now: Date,
): Promise<LiveSecret | undefined> {
  const row = await db
    .deleteFrom('recovery_secret')
    .where('secret_hash', '=', hash)
    .where('purpose', '=', purpose)
    .where('expires_at', '>', now)
    .where('account_id', 'is not', null)
    .returning(liveColumns)
    .executeTakeFirst()
  return row && toLive(row)
}

/** Deletes the account's live secrets of these purposes (a password or a contact changed: what was sent before dies). */
export async function deleteSecretsOf(
  db: Executor,
  accountId: string,
  purposes: readonly RecoveryPurpose[],
): Promise<void> {
  await db
    .deleteFrom('recovery_secret')
    .where('account_id', '=', accountId)
    .where('purpose', 'in', [...purposes])
    .execute()
}

/** Deletes every secret of an account, whatever its purpose (its erasure). */
export async function deleteAllSecretsOf(db: Executor, accountId: string): Promise<void> {
  await db.deleteFrom('recovery_secret').where('account_id', '=', accountId).execute()
}

export type CodeTry =
  | { kind: 'right'; accountId: string; destination: string | null }
  /** The most tries left among the secrets tried. */
  | { kind: 'wrong'; attemptsLeft: number }
  /** Expired, replaced by newer codes, used, or out of tries. */
  | { kind: 'gone' }

/** One try of a code against these secrets (one, or two), counted and compared in one statement; a right code uses up its tries. */
export async function tryCode(
  db: Executor,
  ids: readonly string[],
  hash: string,
  now: Date,
  maxAttempts: number,
): Promise<CodeTry> {
  if (ids.length === 0) return { kind: 'gone' }
  const matches = sql<boolean>`(secret_hash = ${hash} and account_id is not null)`
  const tried = await sql<{
    account_id: string | null
    destination: string | null
    attempts: number
    matches: boolean
  }>`
    update recovery_secret set attempts = case when ${matches} then ${maxAttempts} else attempts + 1 end
    where id in (${sql.join(ids)}) and expires_at > ${now} and attempts < ${maxAttempts}
    returning account_id, destination, attempts, ${matches} as matches`.execute(db)
  const right = tried.rows.find((row) => row.matches)
  if (right !== undefined)
    return { kind: 'right', accountId: right.account_id as string, destination: right.destination }
  if (tried.rows.length === 0) return { kind: 'gone' }
  return { kind: 'wrong', attemptsLeft: maxAttempts - Math.min(...tried.rows.map((row) => row.attempts)) }
}

/** The account's live secret of a purpose that has tries left, if any (the account page asks for a pending code). */
export async function findPendingSecret(
  db: Executor,
  accountId: string,
  purpose: RecoveryPurpose,
  now: Date,
  maxAttempts: number,
): Promise<{ id: string; destination: string | null } | undefined> {
  return db
    .selectFrom('recovery_secret')
    .select(['id', 'destination'])
    .where('account_id', '=', accountId)
    .where('purpose', '=', purpose)
    .where('expires_at', '>', now)
    .where('attempts', '<', maxAttempts)
    .executeTakeFirst()
}
