/*
 * Signing keys in the database, rotated in stages (as oidc-provider's keystore: the first key signs,
 * the others only verify):
 * - a key is published (in the JWKS) from its creation until `retires_at`
 * - it signs from `signs_from`: a rotated-in key waits `keyPublishSeconds` (at least the JWKS cache
 *   lifetime plus the instances' reload interval), so every verifier can know it before it signs
 * - the key it replaces keeps verifying until every token it signed has expired:
 *   retires_at = new signs_from + the longest token lifetime + 60 s of clock skew
 * - the signing key is the published key with the latest `signs_from` not in the future: a function of
 *   the rows and the clock, so every instance on one database picks the same key at the same moment
 * - the private JWK is stored encrypted with KEY_ENCRYPTION_KEY (key-encryption.ts); kid = RFC 7638 thumbprint
 * - rotation and first creation run under a transaction-scoped advisory lock: one key per rotation,
 *   however many instances start at once
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose'
import { type Kysely, sql } from 'kysely'
import type { Config } from '../config/load.js'
import { longestAccessTokenTtl } from '../config/token-lifetimes.js'
import type { Database, SigningAlgorithm } from '../db/schema.js'
import { encryptPrivateKey } from './key-encryption.js'

export interface KeyPolicy {
  alg: SigningAlgorithm
  publishSeconds: number
  /** The longest lifetime of a token these keys sign. */
  maxTokenTtlSeconds: number
  rotationDays: number
}

/** The key policy that follows from the configuration. */
export function keyPolicy(config: Config): KeyPolicy {
  const tokens = config.bridge.tokens
  return {
    alg: tokens.signingAlgorithm,
    publishSeconds: tokens.keyPublishSeconds,
    maxTokenTtlSeconds: Math.max(longestAccessTokenTtl(config), tokens.idTokenTtlSeconds),
    rotationDays: tokens.keyRotationDays,
  }
}

export interface KeyRow {
  kid: string
  alg: SigningAlgorithm
  public_jwk: Record<string, unknown>
  private_jwk_encrypted: string
  created_at: Date
  signs_from: Date
  retires_at: Date | null
}

export type KeyState = 'pending' | 'signing' | 'verifying' | 'retired'

const LOCK = 7_404_111_201

export function isPublished(key: KeyRow, now: Date): boolean {
  return key.retires_at === null || key.retires_at > now
}

/** The key that signs at `now`: published, `signs_from` reached, the latest such. */
export function signingKeyOf(keys: readonly KeyRow[], now: Date): KeyRow | undefined {
  return keys
    .filter((key) => isPublished(key, now) && key.signs_from <= now)
    .reduce<KeyRow | undefined>(
      (best, key) => (best === undefined || key.signs_from > best.signs_from ? key : best),
      undefined,
    )
}

export function keyState(key: KeyRow, keys: readonly KeyRow[], now: Date): KeyState {
  if (!isPublished(key, now)) return 'retired'
  if (key.signs_from > now) return 'pending'
  return signingKeyOf(keys, now)?.kid === key.kid ? 'signing' : 'verifying'
}

export async function generateSigningKey(
  alg: SigningAlgorithm,
): Promise<{ kid: string; publicJwk: JWK; privateJwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  })
  const publicJwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(publicJwk)
  return {
    kid,
    publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg },
  }
}

export function listKeys(db: Kysely<Database>): Promise<KeyRow[]> {
  return db.selectFrom('signing_key').selectAll().orderBy('signs_from').execute()
}

/** Inserts a key signing from `signsFrom`; every key not yet retiring retires after it took over. */
async function insertKey(db: Kysely<Database>, kek: Buffer, policy: KeyPolicy, signsFrom: Date): Promise<string> {
  const key = await generateSigningKey(policy.alg)
  const retiresAt = new Date(signsFrom.getTime() + (policy.maxTokenTtlSeconds + 60) * 1000)
  await db.updateTable('signing_key').set({ retires_at: retiresAt }).where('retires_at', 'is', null).execute()
  await db
    .insertInto('signing_key')
    .values({
      kid: key.kid,
      alg: policy.alg,
      public_jwk: JSON.stringify(key.publicJwk),
      private_jwk_encrypted: encryptPrivateKey(kek, key.kid, JSON.stringify(key.privateJwk)),
      signs_from: signsFrom,
    })
    .execute()
  return key.kid
}

/** Stages a new key: published now, signing after `publishSeconds`. Returns its kid. */
export function rotateSigningKey(db: Kysely<Database>, kek: Buffer, policy: KeyPolicy, now: Date): Promise<string> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${LOCK})`.execute(trx)
    return insertKey(trx, kek, policy, new Date(now.getTime() + policy.publishSeconds * 1000))
  })
}

export type Maintenance = 'created' | 'rotated' | 'unchanged'

/**
 * Creates the first key (signing at once: nobody can have cached an older JWKS), starts a rotation
 * when the signing key is older than `rotationDays` or of another algorithm than configured (unless one
 * is already pending), and forgets keys retired for more than a day.
 */
export function maintainSigningKeys(
  db: Kysely<Database>,
  kek: Buffer,
  policy: KeyPolicy,
  now: Date,
): Promise<Maintenance> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${LOCK})`.execute(trx)
    await trx
      .deleteFrom('signing_key')
      .where('retires_at', '<', new Date(now.getTime() - 86_400_000))
      .execute()
    const keys = (await trx.selectFrom('signing_key').selectAll().execute()) as KeyRow[]
    const signing = signingKeyOf(keys, now)
    const pending = keys.some((key) => key.signs_from > now && isPublished(key, now))
    if (signing === undefined && !pending) {
      await insertKey(trx, kek, policy, now)
      return 'created'
    }
    const due =
      signing !== undefined &&
      (signing.alg !== policy.alg || signing.created_at.getTime() < now.getTime() - policy.rotationDays * 86_400_000)
    if (due && !pending) {
      await insertKey(trx, kek, policy, new Date(now.getTime() + policy.publishSeconds * 1000))
      return 'rotated'
    }
    return 'unchanged'
  })
}
