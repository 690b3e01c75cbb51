/*
 * GOST R 34.10-2012 (256) keys and certificates in DER, as OpenSSL's GOST engine and CryptoPro write
 * them (RFC 4491, RFC 9215), for the JavaScript implementation and for the checks both share:
 * - the key algorithm is id-tc26-gost3410-12-256 (1.2.643.7.1.1.1.1); its parameters are a SEQUENCE
 *   whose first element names the curve (gost-curves.ts)
 * - a private key is PKCS#8 PrivateKeyInfo; its privateKey OCTET STRING holds 32 raw bytes,
 *   little-endian (what the engine writes), or an OCTET STRING of them, or a big-endian INTEGER;
 *   CryptoPro's masked form (key and mask) is refused
 * - a public key is an OCTET STRING of 64 bytes inside the BIT STRING: x then y, each little-endian;
 *   the point must be on the curve
 * - a certificate's signature algorithm is id-tc26-signwithdigest-gost3410-12-256 (1.2.643.7.1.1.3.2),
 *   without parameters; the signature is the raw 64 bytes in OpenSSL's byte order
 */
import {
  derTag,
  type DerElement,
  encodeBitString,
  encodeDer,
  encodeOid,
  encodeTime,
  encodeUnsignedInteger,
  expectChildren,
  parseOid,
  readDer,
} from './der.js'
import { curveOf, type GostCurve } from './gost-curves.js'

export const oids = {
  publicKey: '1.2.643.7.1.1.1.1',
  digest: '1.2.643.7.1.1.2.2',
  signature: '1.2.643.7.1.1.3.2',
  commonName: '2.5.4.3',
  rsaEncryption: '1.2.840.113549.1.1.1',
} as const

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
  if (algorithmOid !== oids.publicKey)
    throw new Error(`the key is not a GOST R 34.10-2012 (256) key (algorithm ${algorithmOid})`)
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
  if (inner.tag === derTag.integer && bigEndian.length <= 32)
    return Buffer.concat([Buffer.alloc(32 - bigEndian.length), bigEndian]).reverse()
  throw new Error('the GOST private key is not 32 bytes')
}

/** An unencrypted PKCS#8 PEM GOST R 34.10-2012 (256) private key. */
export function parseGostPrivateKey(pem: string): GostPrivateKeyInfo {
  const [, algorithm, privateKey] = expectChildren(
    readDer(pemToDer(pem, 'PRIVATE KEY')),
    derTag.sequence,
    'PrivateKeyInfo',
  )
  const paramSet = paramSetOf(algorithm)
  if (privateKey?.tag !== derTag.octetString) throw new Error('DER: the privateKey OCTET STRING is missing')
  return { paramSet, secret: Buffer.from(secretOf(privateKey.content)) }
}

export interface GostPublicKeyInfo {
  paramSet: string
  /** x then y, each little-endian, 32 bytes. */
  point: Buffer
}

export const littleEndianToBigInt = (bytes: Buffer): bigint =>
  BigInt(`0x${Buffer.from(bytes).reverse().toString('hex') || '0'}`)

function isOnCurve(curve: GostCurve, point: Buffer): boolean {
  const x = littleEndianToBigInt(point.subarray(0, 32))
  const y = littleEndianToBigInt(point.subarray(32))
  const mod = (value: bigint) => ((value % curve.p) + curve.p) % curve.p
  return x < curve.p && y < curve.p && mod(y * y) === mod(x * x * x + curve.a * x + curve.b)
}

/** The algorithm and the key BIT STRING of a DER certificate's SubjectPublicKeyInfo. */
function subjectPublicKeyInfo(certificate: Buffer): {
  algorithm: DerElement | undefined
  bits: DerElement | undefined
} {
  const [tbs] = expectChildren(readDer(certificate), derTag.sequence, 'Certificate')
  const fields = expectChildren(tbs, derTag.sequence, 'TBSCertificate')
  // version [0] is optional; then serial, signature, issuer, validity, subject, subjectPublicKeyInfo
  const [algorithm, bits] = expectChildren(
    fields[fields[0]?.tag === 0xa0 ? 6 : 5],
    derTag.sequence,
    'SubjectPublicKeyInfo',
  )
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
  if (bits?.tag !== derTag.bitString || bits.content[0] !== 0)
    throw new Error('DER: the public key BIT STRING is missing')
  const key = readDer(bits.content.subarray(1))
  if (key.tag !== derTag.octetString || key.content.length !== 64)
    throw new Error('the GOST public key is not 64 bytes')
  if (!isOnCurve(curveOf(paramSet), key.content)) throw new Error('the GOST public key is not a point of its curve')
  return { paramSet, point: Buffer.from(key.content) }
}

const gostKeyAlgorithm = (paramSet: string) =>
  encodeDer(
    derTag.sequence,
    encodeOid(oids.publicKey),
    encodeDer(derTag.sequence, encodeOid(paramSet), encodeOid(oids.digest)),
  )

/** PKCS#8 PEM of a GOST R 34.10-2012 (256) private key, as the engine writes it (32 raw little-endian bytes). */
export function encodeGostPrivateKey(key: GostPrivateKeyInfo): string {
  return derToPem(
    encodeDer(
      derTag.sequence,
      encodeUnsignedInteger(Buffer.from([0])),
      gostKeyAlgorithm(key.paramSet),
      encodeDer(derTag.octetString, key.secret),
    ),
    'PRIVATE KEY',
  )
}

/** SubjectPublicKeyInfo of a GOST R 34.10-2012 (256) public key. */
export function encodeGostPublicKeyInfo(key: GostPublicKeyInfo): Buffer {
  return encodeDer(
    derTag.sequence,
    gostKeyAlgorithm(key.paramSet),
    encodeBitString(encodeDer(derTag.octetString, key.point)),
  )
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
  const name = encodeDer(
    derTag.sequence,
    encodeDer(
      derTag.set,
      encodeDer(
        derTag.sequence,
        encodeOid(oids.commonName),
        encodeDer(derTag.utf8String, Buffer.from(request.commonName, 'utf8')),
      ),
    ),
  )
  const tbs = encodeDer(
    derTag.sequence,
    encodeUnsignedInteger(request.serial),
    request.signatureAlgorithm,
    name,
    encodeDer(derTag.sequence, encodeTime(request.notBefore), encodeTime(request.notAfter)),
    name,
    request.publicKeyInfo,
  )
  return derToPem(
    encodeDer(derTag.sequence, tbs, request.signatureAlgorithm, encodeBitString(sign(tbs))),
    'CERTIFICATE',
  )
}
