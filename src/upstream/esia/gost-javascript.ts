/*
 * GOST in pure JavaScript, for machines without OpenSSL's GOST engine: GOST R 34.11-2012 (Streebog)
 * and the GOST R 34.10-2012 signature from node-gost-crypto (Rudolf Nickolaev's WebCrypto GOST, a
 * CommonJS build, loaded on first use); keys and certificates read and written by gost-asn1.ts.
 * - the curve comes from our table (gost-curves.ts; the package's own TC26 names are wrong), given as parameters
 * - signatures are the raw 64 bytes in OpenSSL's byte order (s then r, big-endian): the package's
 *   order (r then s, little-endian) reversed
 * - a signature verifies only when 0 < r < q and 0 < s < q (GOST R 34.10-2012 §6.2 step 1; the package
 *   checks only the upper bound and throws on zeros)
 * - not constant-time (big integers of JSBN): fine for verifying ESIA's tokens and for the demo; a
 *   production signing key belongs to the engine or a signing service (docs/state-services.md, "Which GOST
 *   implementation")
 * - random numbers from the platform's CSPRNG (globalThis.crypto, which the package reads)
 */
import { randomBytes, X509Certificate } from 'node:crypto'
import { createRequire } from 'node:module'
import type { GostCrypto } from './gost-crypto.js'
import {
  encodeGostPrivateKey,
  encodeGostPublicKeyInfo,
  encodeSelfSignedCertificate,
  gostSignatureAlgorithm,
  parseCertificatePublicKey,
  parseGostPrivateKey,
} from './gost-asn1.js'
import { curveOf, defaultParamSet, type GostCurve } from './gost-curves.js'

type Bytes = ArrayBuffer | Uint8Array

/** What this module uses of node-gost-crypto (it ships no types). */
interface GostLibrary {
  gostEngine: {
    getGostDigest(algorithm: { name: 'GOST R 34.11'; version: 2012; length: 256 }): { digest(data: Bytes): ArrayBuffer }
    getGostSign(algorithm: {
      name: 'GOST R 34.10'
      version: 2012
      length: 256
      curve: Record<keyof GostCurve, string>
      hash: { name: 'GOST R 34.11'; version: 2012; length: 256 }
    }): {
      sign(privateKey: Bytes, data: Bytes): ArrayBuffer
      verify(publicKey: Bytes, signature: Bytes, data: Bytes): boolean
      generateKey(): { privateKey: ArrayBuffer; publicKey: ArrayBuffer }
    }
  }
}

const packageName = 'node-gost-crypto'
let library: GostLibrary | undefined

function gostLibrary(): GostLibrary {
  if (typeof globalThis.crypto?.getRandomValues !== 'function')
    throw new Error('the JavaScript GOST implementation needs globalThis.crypto (Node.js 20 or later)')
  library ??= createRequire(import.meta.url)(packageName) as GostLibrary
  return library
}

const streebog = { name: 'GOST R 34.11', version: 2012, length: 256 } as const

function signerFor(curve: GostCurve) {
  const hex = (value: bigint) => `0x${value.toString(16)}`
  const parameters = {
    p: hex(curve.p),
    a: hex(curve.a),
    b: hex(curve.b),
    q: hex(curve.q),
    x: hex(curve.x),
    y: hex(curve.y),
  }
  return gostLibrary().gostEngine.getGostSign({
    name: 'GOST R 34.10',
    version: 2012,
    length: 256,
    curve: parameters,
    hash: streebog,
  })
}

const bigEndian = (bytes: Buffer) => BigInt(`0x${bytes.toString('hex')}`)

/** 0 < r < q and 0 < s < q, the signature being s then r, big-endian (OpenSSL's order). */
function inRange(signature: Buffer, q: bigint): boolean {
  const s = bigEndian(signature.subarray(0, 32))
  const r = bigEndian(signature.subarray(32))
  return r > 0n && r < q && s > 0n && s < q
}

export const javascriptGost: GostCrypto = {
  name: 'javascript',
  privateKey(pem) {
    const { paramSet, secret } = parseGostPrivateKey(pem)
    const curve = curveOf(paramSet)
    const d = bigEndian(Buffer.from(secret).reverse())
    if (d === 0n || d >= curve.q) throw new Error('the GOST private key is out of range for its curve')
    const signer = signerFor(curve)
    return { sign: (data) => Buffer.from(signer.sign(secret, data)).reverse() }
  },
  certificatePublicKey(pem) {
    const { paramSet, point } = parseCertificatePublicKey(new X509Certificate(pem).raw)
    const curve = curveOf(paramSet)
    const signer = signerFor(curve)
    return {
      verify(data, signature) {
        if (signature.length !== 64 || !inRange(signature, curve.q)) return false
        try {
          return signer.verify(point, Buffer.from(signature).reverse(), data)
        } catch {
          return false
        }
      },
    }
  },
  hash(data) {
    return Buffer.from(gostLibrary().gostEngine.getGostDigest(streebog).digest(data))
  },
}

/** A new key pair (the CryptoPro-A curve, the engine's `paramset:A`) and its self-signed certificate, PEM: what `openssl genpkey` and `openssl req -x509` make with the engine. */
export function generateGostKeyPair(
  commonName: string,
  options: { days: number; now?: Date },
): { privateKeyPem: string; certificatePem: string } {
  const { privateKey, publicKey } = signerFor(curveOf(defaultParamSet)).generateKey()
  const privateKeyPem = encodeGostPrivateKey({ paramSet: defaultParamSet, secret: Buffer.from(privateKey) })
  const key = javascriptGost.privateKey(privateKeyPem)
  const notBefore = options.now ?? new Date()
  const serial = randomBytes(16)
  serial[0] = (serial[0] as number) & 0x7f
  const certificatePem = encodeSelfSignedCertificate(
    {
      commonName,
      serial,
      notBefore,
      notAfter: new Date(notBefore.getTime() + options.days * 86_400_000),
      publicKeyInfo: encodeGostPublicKeyInfo({ paramSet: defaultParamSet, point: Buffer.from(publicKey) }),
      signatureAlgorithm: gostSignatureAlgorithm,
    },
    (tbs) => key.sign(tbs),
  )
  return { privateKeyPem, certificatePem }
}
