/*
 * Factor secrets at rest.
 * - a TOTP secret is sealed with AES-256-GCM under a key derived from KEY_ENCRYPTION_KEY by HKDF-SHA256 with
 *   its own label, so the KEK itself only ever encrypts signing keys (tokens/key-encryption.ts) and a
 *   ciphertext of one use never opens as the other
 * - a fresh 96-bit IV per seal; format `f1.<iv>.<tag>.<ciphertext>`, base64url parts; a changed part, another
 *   key or another format throws (a tampered row must never yield a secret)
 * - recovery codes are kept as keyed hashes in the family of accounts/keyed-hash.ts (the key derived from
 *   SNILS_PEPPER that already hashes one-time codes, logins and contacts): a code is a one-time secret the
 *   bridge only has to recognise, never to read back. The account id is part of the hashed value, so equal
 *   codes of two accounts do not look equal in the table
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { keyedHash } from '../accounts/keyed-hash.js'

const derivedKeys = new WeakMap<Buffer, Buffer>()
const version = 'f1'

/** The key that seals factor secrets, derived from KEY_ENCRYPTION_KEY (never the KEK itself). */
export function factorSecretKey(keyEncryptionKey: Buffer): Buffer {
  let key = derivedKeys.get(keyEncryptionKey)
  if (key === undefined) {
    key = Buffer.from(hkdfSync('sha256', keyEncryptionKey, Buffer.alloc(0), 'diary-bridge factor secrets', 32))
    derivedKeys.set(keyEncryptionKey, key)
  }
  return key
}

export function sealFactorSecret(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return [version, ...[iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url'))].join('.')
}

/** The sealed secret; throws when it was sealed under another key, changed, or is not a sealed secret. */
export function openFactorSecret(key: Buffer, sealed: string): string {
  const parts = sealed.split('.')
  const [format, iv, tag, ciphertext] = parts
  if (parts.length !== 4 || format !== version || iv === undefined || tag === undefined || ciphertext === undefined) {
    throw new Error('a factor secret in an unknown format')
  }
  const ivBytes = Buffer.from(iv, 'base64url')
  const tagBytes = Buffer.from(tag, 'base64url')
  // GCM would accept a shorter tag (a forger's shortcut): only the full 16 bytes count.
  if (ivBytes.length !== 12 || tagBytes.length !== 16) throw new Error('a factor secret in an unknown format')
  const decipher = createDecipheriv('aes-256-gcm', key, ivBytes, { authTagLength: 16 })
  decipher.setAuthTag(tagBytes)
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8')
}

/** What account_recovery_code keeps for a code: `key` is `secretsKey(SNILS_PEPPER)`, the code normalised. */
export function hashRecoveryCode(key: Buffer, accountId: string, normalisedCode: string): string {
  return keyedHash(key, 'recovery-code', `${accountId}:${normalisedCode}`)
}
