/*
 * ESIA's tokens: compact JWS whose header names ESIA's own algorithm (`GOST3410_2012_256`, or RS256
 * when the system chose it at ESIA), signed with a certificate the operator supplies (no JWKS, no
 * `kid`: every configured certificate is tried). A GOST signature is the raw 64 bytes in OpenSSL's
 * byte order and verifies as is. This module checks the signature and parses the payload; the
 * connector checks the claims. Errors say what failed, never what the token holds.
 */
import { verify, X509Certificate } from 'node:crypto'
import type { GostCrypto } from './gost.js'
import { certificateKeyAlgorithm, oids } from './gost-asn1.js'

export type EsiaTokenAlgorithm = 'GOST3410_2012_256' | 'RS256'

export class EsiaTokenError extends Error {
  override name = 'EsiaTokenError'
}

function decodeJson(part: string, what: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
  } catch {
    throw new EsiaTokenError(`the token's ${what} is not JSON`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new EsiaTokenError(`the token's ${what} is not a JSON object`)
  return value as Record<string, unknown>
}

const base64url = /^[A-Za-z0-9_-]+$/

/** A key that verifies the signature of one algorithm's tokens. */
export interface TokenKey {
  verify(input: Buffer, signature: Buffer): boolean
}

/** ESIA's certificate as the key for its `algorithm` tokens; throws when the certificate holds another kind of key. */
export function esiaTokenKey(certificatePem: string, algorithm: EsiaTokenAlgorithm, gost: GostCrypto): TokenKey {
  if (algorithm === 'GOST3410_2012_256') return gost.certificatePublicKey(certificatePem)
  const certificate = new X509Certificate(certificatePem)
  // Read before Node decodes the key: without OpenSSL's GOST engine, Node cannot decode a GOST key at all.
  const keyAlgorithm = certificateKeyAlgorithm(certificate.raw)
  if (keyAlgorithm !== oids.rsaEncryption)
    throw new Error(
      `the certificate holds ${keyAlgorithm === oids.publicKey ? 'a GOST' : `a ${keyAlgorithm}`} key, not an RSA key`,
    )
  const key = certificate.publicKey
  return { verify: (input, signature) => verify('sha256', input, key, signature) }
}

/** The payload of `token` if its header says `algorithm` and one of `keys` verifies its signature. */
export function verifyEsiaToken(
  token: string,
  algorithm: EsiaTokenAlgorithm,
  keys: readonly TokenKey[],
): Record<string, unknown> {
  const parts = token.split('.')
  if (parts.length !== 3 || !parts.every((part) => base64url.test(part)))
    throw new EsiaTokenError('the token is not a compact JWS')
  const [header, payload, signature] = parts as [string, string, string]
  const alg = decodeJson(header, 'header').alg
  if (alg !== algorithm)
    throw new EsiaTokenError(`the token is signed with ${JSON.stringify(alg)}, expected ${algorithm}`)
  const input = Buffer.from(`${header}.${payload}`, 'ascii')
  const bytes = Buffer.from(signature, 'base64url')
  if (!keys.some((key) => key.verify(input, bytes)))
    throw new EsiaTokenError('the token signature does not verify with any configured ESIA certificate')
  return decodeJson(payload, 'payload')
}
