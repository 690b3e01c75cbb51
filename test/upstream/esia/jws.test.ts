import { generateKeyPairSync, sign } from 'node:crypto'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { ensureGostKeyPair } from '../../../src/demo/gost-keys.js'
import { certificatePublicKey, gostPrivateKey, gostSign } from '../../../src/upstream/esia/gost.js'
import { verifyEsiaToken } from '../../../src/upstream/esia/jws.js'

const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8').trim()
// A real token of ESIA's test stand (2020) and ESIA's test certificate: fixtures/SOURCE.md.
const realToken = fixture('ekapusta-token.jwt')
const esiaTestKey = certificatePublicKey(fixture('ekapusta-esia-test.cer.pem'))

const keys = ensureGostKeyPair(t.testdir(), 'esia', '/CN=ESIA simulator')
const ownKey = certificatePublicKey(keys.certificatePem)
const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

function gostToken(header: Record<string, unknown>, payload: Record<string, unknown>, privateKeyPem = keys.privateKeyPem): string {
  const input = `${part(header)}.${part(payload)}`
  return `${input}.${gostSign(gostPrivateKey(privateKeyPem), Buffer.from(input)).toString('base64url')}`
}

t.test('a real token of ESIA\'s test stand verifies with ESIA\'s test certificate, as is', async (t) => {
  const payload = verifyEsiaToken(realToken, 'GOST3410_2012_256', [esiaTestKey])
  t.equal(payload.client_id, 'MNSV36')
  t.equal(payload.iss, 'http://esia.gosuslugi.ru/', 'escaped slashes read as slashes')
  t.equal((payload['urn:esia:sbj'] as Record<string, unknown>)['urn:esia:sbj:oid'], 1000404446, 'the OID is a JSON number')
  t.same(verifyEsiaToken(realToken, 'GOST3410_2012_256', [ownKey, esiaTestKey]), payload, 'every configured certificate is tried (a rotation)')
})

t.test('refused: another certificate, a changed payload, a reversed or short signature, another algorithm, not a JWS', async (t) => {
  const [header, payload, signature] = realToken.split('.') as [string, string, string]
  const changed = Buffer.from(payload, 'base64url').toString('utf8').replace('MNSV36', 'MNSV37')
  const reversed = Buffer.from(signature, 'base64url').reverse().toString('base64url')
  const cases: [string, string, 'GOST3410_2012_256' | 'RS256', RegExp][] = [
    ['another certificate', realToken, 'GOST3410_2012_256', /does not verify/],
    ['a changed payload', `${header}.${Buffer.from(changed).toString('base64url')}.${signature}`, 'GOST3410_2012_256', /does not verify/],
    ['the signature reversed (CryptoPro order)', `${header}.${payload}.${reversed}`, 'GOST3410_2012_256', /does not verify/],
    ['a short signature', `${header}.${payload}.${signature.slice(0, 40)}`, 'GOST3410_2012_256', /does not verify/],
    ['RS256 expected', realToken, 'RS256', /expected RS256/],
    ['alg none', `${part({ alg: 'none' })}.${payload}.`, 'GOST3410_2012_256', /not a compact JWS/],
    ['two parts', `${header}.${payload}`, 'GOST3410_2012_256', /not a compact JWS/],
    ['a header that is not JSON', `${Buffer.from('{no').toString('base64url')}.${payload}.${signature}`, 'GOST3410_2012_256', /header is not JSON/],
  ]
  for (const [name, token, alg, message] of cases) {
    const keysToTry = name === 'another certificate' ? [ownKey] : [esiaTestKey]
    t.throws(() => verifyEsiaToken(token, alg, keysToTry), message, name)
  }
  const empty = gostToken({ alg: 'GOST3410_2012_256' }, {})
  const arrayPayload = `${part({ alg: 'GOST3410_2012_256' })}.${part([1])}`
  t.throws(() => verifyEsiaToken(`${arrayPayload}.${gostSign(gostPrivateKey(keys.privateKeyPem), Buffer.from(arrayPayload)).toString('base64url')}`, 'GOST3410_2012_256', [ownKey]), /payload is not a JSON object/)
  t.same(verifyEsiaToken(empty, 'GOST3410_2012_256', [ownKey]), {}, 'an empty object is a payload')
})

t.test('a token of our own GOST key, with ESIA\'s escaped slashes', async (t) => {
  const header = { ver: 0, typ: 'JWT', sbt: 'id', alg: 'GOST3410_2012_256' }
  const input = `${part(header)}.${Buffer.from('{"iss":"http:\\/\\/esia.gosuslugi.ru\\/","sub":1000300001}').toString('base64url')}`
  const token = `${input}.${gostSign(gostPrivateKey(keys.privateKeyPem), Buffer.from(input)).toString('base64url')}`
  t.same(verifyEsiaToken(token, 'GOST3410_2012_256', [ownKey]), { iss: 'http://esia.gosuslugi.ru/', sub: 1000300001 })
})

t.test('RS256, when the system chose it at ESIA', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const input = `${part({ alg: 'RS256', sbt: 'id' })}.${part({ sub: 1 })}`
  const token = `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`
  t.same(verifyEsiaToken(token, 'RS256', [publicKey]), { sub: 1 })
  t.throws(() => verifyEsiaToken(token, 'GOST3410_2012_256', [publicKey]), /expected GOST3410_2012_256/, 'the algorithm is an allow-list of one')
})
