/*
 * Compact JWS signing (RFC 7515) with node:crypto in the calling thread, for the bridge's own tokens.
 * jose signs through WebCrypto, whose every operation is a job handed to libuv's thread pool and back:
 * on the federated login that hand-off cost more CPU than the signature itself (bench:profile). The
 * algorithms are the three signing-keys.ts makes: ES256 (P-256, signature as r‖s), EdDSA (Ed25519),
 * RS256. Verification stays with jose (verify-own.ts, the shipped verifier).
 */
import { type KeyObject, sign } from 'node:crypto'

const digests: Record<string, string | null> = { ES256: 'sha256', RS256: 'sha256', EdDSA: null }

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

export function signJws(header: { alg: string; kid: string; typ: string }, claims: Record<string, unknown>, key: KeyObject): string {
  const digest = digests[header.alg]
  if (digest === undefined) throw new Error(`cannot sign with ${header.alg}`)
  const input = `${encode(header)}.${encode(claims)}`
  const signature = sign(digest, Buffer.from(input), header.alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key)
  return `${input}.${signature.toString('base64url')}`
}
