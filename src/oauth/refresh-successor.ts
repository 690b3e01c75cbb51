/*
 * The successor of a rotated refresh token, kept so that a repeated refresh within the grace period
 * gets the same new token (refresh-rotation.ts):
 * - sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the old token's value, which the
 *   database never holds (it holds SHA-256 of it): a copy of the database opens no successor
 * - only the one who presents the old token can open it; a seal that does not open is no successor
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

const info = 'diary-bridge refresh successor v1'

function keyOf(token: string): Buffer {
  return Buffer.from(hkdfSync('sha256', token, '', info, 32))
}

/** iv (12) | tag (16) | ciphertext, base64url. */
export function sealSuccessor(token: string, successor: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', keyOf(token), iv)
  const sealed = Buffer.concat([cipher.update(successor, 'utf8'), cipher.final()])
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')
}

/** The successor sealed for `token`, or undefined when there is none or the seal does not open. */
export function openSuccessor(token: string, sealed: string | null): string | undefined {
  if (sealed === null) return undefined
  const bytes = Buffer.from(sealed, 'base64url')
  if (bytes.length < 29) return undefined
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(token), bytes.subarray(0, 12))
    decipher.setAuthTag(bytes.subarray(12, 28))
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8')
  } catch {
    return undefined
  }
}
