/*
 * Password hashing with argon2id at OWASP's recommended parameters (m = 19 MiB, t = 2, p = 1).
 * - hashes are PHC strings ($argon2id$v=19$m=…,t=…,p=…$salt$hash); imported hashes must be argon2id
 *   with at least these parameters, so that no weaker hash enters the database
 */
import { type Algorithm, hash, verify } from '@node-rs/argon2'

// `Algorithm` is an ambient const enum, which isolated modules cannot read: 2 is Argon2id.
const argon2id = 2 as Algorithm.Argon2id

export const argon2idParameters = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const

export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: argon2id, ...argon2idParameters })
}

export function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  return verify(passwordHash, password)
}

const phc = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}$/

/** Why an imported hash is not acceptable, or undefined when it is. */
export function checkImportedHash(text: string): string | undefined {
  const match = phc.exec(text)
  if (!match) return 'must be an argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash)'
  const [memory, time] = [Number(match[1]), Number(match[2])]
  // OWASP: m=19456,t=2 or m=12288,t=3 or m=9216,t=4 or m=7168,t=5 — equal cost, so compare m·t.
  if (memory * time < 35_840 || memory < 7168) {
    return 'is weaker than argon2id m=19456,t=2 (OWASP minimum)'
  }
  return undefined
}
