/*
 * SNILS, the Russian individual insurance account number: 11 digits, NNN-NNN-NNN CC.
 * - compares as 11 digits after removing spaces, dashes and other separators
 * - the check number is (Σ d_i·(10−i) for i = 1..9, mod 101) mod 100
 * - numbers up to 001-001-998 were issued without a check number: any CC is accepted for them
 * - 000-000-000 is never a real number
 * - an invalid SNILS counts as absent for linking; it is never stored, only its HMAC and last 4 digits
 */
import { createHmac } from 'node:crypto'

export type SnilsParse = { ok: true; digits: string } | { ok: false; reason: 'format' | 'checksum' }

const LAST_WITHOUT_CHECK = 1_001_998

/** The check number of the first nine digits: their sum weighted 9 (the first) down to 1 (the ninth), modulo 101, with 100 written as 00 (the Pension Fund's rule). */
export function snilsCheckNumber(nineDigits: string): number {
  let sum = 0
  for (let i = 0; i < 9; i++) sum += Number(nineDigits[i]) * (9 - i)
  return (sum % 101) % 100
}

/** Accepts any common formatting ("112-233-445 95", "11223344595", "112 233 445-95"). */
export function parseSnils(text: string): SnilsParse {
  const trimmed = text.trim()
  if (!/^[\d\s\-‐-―.]+$/.test(trimmed)) return { ok: false, reason: 'format' }
  const digits = trimmed.replace(/\D/g, '')
  if (digits.length !== 11) return { ok: false, reason: 'format' }
  const number = Number(digits.slice(0, 9))
  if (number === 0) return { ok: false, reason: 'checksum' }
  if (number <= LAST_WITHOUT_CHECK) return { ok: true, digits }
  return snilsCheckNumber(digits.slice(0, 9)) === Number(digits.slice(9))
    ? { ok: true, digits }
    : { ok: false, reason: 'checksum' }
}

/** HMAC-SHA256 of the 11 digits with the pepper, hex: the only form in which a SNILS is stored. */
export function hmacSnils(pepper: Buffer, digits: string): string {
  return createHmac('sha256', pepper).update(digits).digest('hex')
}

/** The last four digits as people read them on a SNILS card: "***-***-*45 95". */
export function maskSnils(last4: string): string {
  return `***-***-*${last4.slice(0, 2)} ${last4.slice(2)}`
}

/** Masks every run of 9 or more digits (with the usual separators) in free text: it may be a SNILS. */
export function maskSnilsLike(text: string): string {
  return text.replace(/\d(?:[\s\-.]*\d){8,}/g, (run) => run.replace(/\d/g, '*'))
}
