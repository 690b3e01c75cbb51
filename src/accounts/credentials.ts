/*
 * Checking a diary login and password.
 * - what was typed may be the login or the SNILS ("Логин или СНИЛС"): a well-formed SNILS with a valid
 *   check number is looked up by its HMAC within the region (`identifyLogin`); one that names no account
 *   is tried as a login, and fails like any unknown login
 * - the throttle counts a keyed hash (accounts/keyed-hash.ts), never what was typed: of the login of the
 *   account a SNILS names, of a SNILS that names none (its digits, whichever way it was written), or of
 *   the typed text as a login (a mistyped SNILS, an e-mail address, a phone number included)
 * - logins compare case-insensitively after trimming (they are stored normalised)
 * - an unknown login, an account without a password, and a wrong password all fail after the same
 *   argon2id work (a dummy hash is verified), so neither the answer nor its time tells whether a
 *   login exists; only the audit learns which account a failure was aimed at
 * - a deactivated account fails as `closed` after the same work, right password or not: its owner is
 *   told that the school closed access, and a stranger learns nothing about the password
 */
import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { hmacSnils, parseSnils } from '../person/snils.js'
import { type Account, findAccountCredentials, findAccountsBySnils, normaliseLogin } from './account.repository.js'
import { typedKey } from './keyed-hash.js'
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

export interface TypedLogin {
  /** The login to check the password against. */
  login: string
  /**
   * What the throttle counts for this attempt, as a keyed hash: of the account's login when the SNILS
   * named one, of the SNILS when it named none, else of the typed login (nothing typed is stored in clear).
   */
  throttleKey: string
}

/** The login behind what was typed in the login field: the login itself, or the SNILS of an account of the region. */
export async function identifyLogin(
  db: Kysely<Database>,
  region: string,
  typed: string,
  snilsPepper: Buffer,
): Promise<TypedLogin> {
  const snils = parseSnils(typed)
  if (!snils.ok) return { login: typed, throttleKey: typedKey(snilsPepper, { login: normaliseLogin(typed) }) }
  const accounts = await findAccountsBySnils(db, region, hmacSnils(snilsPepper, snils.digits), 2)
  const [account] = accounts
  if (accounts.length === 1 && account !== undefined)
    return { login: account.login, throttleKey: typedKey(snilsPepper, { login: account.login }) }
  return { login: typed, throttleKey: typedKey(snilsPepper, { snils: snils.digits }) }
}

/** `closed`: the login names a deactivated account (whatever the password: the answer does not tell). */
export type CredentialCheck =
  { ok: true; account: Account } | { ok: false; accountId: string | undefined; closed: boolean }

export async function checkCredentials(
  db: Kysely<Database>,
  hasher: PasswordHasher,
  region: string,
  login: string,
  password: string,
): Promise<CredentialCheck> {
  const stored = await findAccountCredentials(db, region, login)
  // An erased account has no login any more (its row's login is its id): unknown.
  const found = stored?.account.state === 'erased' ? undefined : stored
  const hash = found?.passwordHash ?? (await dummyHash(hasher))
  const valid = await hasher.verify(hash, password)
  const closed = found !== undefined && found.account.state !== 'active'
  return valid && found?.passwordHash && !closed
    ? { ok: true, account: found.account }
    : { ok: false, accountId: found?.account.id, closed }
}
