/*
 * An account's second factors and recovery codes: the one place that reads or writes `account_factor` and
 * `account_recovery_code` (migration 0016).
 * - every statement names the account in its WHERE when the caller knows it (a factor id from a browser
 *   never reaches another account's factor); ids that cannot be uuids are "not found", not a database error
 * - a TOTP factor is pending until its first code (confirmTotp); an account has one pending at a time (a new
 *   enrolment replaces it, under a lock of the account's enrolments); a pending one counts nowhere and is deleted after
 *   `pendingTotpLifetimeMs` (ops/maintenance.ts), and cannot be confirmed after it
 * - a TOTP step is spent by one UPDATE that only moves totp_last_step forward: of two instances given the
 *   same code, one wins
 * - a passkey's signature counter only moves forward; both 0 is an authenticator without a counter
 *   (WebAuthn §6.1.1); anything else that does not grow is refused (a cloned authenticator)
 * - a recovery code is spent by one UPDATE of an unused row: single use under parallel tries
 */
import { type RawBuilder, type Selectable, sql } from 'kysely'
import { cte } from '../db/cte.js'
import { accountStateAndRegionSql } from '../accounts/account.repository.js'
import { inTransaction } from '../db/transaction.js'
import { type AccountFactorTable, type AccountState, type Executor, type FactorKind, isUuid } from '../db/schema.js'

/** How long a TOTP enrolment may wait for its first code. */
export const pendingTotpLifetimeMs = 3_600_000

/** A confirmed factor as the account page lists it: nothing secret. */
export interface Factor {
  id: string
  kind: FactorKind
  name: string
  createdAt: Date
  confirmedAt: Date
  lastUsedAt: Date | null
  /** Passkeys: whether the credential may live on several devices (synced); null for TOTP. */
  multiDevice: boolean | null
  backedUp: boolean | null
}

export interface FactorSummary {
  passkeys: number
  totp: number
  recoveryCodesLeft: number
}

export interface NewPasskey {
  name: string
  credentialId: Buffer
  publicKey: Buffer
  signCount: number
  transports: string[]
  multiDevice: boolean
  backedUp: boolean
}

export type AddPasskeyOutcome = { kind: 'added'; id: string } | { kind: 'already_registered' }

export interface Passkey {
  id: string
  accountId: string
  name: string
  credentialId: Buffer
  publicKey: Buffer
  signCount: number
  transports: string[]
  /** A synced passkey (its key may live on several devices): amr swk rather than hwk. */
  multiDevice: boolean | null
}

/** A passkey found by its credential id (discoverable sign-in), with what its account is. */
export interface PasskeyOfAccount extends Passkey {
  accountState: AccountState
  accountRegion: string
}

export interface PendingTotp {
  id: string
  name: string
  sealedSecret: string
  createdAt: Date
}

export interface TotpFactor {
  id: string
  name: string
  sealedSecret: string
  /** The step of the last code accepted (the confirming code's at first); null only for rows made otherwise. */
  lastStep: number | null
}

export interface RemovedFactors {
  passkeys: number
  totp: number
  recoveryCodes: number
}

type FactorRow = Selectable<AccountFactorTable>

const bytes = (value: Uint8Array | null) => Buffer.from(value ?? new Uint8Array())

function toPasskey(row: FactorRow): Passkey {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    credentialId: bytes(row.credential_id),
    publicKey: bytes(row.public_key),
    signCount: Number(row.sign_count ?? 0),
    transports: row.transports ?? [],
    multiDevice: row.multi_device,
  }
}

/** The account's confirmed factors, oldest first. */
export async function listFactors(db: Executor, accountId: string): Promise<Factor[]> {
  const rows = await db
    .selectFrom('account_factor')
    .select(['id', 'kind', 'name', 'created_at', 'confirmed_at', 'last_used_at', 'multi_device', 'backed_up'])
    .where('account_id', '=', accountId)
    .where('confirmed_at', 'is not', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    name: row.name,
    createdAt: row.created_at,
    confirmedAt: row.confirmed_at as Date,
    lastUsedAt: row.last_used_at,
    multiDevice: row.multi_device,
    backedUp: row.backed_up,
  }))
}

/** How many confirmed passkeys and TOTP factors the account has, and how many recovery codes are unused. */
export async function factorSummary(db: Executor, accountId: string): Promise<FactorSummary> {
  const { rows } = await sql<{ passkeys: number; totp: number; codes: number }>`
    select
      (select count(*)::int from account_factor where account_id = ${accountId} and kind = 'passkey' and confirmed_at is not null) as passkeys,
      (select count(*)::int from account_factor where account_id = ${accountId} and kind = 'totp' and confirmed_at is not null) as totp,
      (select count(*)::int from account_recovery_code where account_id = ${accountId} and used_at is null) as codes`.execute(
    db,
  )
  const row = rows[0]
  return { passkeys: row?.passkeys ?? 0, totp: row?.totp ?? 0, recoveryCodesLeft: row?.codes ?? 0 }
}

