/*
 * Keyed hashes: what a table keeps instead of a value a person typed or received (a login, a SNILS,
 * an e-mail address, a phone number, a one-time code) when it only has to recognise the value again.
 * - one key, derived from SNILS_PEPPER by HKDF-SHA256 (never the pepper itself), so a copy of the
 *   tables gives none of those values away; HMAC-SHA256 of a labelled value, in hex
 * - `ownerKey`: whose secret or counter it is (`recovery:29:<typed>`, `account:<id>`, `to:<contact>`)
 * - `typedKey`: what the throttle counts for what was typed in the login field, a login or a SNILS
 *   (login_throttle never holds typed text: accounts/throttle.ts)
 */
import { createHmac, hkdfSync } from 'node:crypto'

const derivedKeys = new WeakMap<Buffer, Buffer>()

/** The key of every keyed hash here, derived from SNILS_PEPPER. */
export function secretsKey(pepper: Buffer): Buffer {
  let key = derivedKeys.get(pepper)
  if (key === undefined) {
    key = Buffer.from(hkdfSync('sha256', pepper, Buffer.alloc(0), 'diary-bridge one-time secrets', 32))
    derivedKeys.set(pepper, key)
  }
  return key
}

export const keyedHash = (key: Buffer, label: string, value: string) =>
  createHmac('sha256', key).update(`${label}:${value}`).digest('hex')

/** Who a secret or a counter belongs to (`recovery:29:<typed>`, `account:<id>`, `to:+7…`), as a keyed hash: nothing readable in the tables. */
export function ownerKey(key: Buffer, owner: string): string {
  return keyedHash(key, 'owner', owner)
}

/** A typed login (normalised) or SNILS (its 11 digits) as the throttle names it. */
export type Typed = { login: string } | { snils: string }

/** What the throttle counts for a typed login or SNILS: a keyed hash, whatever was typed. */
export function typedKey(pepper: Buffer, typed: Typed): string {
  return keyedHash(secretsKey(pepper), 'typed', 'login' in typed ? `login:${typed.login}` : `snils:${typed.snils}`)
}
