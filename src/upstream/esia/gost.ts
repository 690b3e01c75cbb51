/*
 * GOST R 34.10-2012 (256) signatures and GOST R 34.11-2012 (256) hashes, in process, through Node's
 * crypto and OpenSSL's GOST engine (Debian package libengine-gost-openssl). The engine is loaded once
 * per process, on first use: either it is already loaded by an OPENSSL_CONF that Node read
 * (`--openssl-shared-config`; the way for a host where the engine lives elsewhere), or it is loaded
 * here from Debian's place for this architecture. Signatures are raw, 64 bytes, in the byte order
 * OpenSSL produces (CryptoPro tools produce them reversed).
 */
import { createHash, createPrivateKey, type KeyObject, setEngine, sign, verify, X509Certificate } from 'node:crypto'

const multiarch: Partial<Record<string, string>> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }
/** Where Debian's libengine-gost-openssl puts the engine on this machine's architecture. */
export const gostEnginePath = `/usr/lib/${multiarch[process.arch] ?? `${process.arch}-linux-gnu`}/engines-3/gost.so`
const digest = 'md_gost12_256'
let loaded = false

/** Loads OpenSSL's GOST engine into this process (once); a clear error when it is not installed. */
export function loadGostEngine(path = gostEnginePath): void {
  if (loaded) return
  try {
    setEngine('gost', 0)
  } catch {
    try {
      setEngine(path, 0)
    } catch (error) {
      throw new Error(`OpenSSL's GOST engine cannot be loaded from ${path} (install the Debian package libengine-gost-openssl): ${(error as Error).message}`, { cause: error })
    }
  }
  loaded = true
}

/** A GOST private key from PEM (PKCS#8, unencrypted). */
export function gostPrivateKey(pem: string): KeyObject {
  loadGostEngine()
  return createPrivateKey(pem)
}

/** The public key of a PEM certificate (GOST or RSA). */
export function certificatePublicKey(pem: string): KeyObject {
  loadGostEngine()
  return new X509Certificate(pem).publicKey
}

export function gostSign(key: KeyObject, data: Buffer): Buffer {
  return sign(digest, data, key)
}

export function gostVerify(key: KeyObject, data: Buffer, signature: Buffer): boolean {
  return signature.length === 64 && verify(digest, data, key, signature)
}

/**
 * OpenSSL leaves an error on its queue after a digest of the GOST engine (the provider lookup that
 * failed before the engine answered); Node reports it at the next key decode, which then fails with
 * "unsupported". Decoding nothing pops it.
 */
function dropStaleOpensslError(): void {
  try {
    createPrivateKey('')
  } catch {
    // the stale error, or the empty key's own: either way the queue is empty now
  }
}

/** GOST R 34.11-2012 (256) of `data`, lower-case hex. */
export function gostHash(data: Buffer): string {
  loadGostEngine()
  const hash = createHash(digest).update(data).digest('hex')
  dropStaleOpensslError()
  return hash
}

/** `client_certificate_hash`: the GOST R 34.11-2012 (256) hash of the certificate's DER, hex (as `cpverify -mk -alg GR3411_2012_256` prints it). */
export function certificateHash(pem: string): string {
  return gostHash(new X509Certificate(pem).raw).toUpperCase()
}

