/*
 * GOST R 34.10-2012 (256) keys and certificates in DER, as OpenSSL's GOST engine and CryptoPro write
 * them (RFC 4491, RFC 9215), for the JavaScript implementation and for the checks both share:
 * - the key algorithm is id-tc26-gost3410-12-256 (1.2.643.7.1.1.1.1); its parameters are a SEQUENCE
 *   whose first element names the curve (`gostParamSets`: the CryptoPro A, B, C, XchA, XchB sets and
 *   TC26 256 A–D; TC26 256 A is a twisted Edwards curve, given here in its Weierstrass form)
 * - a private key is PKCS#8 PrivateKeyInfo; its privateKey OCTET STRING holds 32 raw bytes,
 *   little-endian (what the engine writes), or an OCTET STRING of them, or a big-endian INTEGER;
 *   CryptoPro's masked form (key and mask) is refused
 * - a public key is an OCTET STRING of 64 bytes inside the BIT STRING: x then y, each little-endian;
 *   the point must be on the curve
 * - a certificate's signature algorithm is id-tc26-signwithdigest-gost3410-12-256 (1.2.643.7.1.1.3.2),
 *   without parameters; the signature is the raw 64 bytes in OpenSSL's byte order
 */
import { derTag, type DerElement, encodeBitString, encodeDer, encodeOid, encodeTime, encodeUnsignedInteger, expectChildren, parseOid, readDer } from './der.js'

export const oids = {
  publicKey: '1.2.643.7.1.1.1.1',
  digest: '1.2.643.7.1.1.2.2',
  signature: '1.2.643.7.1.1.3.2',
  commonName: '2.5.4.3',
  rsaEncryption: '1.2.840.113549.1.1.1',
} as const

/** y² = x³ + ax + b over GF(p); the base point (x, y) has prime order q. */
export interface GostCurve {
  p: bigint
  a: bigint
  b: bigint
  q: bigint
  x: bigint
  y: bigint
}

const cryptoProA: GostCurve = {
  p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd97n,
  a: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd94n,
  b: 166n,
  q: 0xffffffffffffffffffffffffffffffff6c611070995ad10045841b09b761b893n,
  x: 1n,
  y: 0x8d91e471e0989cda27df505a453f2b7635294f2ddf23e3b122acc99c9e9f1e14n,
}
const cryptoProB: GostCurve = {
  p: 0x8000000000000000000000000000000000000000000000000000000000000c99n,
  a: 0x8000000000000000000000000000000000000000000000000000000000000c96n,
  b: 0x3e1af419a269a5f866a7d3c25c3df80ae979259373ff2b182f49d4ce7e1bbc8bn,
  q: 0x800000000000000000000000000000015f700cfff1a624e5e497161bcc8a198fn,
  x: 1n,
  y: 0x3fa8124359f96680b83d1c3eb2c070e5c545c9858d03ecfb744bf8d717717efcn,
}
const cryptoProC: GostCurve = {
  p: 0x9b9f605f5a858107ab1ec85e6b41c8aacf846e86789051d37998f7b9022d759bn,
  a: 0x9b9f605f5a858107ab1ec85e6b41c8aacf846e86789051d37998f7b9022d7598n,
  b: 32858n,
  q: 0x9b9f605f5a858107ab1ec85e6b41c8aa582ca3511eddfb74f02f3a6598980bb9n,
  x: 0n,
  y: 0x41ece55743711a8c3cbf3783cd08c0ee4d4dc440d4641a8f366e550dfdb3bb67n,
}
const tc26A: GostCurve = {
  p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd97n,
  a: 0xc2173f1513981673af4892c23035a27ce25e2013bf95aa33b22c656f277e7335n,
  b: 0x295f9bae7428ed9ccc20e7c359a9d41a22fccd9108e17bf7ba9337a6f8ae9513n,
  q: 0x400000000000000000000000000000000fd8cddfc87b6635c115af556c360c67n,
  x: 0x91e38443a5e82c0d880923425712b2bb658b9196932e02c78b2582fe742daa28n,
  y: 0x32879423ab1a0375895786c4bb46e9565fde0b5344766740af268adb32322e5cn,
}

