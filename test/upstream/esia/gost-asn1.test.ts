import { generateKeyPairSync, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { derTag, encodeDer, encodeOid, encodeUnsignedInteger } from '../../../src/upstream/esia/der.js'
import {
  derToPem,
  encodeGostPrivateKey,
  encodeGostPublicKeyInfo,
  encodeSelfSignedCertificate,
  oids,
  gostSignatureAlgorithm,
  parseCertificatePublicKey,
  parseGostPrivateKey,
} from '../../../src/upstream/esia/gost-asn1.js'
import { gostParamSets } from '../../../src/upstream/esia/gost-curves.js'
import { generateGostKeyPair } from '../../../src/upstream/esia/gost-javascript.js'

const secret = Buffer.from('0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20', 'hex')
const cryptoProA = '1.2.643.2.2.35.1'

/** PKCS#8 with the given paramset OID and privateKey OCTET STRING content. */
function pkcs8(paramSet: string, privateKey: Buffer, algorithm: string = oids.publicKey): string {
  const parameters = encodeDer(derTag.sequence, encodeOid(paramSet), encodeOid(oids.digest))
  return derToPem(
    encodeDer(
      derTag.sequence,
      encodeUnsignedInteger(Buffer.from([0])),
      encodeDer(derTag.sequence, encodeOid(algorithm), parameters),
      encodeDer(derTag.octetString, privateKey),
    ),
    'PRIVATE KEY',
  )
}

t.test('a private key in the forms the engine reads: all give the same little-endian secret', async (t) => {
  const bigEndian = Buffer.from(secret).reverse()
  const cases: [string, Buffer][] = [
    ['32 raw bytes, little-endian (what the engine writes)', secret],
    ['an OCTET STRING of them', encodeDer(derTag.octetString, secret)],
    ['a big-endian INTEGER (older engines)', encodeUnsignedInteger(bigEndian)],
  ]
  for (const [why, content] of cases)
    t.same(parseGostPrivateKey(pkcs8(cryptoProA, content)), { paramSet: cryptoProA, secret }, why)
  const small = Buffer.alloc(32)
  small[0] = 7
  t.same(
    parseGostPrivateKey(pkcs8(cryptoProA, encodeUnsignedInteger(Buffer.from([7])))).secret,
    small,
    'a short INTEGER is padded',
  )
  t.same(
    parseGostPrivateKey(encodeGostPrivateKey({ paramSet: cryptoProA, secret })),
    { paramSet: cryptoProA, secret },
    'what encodeGostPrivateKey writes reads back',
  )
})

t.test('private keys refused, each with its reason', async (t) => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string
  const cases: [string, string, RegExp][] = [
    ['an RSA key', rsa, /not a GOST R 34\.10-2012 \(256\) key \(algorithm 1\.2\.840\.113549\.1\.1\.1\)/],
    ['a GOST R 34.10-2001 key', pkcs8(cryptoProA, secret, '1.2.643.2.2.19'), /algorithm 1\.2\.643\.2\.2\.19/],
    [
      'an unknown parameter set',
      pkcs8('1.2.643.7.1.2.1.2.1', secret),
      /parameter set 1\.2\.643\.7\.1\.2\.1\.2\.1 is not supported/,
    ],
    ["CryptoPro's masked form (key and mask)", pkcs8(cryptoProA, Buffer.concat([secret, secret])), /masked/],
    [
      'an OCTET STRING of 31 bytes',
      pkcs8(cryptoProA, encodeDer(derTag.octetString, secret.subarray(1))),
      /not 32 bytes/,
    ],
    [
      'an INTEGER of 33 bytes',
      pkcs8(cryptoProA, encodeUnsignedInteger(Buffer.concat([Buffer.from([1]), secret]))),
      /not 32 bytes/,
    ],
    ['not PEM', 'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg', /not a PEM PRIVATE KEY/],
    [
      'PEM of something else',
      derToPem(Buffer.from([0x05, 0x00]), 'PRIVATE KEY'),
      /PrivateKeyInfo is missing or of the wrong type/,
    ],
  ]
  for (const [why, pem, message] of cases) t.throws(() => parseGostPrivateKey(pem), message, why)
})

t.test(
  "a certificate made here: Node reads it, its key reads back, its subject and dates are the request's",
  async (t) => {
    const now = new Date('2026-01-02T03:04:05Z')
    const { certificatePem } = generateGostKeyPair('Diary bridge 29 (demo)', { days: 3650, now })
    const certificate = new X509Certificate(certificatePem)
    t.equal(certificate.subject, 'CN=Diary bridge 29 (demo)')
    t.equal(certificate.issuer, certificate.subject, 'self-signed')
    t.equal(new Date(certificate.validFrom).toISOString(), '2026-01-02T03:04:05.000Z')
    t.equal(new Date(certificate.validTo).toISOString(), '2035-12-31T03:04:05.000Z', 'ten years of days')
    t.match(certificate.serialNumber, /^[0-7][0-9A-F]{31}$/, '16 random bytes, positive')
    const key = parseCertificatePublicKey(certificate.raw)
    t.equal(key.paramSet, cryptoProA, "paramset A, as the engine's `paramset:A`")
    t.equal(key.point.length, 64)
  },
)

t.test('certificate keys refused: RSA, a point off the curve, a key of the wrong length', async (t) => {
  const request = (publicKeyInfo: Buffer) => ({
    commonName: 'x',
    serial: Buffer.from([1]),
    notBefore: new Date(),
    notAfter: new Date(Date.now() + 86_400_000),
    publicKeyInfo,
    signatureAlgorithm: gostSignatureAlgorithm,
  })
  const certificate = (publicKeyInfo: Buffer) =>
    new X509Certificate(encodeSelfSignedCertificate(request(publicKeyInfo), () => Buffer.alloc(64, 1))).raw
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' })
  const offCurve = Buffer.alloc(64, 1)
  const short = encodeDer(
    derTag.sequence,
    encodeDer(derTag.sequence, encodeOid(oids.publicKey), encodeDer(derTag.sequence, encodeOid(cryptoProA))),
    encodeDer(derTag.bitString, Buffer.from([0]), encodeDer(derTag.octetString, Buffer.alloc(32, 1))),
  )
  const cases: [string, Buffer, RegExp][] = [
    ['an RSA key', rsa, /not a GOST R 34\.10-2012 \(256\) key \(algorithm 1\.2\.840\.113549\.1\.1\.1\)/],
    [
      'a point off the curve',
      encodeGostPublicKeyInfo({ paramSet: cryptoProA, point: offCurve }),
      /not a point of its curve/,
    ],
    ['32 bytes instead of 64', short, /not 64 bytes/],
  ]
  for (const [why, spki, message] of cases) t.throws(() => parseCertificatePublicKey(certificate(spki)), message, why)
})

t.test("ESIA's real test-stand certificate: CryptoPro-XchA, the key read", async (t) => {
  const pem = readFileSync(new URL('fixtures/ekapusta-esia-test.cer.pem', import.meta.url), 'utf8')
  const key = parseCertificatePublicKey(new X509Certificate(pem).raw)
  t.equal(gostParamSets[key.paramSet]?.name, 'CryptoPro-XchA')
})
