/*
 * Recovery codes: ten single-use codes shown once, for the day the phone or the passkey is lost.
 * - a code is 12 characters from 31 (digits 2–9, latin letters without i, l, o): 59 bits, more than the
 *   50 a code that is only ever tried under the sign-in throttle needs
 * - none of 0/O, 1/l/I is used, so a code read aloud or copied from paper has no look-alikes
 * - shown as three groups of four (`7hq2-mxk4-c9fa`); typed in any case, with or without spaces and dashes
 * - the table keeps a keyed hash of the normalised code (factor-secret.ts hashRecoveryCode), never the code
 */
import { randomInt } from 'node:crypto'

export const recoveryCodeAlphabet = '23456789abcdefghjkmnpqrstuvwxyz'
const groups = 3
const groupLength = 4
const codeLength = groups * groupLength
export const recoveryCodesPerSet = 10

/** A new set of recovery codes, formatted for reading (`xxxx-xxxx-xxxx`). */
export function createRecoveryCodes(): string[] {
  return Array.from({ length: recoveryCodesPerSet }, createRecoveryCode)
}

function createRecoveryCode(): string {
  const characters = Array.from(
    { length: codeLength },
    () => recoveryCodeAlphabet[randomInt(recoveryCodeAlphabet.length)],
  )
  const parts = Array.from({ length: groups }, (_, i) =>
    characters.slice(i * groupLength, (i + 1) * groupLength).join(''),
  )
  return parts.join('-')
}

/** A typed recovery code as stored (12 lower-case characters, no separators), or undefined if it cannot be one. */
export function normaliseRecoveryCode(typed: string): string | undefined {
  const code = typed.toLowerCase().replace(/[\s-]/g, '')
  if (code.length !== codeLength) return undefined
  return [...code].every((character) => recoveryCodeAlphabet.includes(character)) ? code : undefined
}
