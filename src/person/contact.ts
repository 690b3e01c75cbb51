/*
 * Contact details for password recovery: an e-mail address and a mobile phone (pure).
 * - e-mail: trimmed, lower-cased as a whole, Unicode NFC; exactly one "@"
 * - its local part: 1–64 characters of printable ASCII without spaces, `"` and `(),:;<>[\]`; no dot
 *   at either end and no two dots in a row
 * - its domain: two or more labels of letters (any script: почта.рф), digits and inner hyphens, each
 *   at most 63 characters (also in its ASCII form); the last one (the TLD) is 2 or more letters
 * - the whole address is at most 254 characters (also in its ASCII form)
 * - an internationalised domain (IDN) has two spellings, `почта.рф` and `xn--80a1acny.xn--p1ai`: the
 *   domain goes through its ASCII (punycode) form (`node:url`'s `domainToASCII`, UTS #46) and back, so
 *   both are stored and shown as `почта.рф`; what counts and compares an address is `contactKey`, the
 *   ASCII form, which also joins addresses stored in either spelling before this rule
 * - phone: digits with spaces, dashes, dots and parentheses, "+" only in front; stored as "+" and digits
 * - a Russian number is +7 and exactly 10 digits; written 8XXXXXXXXXX, 7XXXXXXXXXX, or 9XXXXXXXXX (a
 *   mobile number without its code) it becomes +7XXXXXXXXXX; any other number needs its "+" and
 *   8–15 digits (E.164), the first of them not 0
 * - masks show a contact only as much as a person needs to recognise their own: the first character of
 *   the e-mail's local part and its domain; a phone's last four digits, and its +7 when it is Russian
 *   (where another country's code ends is not known, so none of it shows)
 */
import { domainToASCII, domainToUnicode } from 'node:url'

export type EmailParse = { ok: true; email: string } | { ok: false; reason: 'empty' | 'malformed' | 'too_long' }
export type PhoneParse = { ok: true; phone: string } | { ok: false; reason: 'empty' | 'malformed' }

const localPart = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/
const domainLabel = /^[\p{L}\p{M}0-9](?:[\p{L}\p{M}0-9-]*[\p{L}\p{M}0-9])?$/u
const topLevelLabel = /^[\p{L}\p{M}]{2,}$/u

/** "  Ivan.Petrov@Mail.RU " → "ivan.petrov@mail.ru"; "ivan@xn--80a1acny.xn--p1ai" → "ivan@почта.рф". */
export function parseEmail(input: string): EmailParse {
  const typed = input.trim().toLowerCase().normalize('NFC')
  if (typed === '') return { ok: false, reason: 'empty' }
  if (typed.length > 254) return { ok: false, reason: 'too_long' }
  const parts = typed.split('@')
  if (parts.length !== 2) return { ok: false, reason: 'malformed' }
  const [local = '', typedDomain = ''] = parts
  if (local.length > 64) return { ok: false, reason: 'too_long' }
  if (!localPart.test(local)) return { ok: false, reason: 'malformed' }
  const ascii = domainToASCII(typedDomain)
  if (ascii === '') return { ok: false, reason: 'malformed' }
  const domain = domainToUnicode(ascii)
  const labels = domain.split('.')
  if (labels.length < 2) return { ok: false, reason: 'malformed' }
  if ([...labels, ...ascii.split('.')].some((label) => label.length > 63) || `${local}@${ascii}`.length > 254)
    return { ok: false, reason: 'too_long' }
  if (!labels.every((label) => domainLabel.test(label)) || !topLevelLabel.test(labels.at(-1) ?? '')) {
    return { ok: false, reason: 'malformed' }
  }
  return { ok: true, email: `${local}@${domain}` }
}

/**
 * What two spellings of one contact have in common, to count and compare it by: an e-mail address with
 * its domain in ASCII ("ivan@почта.рф" → "ivan@xn--80a1acny.xn--p1ai"); a phone number as stored.
 */
export function contactKey(kind: 'email' | 'phone', value: string): string {
  if (kind === 'phone') return value
  const at = value.lastIndexOf('@')
  return `${value.slice(0, at + 1)}${domainToASCII(value.slice(at + 1)) || value.slice(at + 1)}`
}

/** "+7 (916) 123-45-67", "8 916 123 45 67", "9161234567" → "+79161234567"; "+49 151 1234 5678" → "+4915112345678". */
export function parsePhone(input: string): PhoneParse {
  const text = input.trim()
  if (text === '') return { ok: false, reason: 'empty' }
  if (!/^\+?[\d\s\-‐-―.()]+$/.test(text)) return { ok: false, reason: 'malformed' }
  const digits = text.replace(/\D/g, '')
  if (text.startsWith('+')) {
    if (digits.startsWith('7'))
      return digits.length === 11 ? { ok: true, phone: `+${digits}` } : { ok: false, reason: 'malformed' }
    return /^[1-9]\d{7,14}$/.test(digits) ? { ok: true, phone: `+${digits}` } : { ok: false, reason: 'malformed' }
  }
  if (/^[78]\d{10}$/.test(digits)) return { ok: true, phone: `+7${digits.slice(1)}` }
  if (/^9\d{9}$/.test(digits)) return { ok: true, phone: `+7${digits}` }
  return { ok: false, reason: 'malformed' }
}

/** "ivan.petrov@mail.ru" → "i***@mail.ru"; a domain stored in ASCII shows in Unicode. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@')
  if (at < 1) return '***'
  const domain = email.slice(at + 1)
  return `${Array.from(email)[0]}***@${domainToUnicode(domain) || domain}`
}

/** "+79161234567" → "+7 *** ***-45-67"; "+4915112345678" → "+*** ***-56-78". */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '')
  const last4 = digits.slice(-4).padStart(4, '*')
  const tail = `***-${last4.slice(0, 2)}-${last4.slice(2)}`
  return /^7\d{10}$/.test(digits) ? `+7 *** ${tail}` : `+*** ${tail}`
}
