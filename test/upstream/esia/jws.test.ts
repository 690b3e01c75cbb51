import { createPrivateKey, sign } from 'node:crypto'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { ensureGostKeyPair } from '../../../demo/gost-keys.js'
import { esiaTokenKey, verifyEsiaToken } from '../../../src/upstream/esia/jws.js'
import { rsaKeyPair } from '../../helpers/esia-world.js'
import { gostImplementations, javascriptGost as gost } from '../../helpers/gost-world.js'

const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8').trim()
// A real token of ESIA's test stand (2020) and ESIA's test certificate: fixtures/SOURCE.md.
const realToken = fixture('ekapusta-token.jwt')
const esiaTestKey = esiaTokenKey(fixture('ekapusta-esia-test.cer.pem'), 'GOST3410_2012_256', gost)

const keys = ensureGostKeyPair(t.testdir(), 'esia', 'ESIA simulator')
const ownKey = esiaTokenKey(keys.certificatePem, 'GOST3410_2012_256', gost)
const gostSignature = (input: string, privateKeyPem = keys.privateKeyPem) =>
  gost.privateKey(privateKeyPem).sign(Buffer.from(input)).toString('base64url')
const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

function gostToken(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  privateKeyPem = keys.privateKeyPem,
): string {
  const input = `${part(header)}.${part(payload)}`
  return `${input}.${gostSignature(input, privateKeyPem)}`
}

t.test("a real token of ESIA's test stand verifies with ESIA's test certificate, as is", async (t) => {
  const payload = verifyEsiaToken(realToken, 'GOST3410_2012_256', [esiaTestKey])
  t.equal(payload.client_id, 'MNSV36')
  t.equal(payload.iss, 'http://esia.gosuslugi.ru/', 'escaped slashes read as slashes')
  t.equal(
    (payload['urn:esia:sbj'] as Record<string, unknown>)['urn:esia:sbj:oid'],
    1000404446,
    'the OID is a JSON number',
  )
  t.same(
    verifyEsiaToken(realToken, 'GOST3410_2012_256', [ownKey, esiaTestKey]),
    payload,
    'every configured certificate is tried (a rotation)',
  )
  for (const implementation of gostImplementations) {
    t.same(
      verifyEsiaToken(realToken, 'GOST3410_2012_256', [
        esiaTokenKey(fixture('ekapusta-esia-test.cer.pem'), 'GOST3410_2012_256', implementation),
      ]),
      payload,
      implementation.name,
    )
  }
})

t.test(
  'refused: another certificate, a changed payload, a reversed or short signature, another algorithm, not a JWS',
  async (t) => {
    const [header, payload, signature] = realToken.split('.') as [string, string, string]
    const changed = Buffer.from(payload, 'base64url').toString('utf8').replace('MNSV36', 'MNSV37')
    const reversed = Buffer.from(signature, 'base64url').reverse().toString('base64url')
    const cases: [string, string, 'GOST3410_2012_256' | 'RS256', RegExp][] = [
      ['another certificate', realToken, 'GOST3410_2012_256', /does not verify/],
      [
        'a changed payload',
        `${header}.${Buffer.from(changed).toString('base64url')}.${signature}`,
        'GOST3410_2012_256',
        /does not verify/,
      ],
      [
        'the signature reversed (CryptoPro order)',
        `${header}.${payload}.${reversed}`,
        'GOST3410_2012_256',
        /does not verify/,
      ],
      ['a short signature', `${header}.${payload}.${signature.slice(0, 40)}`, 'GOST3410_2012_256', /does not verify/],
      ['RS256 expected', realToken, 'RS256', /expected RS256/],
      ['alg none', `${part({ alg: 'none' })}.${payload}.`, 'GOST3410_2012_256', /not a compact JWS/],
      ['two parts', `${header}.${payload}`, 'GOST3410_2012_256', /not a compact JWS/],
      [
        'a header that is not JSON',
        `${Buffer.from('{no').toString('base64url')}.${payload}.${signature}`,
        'GOST3410_2012_256',
        /header is not JSON/,
      ],
    ]
    for (const [name, token, alg, message] of cases) {
      const keysToTry = name === 'another certificate' ? [ownKey] : [esiaTestKey]
      t.throws(() => verifyEsiaToken(token, alg, keysToTry), message, name)
    }
    const empty = gostToken({ alg: 'GOST3410_2012_256' }, {})
    const arrayPayload = `${part({ alg: 'GOST3410_2012_256' })}.${part([1])}`
    t.throws(
      () => verifyEsiaToken(`${arrayPayload}.${gostSignature(arrayPayload)}`, 'GOST3410_2012_256', [ownKey]),
      /payload is not a JSON object/,
    )
    t.same(verifyEsiaToken(empty, 'GOST3410_2012_256', [ownKey]), {}, 'an empty object is a payload')
  },
)

t.test("a token of our own GOST key, with ESIA's escaped slashes", async (t) => {
  const header = { ver: 0, typ: 'JWT', sbt: 'id', alg: 'GOST3410_2012_256' }
  const input = `${part(header)}.${Buffer.from('{"iss":"http:\\/\\/esia.gosuslugi.ru\\/","sub":1000300001}').toString('base64url')}`
  const token = `${input}.${gostSignature(input)}`
  t.same(verifyEsiaToken(token, 'GOST3410_2012_256', [ownKey]), { iss: 'http://esia.gosuslugi.ru/', sub: 1000300001 })
})

t.test('RS256, when the system chose it at ESIA', async (t) => {
  const rsa = rsaKeyPair('ESIA RSA')
  const publicKey = esiaTokenKey(rsa.certificatePem, 'RS256', gost)
  const input = `${part({ alg: 'RS256', sbt: 'id' })}.${part({ sub: 1 })}`
  const token = `${input}.${sign('sha256', Buffer.from(input), createPrivateKey(rsa.privateKeyPem)).toString('base64url')}`
  t.same(verifyEsiaToken(token, 'RS256', [publicKey]), { sub: 1 })
  t.throws(
    () => verifyEsiaToken(token, 'GOST3410_2012_256', [publicKey]),
    /expected GOST3410_2012_256/,
    'the algorithm is an allow-list of one',
  )
})

t.test('a certificate whose key does not fit the algorithm is refused when the key is made', async (t) => {
  const rsa = rsaKeyPair('ESIA RSA')
  for (const implementation of gostImplementations) {
    t.throws(
      () => esiaTokenKey(keys.certificatePem, 'RS256', implementation),
      /holds a GOST key, not an RSA key/,
      `${implementation.name}: a GOST certificate for RS256`,
    )
    t.throws(
      () => esiaTokenKey(rsa.certificatePem, 'GOST3410_2012_256', implementation),
      /not a GOST R 34\.10-2012 \(256\) key/,
      `${implementation.name}: an RSA certificate for GOST`,
    )
  }
})
