/*
 * GOST through Node's crypto and OpenSSL's GOST engine (Debian package libengine-gost-openssl), loaded
 * once per process: either already loaded by an OPENSSL_CONF that Node read (`--openssl-shared-config`;
 * the way for a host where the engine lives elsewhere), or loaded here from Debian's place for this
 * architecture. Keys are checked by the shared reader (gost-asn1.ts) before OpenSSL decodes them, so
 * both implementations take and refuse the same keys.
 */
import { createHash, createPrivateKey, setEngine, sign, verify, X509Certificate } from 'node:crypto'
import type { GostCrypto } from './gost-crypto.js'
import { parseCertificatePublicKey, parseGostPrivateKey } from './gost-asn1.js'

const multiarch: Partial<Record<string, string>> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }
/** Where Debian's libengine-gost-openssl puts the engine on this machine's architecture. */
export const gostEnginePath = `/usr/lib/${multiarch[process.arch] ?? `${process.arch}-linux-gnu`}/engines-3/gost.so`
const digest = 'md_gost12_256'
let loaded: GostCrypto | Error | undefined

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

function loadEngine(): void {
  try {
    setEngine('gost', 0)
  } catch {
    try {
      setEngine(gostEnginePath, 0)
    } catch (error) {
      throw new Error(`OpenSSL's GOST engine cannot be loaded from ${gostEnginePath}: ${(error as Error).message}`, {
        cause: error,
      })
    }
  }
}

const engineGost: GostCrypto = {
  name: 'openssl-engine',
  privateKey(pem) {
    parseGostPrivateKey(pem)
    const key = createPrivateKey(pem)
    return { sign: (data) => sign(digest, data, key) }
  },
  certificatePublicKey(pem) {
    const certificate = new X509Certificate(pem)
    parseCertificatePublicKey(certificate.raw)
    const key = certificate.publicKey
    return { verify: (data, signature) => signature.length === 64 && verify(digest, data, key, signature) }
  },
  hash(data) {
    const hash = createHash(digest).update(data).digest()
    dropStaleOpensslError()
    return hash
  },
}

/** The engine's implementation; the same error every time when the engine cannot be loaded. */
export function openEngineGost(): GostCrypto {
  if (loaded === undefined) {
    try {
      loadEngine()
      loaded = engineGost
    } catch (error) {
      loaded = error as Error
    }
  }
  if (loaded instanceof Error) throw loaded
  return loaded
}
