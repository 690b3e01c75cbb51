/*
 * Checking a diary login and password.
 * - logins compare case-insensitively after trimming (they are stored normalised)
 * - an unknown login, an account without a password, and a wrong password all fail after the same
 *   argon2id work (a dummy hash is verified), so neither the answer nor its time tells whether a
 *   login exists; only the audit learns which account a failure was aimed at
 */
import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { type Account, findAccountCredentials } from './account.repository.js'
import type { PasswordHasher } from './password-hash.js'

const dummyHashes = new WeakMap<PasswordHasher, Promise<string>>()

function dummyHash(hasher: PasswordHasher): Promise<string> {
  let hash = dummyHashes.get(hasher)
  if (hash === undefined) {
    hash = hasher.hash(randomBytes(16).toString('hex'))
    dummyHashes.set(hasher, hash)
    hash.catch(() => dummyHashes.delete(hasher))
  }
  return hash
}

export type CredentialCheck = { ok: true; account: Account } | { ok: false; accountId: string | undefined }

export async function checkCredentials(
  db: Kysely<Database>,
  hasher: PasswordHasher,
  region: string,
  login: string,
  password: string,
): Promise<CredentialCheck> {
  const found = await findAccountCredentials(db, region, login)
  const hash = found?.passwordHash ?? (await dummyHash(hasher))
  const valid = await hasher.verify(hash, password)
  return valid && found?.passwordHash ? { ok: true, account: found.account } : { ok: false, accountId: found?.account.id }
}