/** The curves a GOST R 34.10-2012 (256) key may name (RFC 4357 §11.4, RFC 7836 Appendix A.2), by OID. */
export const gostParamSets: Readonly<Record<string, { name: string; curve: GostCurve }>> = {
  '1.2.643.2.2.35.1': { name: 'CryptoPro-A', curve: cryptoProA },
  '1.2.643.2.2.35.2': { name: 'CryptoPro-B', curve: cryptoProB },
  '1.2.643.2.2.35.3': { name: 'CryptoPro-C', curve: cryptoProC },
  '1.2.643.2.2.36.0': { name: 'CryptoPro-XchA', curve: cryptoProA },
  '1.2.643.2.2.36.1': { name: 'CryptoPro-XchB', curve: cryptoProC },
  '1.2.643.7.1.2.1.1.1': { name: 'TC26-256-A', curve: tc26A },
  '1.2.643.7.1.2.1.1.2': { name: 'TC26-256-B', curve: cryptoProA },
  '1.2.643.7.1.2.1.1.3': { name: 'TC26-256-C', curve: cryptoProB },
  '1.2.643.7.1.2.1.1.4': { name: 'TC26-256-D', curve: cryptoProC },
}

export function curveOf(paramSet: string): GostCurve {
  const entry = gostParamSets[paramSet]
  if (entry === undefined) throw new Error(`the GOST key's parameter set ${paramSet} is not supported`)
  return entry.curve
}

/** The paramset OID the JavaScript implementation gives the keys it makes (the engine's `paramset:A`). */
export const defaultParamSet = '1.2.643.2.2.35.1'

export function pemToDer(pem: string, label: string): Buffer {
  const match = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(pem)
  if (match === null) throw new Error(`not a PEM ${label}`)
  return Buffer.from((match[1] as string).replace(/\s/g, ''), 'base64')
}

export function derToPem(der: Buffer, label: string): string {
  return `-----BEGIN ${label}-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END ${label}-----\n`
}

/** The paramset OID of an AlgorithmIdentifier, when it is a GOST R 34.10-2012 (256) key's. */
function paramSetOf(algorithm: DerElement | undefined): string {
  const [oid, parameters] = expectChildren(algorithm, derTag.sequence, 'the key algorithm')
  const algorithmOid = oid?.tag === derTag.oid ? parseOid(oid.content) : '?'
  if (algorithmOid !== oids.publicKey) throw new Error(`the key is not a GOST R 34.10-2012 (256) key (algorithm ${algorithmOid})`)
  const [paramSet] = expectChildren(parameters, derTag.sequence, 'the GOST key parameters')
  const paramSetOid = paramSet?.tag === derTag.oid ? parseOid(paramSet.content) : '?'
  curveOf(paramSetOid)
  return paramSetOid
}

export interface GostPrivateKeyInfo {
  paramSet: string
  /** The secret scalar, little-endian, 32 bytes. */
  secret: Buffer
}

/** The 32 little-endian bytes of the privateKey OCTET STRING's content, in the forms the engine reads. */
function secretOf(raw: Buffer): Buffer {
  if (raw.length === 64) throw new Error('the GOST private key is masked (CryptoPro export): export it unmasked')
  if (raw.length === 32) return raw
  const inner = readDer(raw)
  if (inner.tag === derTag.octetString && inner.content.length === 32) return inner.content
  const first = inner.content.findIndex((byte) => byte !== 0)
  const bigEndian = first === -1 ? Buffer.alloc(0) : inner.content.subarray(first)
  if (inner.tag === derTag.integer && bigEndian.length <= 32) return Buffer.concat([Buffer.alloc(32 - bigEndian.length), bigEndian]).reverse()
  throw new Error('the GOST private key is not 32 bytes')
}

/** An unencrypted PKCS#8 PEM GOST R 34.10-2012 (256) private key. */
export function parseGostPrivateKey(pem: string): GostPrivateKeyInfo {
  const [, algorithm, privateKey] = expectChildren(readDer(pemToDer(pem, 'PRIVATE KEY')), derTag.sequence, 'PrivateKeyInfo')
  const paramSet = paramSetOf(algorithm)
  if (privateKey?.tag !== derTag.octetString) throw new Error('DER: the privateKey OCTET STRING is missing')
  return { paramSet, secret: Buffer.from(secretOf(privateKey.content)) }
}

export interface GostPublicKeyInfo {
  paramSet: string
  /** x then y, each little-endian, 32 bytes. */
  point: Buffer
}

export const littleEndianToBigInt = (bytes: Buffer): bigint => BigInt(`0x${Buffer.from(bytes).reverse().toString('hex') || '0'}`)

function isOnCurve(curve: GostCurve, point: Buffer): boolean {
  const x = littleEndianToBigInt(point.subarray(0, 32))
  const y = littleEndianToBigInt(point.subarray(32))
  const mod = (value: bigint) => ((value % curve.p) + curve.p) % curve.p
  return x < curve.p && y < curve.p && mod(y * y) === mod(x * x * x + curve.a * x + curve.b)
}

