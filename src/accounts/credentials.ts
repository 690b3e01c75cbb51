/*
 * Checking a diary login and password.
 * - logins compare case-insensitively after trimming (they are stored normalised)
 * - an unknown login, an account without a password, and a wrong password all answer `undefined`
 *   after the same argon2id work (a dummy hash is verified), so neither the answer nor its time
 *   tells whether a login exists
 */
import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database, DiaryAccountRow } from '../db/schema.js'
import { normaliseLogin } from './import/validate-row.js'
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

export async function checkCredentials(
  db: Kysely<Database>,
  hasher: PasswordHasher,
  region: string,
  login: string,
  password: string,
): Promise<DiaryAccountRow | undefined> {
  const account = await db
    .selectFrom('diary_account')
    .selectAll()
    .where('region', '=', region)
    .where('login', '=', normaliseLogin(login))
    .executeTakeFirst()
  const hash = account?.password_hash ?? (await dummyHash(hasher))
  const valid = await hasher.verify(hash, password)
  return valid && account?.password_hash ? account : undefined
}
