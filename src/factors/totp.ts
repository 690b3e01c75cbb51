/*
 * One-time codes from an authenticator app (TOTP, RFC 6238) through `otpauth`.
 * - a secret is 20 random bytes (RFC 4226 §4 asks for at least 128 bits, recommends 160), shown as base32
 * - codes are HMAC-SHA1, 6 digits, 30-second steps: what every authenticator app reads from an otpauth:// URI
 * - a code counts for the current step and the one before and after (RFC 6238 §5.2: one step of clock drift)
 * - a code counts only for a step later than the last one accepted (§5.2: "MUST NOT accept the second attempt
 *   of the same OTP"); the caller spends the step in the database (factor.repository.ts spendTotpStep)
 * - typed spaces are forgiven ("123 456"); anything but exactly 6 digits is no code
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { HOTP, Secret, TOTP } from 'otpauth'

const algorithm = 'SHA1'
const digits = 6
const periodSeconds = 30

/** A new TOTP secret: 20 random bytes, base32 (what the QR code and the manual-entry text carry). */
export function createTotpSecret(): string {
  return new Secret({ buffer: new Uint8Array(randomBytes(20)).buffer }).base32
}

/** The otpauth:// URI an authenticator app scans: `issuer:label`, SHA1, 6 digits, 30 s. */
export function totpUri(input: { secret: string; issuer: string; label: string }): string {
  return new TOTP({
    issuer: input.issuer,
    label: input.label,
    secret: Secret.fromBase32(input.secret),
    algorithm,
    digits,
    period: periodSeconds,
  }).toString()
}

/** The time step (Unix time / 30 s) of an instant. */
export function totpStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / periodSeconds)
}

/** A code as typed: its 6 digits, or undefined. */
export function normaliseTotpCode(typed: string): string | undefined {
  const code = typed.replace(/\s/g, '')
  return /^\d{6}$/.test(code) ? code : undefined
}

/**
 * The time step a typed code belongs to: now, the step before or the step after, and only a step later than
 * `lastStep` (the last accepted; null: none yet). Undefined for a wrong, malformed or already spent code.
 */
export function matchTotpCode(
  secret: string,
  code: string,
  nowMs: number,
  lastStep: number | null,
): number | undefined {
  const typed = normaliseTotpCode(code)
  if (typed === undefined) return undefined
  const key = Secret.fromBase32(secret)
  const now = totpStep(nowMs)
  for (const step of [now, now - 1, now + 1]) {
    if (lastStep !== null && step <= lastStep) continue
    const expected = HOTP.generate({ secret: key, algorithm, digits, counter: step })
    if (timingSafeEqual(Buffer.from(expected), Buffer.from(typed))) return step
  }
  return undefined
}
