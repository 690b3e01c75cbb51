/*
 * Compact JWS signing (RFC 7515) with node:crypto in the calling thread, for the bridge's own tokens.
 * jose signs through WebCrypto, whose every operation is a job handed to libuv's thread pool and back:
 * on the federated login that hand-off cost more CPU than the signature itself (bench:profile). The
 * algorithms are the three signing-keys.ts makes: ES256 (P-256, signature as r‖s), EdDSA (Ed25519),
 * RS256. Verification stays with jose (verify-own.ts, the shipped verifier).
 */
import { type KeyObject, sign } from 'node:crypto'

const digests: Record<string, string | null> = { ES256: 'sha256', RS256: 'sha256', EdDSA: null }

/** The key a signing algorithm needs; a stored key that does not fit is refused before it signs anything. */
export function assertKeyFits(alg: string, key: KeyObject): void {
  const details = key.asymmetricKeyDetails
  const fits =
    (alg === 'ES256' && key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') ||
    (alg === 'EdDSA' && key.asymmetricKeyType === 'ed25519') ||
    (alg === 'RS256' && key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048)
  if (!fits) throw new Error(`the signing key does not fit ${alg}`)
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

export function signJws(
  header: { alg: string; kid: string; typ: string },
  claims: Record<string, unknown>,
  key: KeyObject,
): string {
  if (!Object.hasOwn(digests, header.alg)) throw new Error(`cannot sign with ${header.alg}`)
  const digest = digests[header.alg] as string | null
  const input = `${encode(header)}.${encode(claims)}`
  const signature = sign(digest, Buffer.from(input), header.alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key)
  return `${input}.${signature.toString('base64url')}`
}
