/* What a GOST R 34.10/34.11-2012 implementation offers (gost-engine.ts, gost-javascript.ts); gost.ts chooses one. */
export type GostImplementationName = 'openssl-engine' | 'javascript'

export interface GostPrivateKey {
  /** The raw 64-byte signature of `data` (its GOST R 34.11-2012 (256) hash signed). */
  sign(data: Buffer): Buffer
}

export interface GostPublicKey {
  verify(data: Buffer, signature: Buffer): boolean
}

export interface GostCrypto {
  readonly name: GostImplementationName
  /** An unencrypted PKCS#8 PEM private key; throws when it is not a GOST R 34.10-2012 (256) key. */
  privateKey(pem: string): GostPrivateKey
  /** The key of a PEM certificate; throws when it is not a GOST R 34.10-2012 (256) key. */
  certificatePublicKey(pem: string): GostPublicKey
  /** GOST R 34.11-2012 (256). */
  hash(data: Buffer): Buffer
}
