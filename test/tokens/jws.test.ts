/*
 * The bridge's own JWS signatures (src/tokens/jws.ts) for each algorithm the key store makes: jose, as a
 * diary module would, verifies them; a signature over other claims is refused; an unknown alg is an error.
 */
import { generateKeyPairSync } from 'node:crypto'
import { compactVerify, decodeProtectedHeader, jwtVerify } from 'jose'
import t from 'tap'
import { assertKeyFits, signJws } from '../../src/tokens/jws.js'

const pairs = {
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  EdDSA: generateKeyPairSync('ed25519'),
  RS256: generateKeyPairSync('rsa', { modulusLength: 2048 }),
}

for (const [alg, { privateKey, publicKey }] of Object.entries(pairs)) {
  t.test(`${alg}: jose verifies what the bridge signs`, async (t) => {
    const token = signJws(
      { alg, kid: 'k1', typ: 'at+jwt' },
      { iss: 'https://id.example', sub: 'a1', exp: 4_102_444_800, scope: 'openid' },
      privateKey,
    )
    t.same(decodeProtectedHeader(token), { alg, kid: 'k1', typ: 'at+jwt' })
    const { payload } = await jwtVerify(token, publicKey, {
      issuer: 'https://id.example',
      typ: 'at+jwt',
      algorithms: [alg],
    })
    t.same(payload, { iss: 'https://id.example', sub: 'a1', exp: 4_102_444_800, scope: 'openid' })
    const [header, , signature] = token.split('.')
    const forged = `${header}.${Buffer.from(JSON.stringify({ sub: 'a2' })).toString('base64url')}.${signature}`
    await t.rejects(compactVerify(forged, publicKey), 'a signature over other claims is refused')
  })
}

t.test('an algorithm the key store never makes cannot sign', async (t) => {
  t.throws(() => signJws({ alg: 'HS256', kid: 'k1', typ: 'JWT' }, {}, pairs.ES256.privateKey), /cannot sign with HS256/)
})

t.test('a key that does not fit its algorithm is refused', async (t) => {
  for (const alg of Object.keys(pairs))
    t.doesNotThrow(() => assertKeyFits(alg, pairs[alg as keyof typeof pairs].privateKey), `${alg} fits`)
  t.throws(() => assertKeyFits('ES256', pairs.EdDSA.privateKey), /does not fit ES256/)
  t.throws(() => assertKeyFits('EdDSA', pairs.RS256.privateKey), /does not fit EdDSA/)
  t.throws(
    () => assertKeyFits('ES256', generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey),
    /does not fit ES256/,
  )
  t.throws(
    () => assertKeyFits('RS256', generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey),
    /does not fit RS256/,
  )
})