/** Stores a verified passkey; a credential id registered before (to any account) is `already_registered`. */
export async function addPasskey(db: Executor, accountId: string, passkey: NewPasskey): Promise<AddPasskeyOutcome> {
  const row = await db
    .insertInto('account_factor')
    .values({
      account_id: accountId,
      kind: 'passkey',
      name: passkey.name,
      confirmed_at: sql<Date>`now()`,
      credential_id: passkey.credentialId,
      public_key: passkey.publicKey,
      sign_count: passkey.signCount,
      transports: passkey.transports,
      multi_device: passkey.multiDevice,
      backed_up: passkey.backedUp,
    })
    .onConflict((conflict) => conflict.column('credential_id').doNothing())
    .returning('id')
    .executeTakeFirst()
  return row === undefined ? { kind: 'already_registered' } : { kind: 'added', id: row.id }
}

/** The account's passkeys (for allowCredentials and excludeCredentials). */
export async function findPasskeysOfAccount(db: Executor, accountId: string): Promise<Passkey[]> {
  const rows = await db
    .selectFrom('account_factor')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('kind', '=', 'passkey')
    .orderBy('created_at')
    .execute()
  return rows.map(toPasskey)
}

/** The passkey of a credential id, with its account's state and region (the sign-in checks both). */
export async function findPasskeyByCredentialId(
  db: Executor,
  credentialId: Buffer,
): Promise<PasskeyOfAccount | undefined> {
  const account = accountStateAndRegionSql(sql<string>`account_factor.account_id`)
  const row = await db
    .selectFrom('account_factor')
    .selectAll()
    .select([account.state.as('account_state'), account.region.as('account_region')])
    .where('credential_id', '=', credentialId)
    .where('kind', '=', 'passkey')
    .executeTakeFirst()
  return row && { ...toPasskey(row), accountState: row.account_state, accountRegion: row.account_region }
}

