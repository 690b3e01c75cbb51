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
import { hashPassword, verifyPassword } from './password-hash.js'

let dummyHash: Promise<string> | undefined

function dummy(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'))
  return dummyHash
}

export async function checkCredentials(
  db: Kysely<Database>,
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
  const hash = account?.password_hash ?? (await dummy())
  const valid = await verifyPassword(hash, password).catch(() => false)
  return valid && account?.password_hash ? account : undefined
}