/** The algorithm and the key BIT STRING of a DER certificate's SubjectPublicKeyInfo. */
function subjectPublicKeyInfo(certificate: Buffer): { algorithm: DerElement | undefined; bits: DerElement | undefined } {
  const [tbs] = expectChildren(readDer(certificate), derTag.sequence, 'Certificate')
  const fields = expectChildren(tbs, derTag.sequence, 'TBSCertificate')
  // version [0] is optional; then serial, signature, issuer, validity, subject, subjectPublicKeyInfo
  const [algorithm, bits] = expectChildren(fields[fields[0]?.tag === 0xa0 ? 6 : 5], derTag.sequence, 'SubjectPublicKeyInfo')
  return { algorithm, bits }
}

/** The OID of a DER certificate's key algorithm (1.2.840.113549.1.1.1 for RSA). */
export function certificateKeyAlgorithm(certificate: Buffer): string {
  const [oid] = expectChildren(subjectPublicKeyInfo(certificate).algorithm, derTag.sequence, 'the key algorithm')
  if (oid?.tag !== derTag.oid) throw new Error('DER: the key algorithm has no OID')
  return parseOid(oid.content)
}

/** The SubjectPublicKeyInfo of a DER certificate, when it is a GOST R 34.10-2012 (256) key on its curve. */
export function parseCertificatePublicKey(certificate: Buffer): GostPublicKeyInfo {
  const { algorithm, bits } = subjectPublicKeyInfo(certificate)
  const paramSet = paramSetOf(algorithm)
  if (bits?.tag !== derTag.bitString || bits.content[0] !== 0) throw new Error('DER: the public key BIT STRING is missing')
  const key = readDer(bits.content.subarray(1))
  if (key.tag !== derTag.octetString || key.content.length !== 64) throw new Error('the GOST public key is not 64 bytes')
  if (!isOnCurve(curveOf(paramSet), key.content)) throw new Error('the GOST public key is not a point of its curve')
  return { paramSet, point: Buffer.from(key.content) }
}

const gostKeyAlgorithm = (paramSet: string) => encodeDer(derTag.sequence, encodeOid(oids.publicKey), encodeDer(derTag.sequence, encodeOid(paramSet), encodeOid(oids.digest)))

/** PKCS#8 PEM of a GOST R 34.10-2012 (256) private key, as the engine writes it (32 raw little-endian bytes). */
export function encodeGostPrivateKey(key: GostPrivateKeyInfo): string {
  return derToPem(encodeDer(derTag.sequence, encodeUnsignedInteger(Buffer.from([0])), gostKeyAlgorithm(key.paramSet), encodeDer(derTag.octetString, key.secret)), 'PRIVATE KEY')
}

/** SubjectPublicKeyInfo of a GOST R 34.10-2012 (256) public key. */
export function encodeGostPublicKeyInfo(key: GostPublicKeyInfo): Buffer {
  return encodeDer(derTag.sequence, gostKeyAlgorithm(key.paramSet), encodeBitString(encodeDer(derTag.octetString, key.point)))
}

/** The AlgorithmIdentifier of a GOST R 34.10-2012 (256) signature with GOST R 34.11-2012 (256): no parameters (RFC 9215 §3.1). */
export const gostSignatureAlgorithm = encodeDer(derTag.sequence, encodeOid(oids.signature))

export interface CertificateRequest {
  commonName: string
  serial: Buffer
  notBefore: Date
  notAfter: Date
  /** DER SubjectPublicKeyInfo. */
  publicKeyInfo: Buffer
  /** DER AlgorithmIdentifier of the signature `sign` makes. */
  signatureAlgorithm: Buffer
}

/** A self-signed X.509 certificate (v1, as `openssl req -x509` without extensions makes it), PEM; `sign` signs the TBSCertificate. */
export function encodeSelfSignedCertificate(request: CertificateRequest, sign: (tbs: Buffer) => Buffer): string {
  const name = encodeDer(derTag.sequence, encodeDer(derTag.set, encodeDer(derTag.sequence, encodeOid(oids.commonName), encodeDer(derTag.utf8String, Buffer.from(request.commonName, 'utf8')))))
  const tbs = encodeDer(
    derTag.sequence,
    encodeUnsignedInteger(request.serial),
    request.signatureAlgorithm,
    name,
    encodeDer(derTag.sequence, encodeTime(request.notBefore), encodeTime(request.notAfter)),
    name,
    request.publicKeyInfo,
  )
  return derToPem(encodeDer(derTag.sequence, tbs, request.signatureAlgorithm, encodeBitString(sign(tbs))), 'CERTIFICATE')
}
