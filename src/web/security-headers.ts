/*
 * The headers of every browser response, error pages and 404s included (set in one onRequest hook, and
 * again by the error handler for a page refused before that hook ran):
 * - a strict Content-Security-Policy: nothing but our own stylesheet, images and one script
 *   (/assets/passkey.js, the WebAuthn ceremony) load; no inline scripts; no framing; no <base>. No form-action: a sign-in form's answer is a redirect to a diary module, which
 *   form-action would block
 * - no framing (X-Frame-Options for browsers without frame-ancestors), no MIME sniffing, no referrer
 * - HSTS when the public URL is https
 */
import type { Config } from '../config/load.js'

const contentSecurityPolicy = [
  "default-src 'none'",
  "style-src 'self'",
  "script-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

export function securityHeaders(config: Pick<Config, 'publicUrl'>): Readonly<Record<string, string>> {
  return Object.freeze({
    'content-security-policy': contentSecurityPolicy,
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'origin-agent-cluster': '?1',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-dns-prefetch-control': 'off',
    'x-frame-options': 'DENY',
    'x-permitted-cross-domain-policies': 'none',
    'x-xss-protection': '0',
    ...(config.publicUrl.startsWith('https:') ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  })
}