/** Records a passkey sign-in; false (nothing written) when the counter did not grow: a cloned authenticator. */
export async function recordPasskeyUse(
  db: Executor,
  factorId: string,
  newSignCount: number,
  now: Date,
): Promise<boolean> {
  if (!isUuid(factorId)) return false
  const result = await db
    .updateTable('account_factor')
    .set({ sign_count: newSignCount, last_used_at: now })
    .where('id', '=', factorId)
    .where('kind', '=', 'passkey')
    .where(sql<boolean>`(sign_count < ${newSignCount}::bigint or (sign_count = 0 and ${newSignCount}::bigint = 0))`)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/**
 * A new pending TOTP factor (its QR code is being shown); replaces the account's pending one, if any. Two
 * enrolments of one account at once queue on a transaction-scoped advisory lock of the account (no row to
 * lock exists before the first), so one pending factor is left, the later one.
 */
export async function startTotp(db: Executor, accountId: string, name: string, sealedSecret: string): Promise<string> {
  return inTransaction(db, async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`account_factor:pending_totp:${accountId}`}, 0))`.execute(
      trx,
    )
    await trx
      .deleteFrom('account_factor')
      .where('account_id', '=', accountId)
      .where('kind', '=', 'totp')
      .where('confirmed_at', 'is', null)
      .execute()
    const row = await trx
      .insertInto('account_factor')
      .values({ account_id: accountId, kind: 'totp', name, totp_secret_encrypted: sealedSecret })
      .returning('id')
      .executeTakeFirstOrThrow()
    return row.id
  })
}

/** The account's pending TOTP factor `factorId`, while it may still be confirmed. */
export async function findPendingTotp(
  db: Executor,
  accountId: string,
  factorId: string,
  now: Date = new Date(),
): Promise<PendingTotp | undefined> {
  if (!isUuid(factorId)) return undefined
  const row = await db
    .selectFrom('account_factor')
    .select(['id', 'name', 'totp_secret_encrypted', 'created_at'])
    .where('id', '=', factorId)
    .where('account_id', '=', accountId)
    .where('kind', '=', 'totp')
    .where('confirmed_at', 'is', null)
    .where('created_at', '>', new Date(now.getTime() - pendingTotpLifetimeMs))
    .executeTakeFirst()
  return (
    row && { id: row.id, name: row.name, sealedSecret: row.totp_secret_encrypted as string, createdAt: row.created_at }
  )
}

/** Confirms a pending TOTP factor with the step of its first right code (spent with it); false if none is pending. */
export async function confirmTotp(
  db: Executor,
  accountId: string,
  factorId: string,
  step: number,
  now: Date,
): Promise<boolean> {
  if (!isUuid(factorId)) return false
  const result = await db
    .updateTable('account_factor')
    .set({ confirmed_at: now, totp_last_step: step })
    .where('id', '=', factorId)
    .where('account_id', '=', accountId)
    .where('kind', '=', 'totp')
    .where('confirmed_at', 'is', null)
    .where('created_at', '>', new Date(now.getTime() - pendingTotpLifetimeMs))
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/**
 * `findTotpFactors` as a value of a larger read (one JSON array, oldest first), to read beside other
 * owners' rows in one round trip; `totpFactorsFrom` makes the factors of it.
 */
export function totpFactorsSql(accountId: string): RawBuilder<unknown> {
  return sql`(select coalesce(json_agg(json_build_object('id', id, 'name', name, 'sealed', totp_secret_encrypted,
      'last_step', totp_last_step) order by created_at), '[]'::json)
    from account_factor where account_id = ${accountId}::uuid and kind = 'totp' and confirmed_at is not null)`
}

export function totpFactorsFrom(value: unknown): TotpFactor[] {
  const rows = value as { id: string; name: string; sealed: string; last_step: number | string | null }[]
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    sealedSecret: row.sealed,
    lastStep: row.last_step === null ? null : Number(row.last_step),
  }))
}

/** `spendTotpStep` as part of a larger statement: the factor's id once, for the one caller that spent the step. */
export function spendTotpStepCte<Name extends string>(name: Name, factorId: string, step: number, now: Date) {
  return cte(
    name,
    ['id'],
    sql`update account_factor set totp_last_step = ${step}, last_used_at = ${now}
      where id = ${factorId}::uuid and kind = 'totp' and confirmed_at is not null
        and (totp_last_step is null or totp_last_step < ${step}::bigint)
      returning id`,
  )
}

/** `spendRecoveryCode` as part of a larger statement: the code's account id once, for the one caller that spent it. */
export function spendRecoveryCodeCte<Name extends string>(name: Name, accountId: string, hash: string, now: Date) {
  return cte(
    name,
    ['id'],
    sql`update account_recovery_code set used_at = ${now}
      where account_id = ${accountId}::uuid and code_hash = ${hash} and used_at is null
      returning account_id as id`,
  )
}

/** Renames one of the account's factors (the name as `normaliseFactorName` gives it); false if it has none such. */
export async function renameFactor(db: Executor, accountId: string, factorId: string, name: string): Promise<boolean> {
  if (!isUuid(factorId)) return false
  const result = await db
    .updateTable('account_factor')
    .set({ name })
    .where('id', '=', factorId)
    .where('account_id', '=', accountId)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/** Removes one of the account's factors; false if it has none such. */
export async function removeFactor(db: Executor, accountId: string, factorId: string): Promise<boolean> {
  if (!isUuid(factorId)) return false
  const result = await db
    .deleteFrom('account_factor')
    .where('id', '=', factorId)
    .where('account_id', '=', accountId)
    .executeTakeFirst()
  return result.numDeletedRows > 0n
}

/** Replaces the account's recovery codes (used or not) by a new set of keyed hashes, as one unit. */
export async function replaceRecoveryCodes(db: Executor, accountId: string, hashes: readonly string[]): Promise<void> {
  await inTransaction(db, async (trx) => {
    await trx.deleteFrom('account_recovery_code').where('account_id', '=', accountId).execute()
    if (hashes.length === 0) return
    await trx
      .insertInto('account_recovery_code')
      .values(hashes.map((code_hash) => ({ account_id: accountId, code_hash })))
      .execute()
  })
}

/** Removes every factor (pending ones too) and recovery code of the account; answers what was confirmed or unused. */
export async function removeAllFactors(db: Executor, accountId: string): Promise<RemovedFactors> {
  const { rows } = await sql<{ passkeys: number; totp: number; codes: number }>`
    with factors as (
      delete from account_factor where account_id = ${accountId} returning kind, confirmed_at),
    codes as (
      delete from account_recovery_code where account_id = ${accountId} returning used_at)
    select
      (select count(*)::int from factors where kind = 'passkey') as passkeys,
      (select count(*)::int from factors where kind = 'totp' and confirmed_at is not null) as totp,
      (select count(*)::int from codes where used_at is null) as codes`.execute(db)
  const row = rows[0]
  return { passkeys: row?.passkeys ?? 0, totp: row?.totp ?? 0, recoveryCodes: row?.codes ?? 0 }
}
