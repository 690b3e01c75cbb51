/*
 * Contact details for password recovery: an e-mail address and a mobile phone (pure).
 * - e-mail: trimmed, lower-cased as a whole, Unicode NFC; exactly one "@"
 * - its local part: 1–64 characters of printable ASCII without spaces, `"` and `(),:;<>[\]`; no dot
 *   at either end and no two dots in a row
 * - its domain: two or more labels of letters (any script: почта.рф), digits and inner hyphens, each
 *   at most 63 characters; the last one (the TLD) is 2 or more letters, or an "xn--" punycode label
 * - the whole address is at most 254 characters
 * - phone: digits with spaces, dashes, dots and parentheses, "+" only in front; stored as "+" and digits
 * - a Russian number is +7 and exactly 10 digits; written 8XXXXXXXXXX, 7XXXXXXXXXX, or 9XXXXXXXXX (a
 *   mobile number without its code) it becomes +7XXXXXXXXXX; any other number needs its "+" and
 *   8–15 digits (E.164), the first of them not 0
 * - masks show a contact only as much as a person needs to recognise their own: the first character of
 *   the e-mail's local part and its domain; a phone's last four digits, and its +7 when it is Russian
 *   (where another country's code ends is not known, so none of it shows)
 */

export type EmailParse = { ok: true; email: string } | { ok: false; reason: 'empty' | 'malformed' | 'too_long' }
export type PhoneParse = { ok: true; phone: string } | { ok: false; reason: 'empty' | 'malformed' }

const localPart = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/
const domainLabel = /^[\p{L}\p{M}0-9](?:[\p{L}\p{M}0-9-]*[\p{L}\p{M}0-9])?$/u
const topLevelLabel = /^(?:[\p{L}\p{M}]{2,}|xn--[a-z0-9-]+)$/u

/** "  Ivan.Petrov@Mail.RU " → "ivan.petrov@mail.ru". */
export function parseEmail(input: string): EmailParse {
  const email = input.trim().toLowerCase().normalize('NFC')
  if (email === '') return { ok: false, reason: 'empty' }
  if (email.length > 254) return { ok: false, reason: 'too_long' }
  const parts = email.split('@')
  if (parts.length !== 2) return { ok: false, reason: 'malformed' }
  const [local = '', domain = ''] = parts
  if (local.length > 64) return { ok: false, reason: 'too_long' }
  if (!localPart.test(local)) return { ok: false, reason: 'malformed' }
  const labels = domain.split('.')
  if (labels.length < 2) return { ok: false, reason: 'malformed' }
  if (labels.some((label) => label.length > 63)) return { ok: false, reason: 'too_long' }
  if (!labels.every((label) => domainLabel.test(label)) || !topLevelLabel.test(labels.at(-1) ?? '')) {
    return { ok: false, reason: 'malformed' }
  }
  return { ok: true, email }
}

/** "+7 (916) 123-45-67", "8 916 123 45 67", "9161234567" → "+79161234567"; "+49 151 1234 5678" → "+4915112345678". */
export function parsePhone(input: string): PhoneParse {
  const text = input.trim()
  if (text === '') return { ok: false, reason: 'empty' }
  if (!/^\+?[\d\s\-‐-―.()]+$/.test(text)) return { ok: false, reason: 'malformed' }
  const digits = text.replace(/\D/g, '')
  if (text.startsWith('+')) {
    if (digits.startsWith('7')) return digits.length === 11 ? { ok: true, phone: `+${digits}` } : { ok: false, reason: 'malformed' }
    return /^[1-9]\d{7,14}$/.test(digits) ? { ok: true, phone: `+${digits}` } : { ok: false, reason: 'malformed' }
  }
  if (/^[78]\d{10}$/.test(digits)) return { ok: true, phone: `+7${digits.slice(1)}` }
  if (/^9\d{9}$/.test(digits)) return { ok: true, phone: `+7${digits}` }
  return { ok: false, reason: 'malformed' }
}

/** "ivan.petrov@mail.ru" → "i***@mail.ru". */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@')
  if (at < 1) return '***'
  return `${Array.from(email)[0]}***${email.slice(at)}`
}

/** "+79161234567" → "+7 *** ***-45-67"; "+4915112345678" → "+*** ***-56-78". */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '')
  const last4 = digits.slice(-4).padStart(4, '*')
  const tail = `***-${last4.slice(0, 2)}-${last4.slice(2)}`
  return /^7\d{10}$/.test(digits) ? `+7 *** ${tail}` : `+*** ${tail}`
}
