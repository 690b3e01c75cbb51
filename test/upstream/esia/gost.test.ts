/*
 * Both GOST implementations (JavaScript always, OpenSSL's engine where it is installed) against
 * published values, a real ESIA token and each other; what a verifier refuses; which one "auto" takes.
 */
import { generateKeyPairSync, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { ensureGostKeyPair } from '../../../demo/gost-keys.js'
import { certificateHash, chooseGost, describeGostChoice, gostReport } from '../../../src/upstream/esia/gost.js'
import { generateGostKeyPair } from '../../../src/upstream/esia/gost-javascript.js'
import { engineGost, gostImplementations, javascriptGost, needsEngine } from '../../helpers/gost-world.js'

const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8').trim()
const m2 = Buffer.from(
  'fbe2e5f0eee3c820fbeafaebef20fffbf0e1e0f0f520e0ed20e8ece0ebe5f0f2f120fff0eeec20f120faf2fee5e2202ce8f6f3ede220e8e6eee1e8f0f2d1202ce8f0f2e5e220e5d1',
  'hex',
).reverse()
const pair = generateGostKeyPair('GOST test', { days: 1 })
const other = generateGostKeyPair('GOST test, another key', { days: 1 })
const data = Buffer.from('DIARY29openid fullname birthdate snils2026.11.29 11:36:11 +0000', 'utf8')

t.test('GOST R 34.11-2012 (256): published values, by every implementation', async (t) => {
  const cases: [string, Buffer, string][] = [
    [
      "the standard's example M1",
      Buffer.from('012345678901234567890123456789012345678901234567890123456789012'),
      '9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500',
    ],
    [
      "the standard's example M2 (72 bytes: two blocks)",
      m2,
      '9dd2fe4e90409e5da87f53976d7405b0c0cac628fc669a741d50063c557e8f50',
    ],
    ['no bytes', Buffer.alloc(0), '3f539a213e97c802cc229d474c6aa32a825a360b2a933a949fd925208d9ce1bb'],
  ]
  for (const gost of gostImplementations)
    for (const [why, input, hash] of cases) t.equal(gost.hash(input).toString('hex'), hash, `${gost.name}: ${why}`)
  for (const gost of gostImplementations)
    t.match(
      certificateHash(gost, pair.certificatePem),
      /^[0-9A-F]{64}$/,
      `${gost.name}: the certificate hash is upper-case hex, as cpverify prints it`,
    )
})

t.test("a real token of ESIA's test stand verifies with ESIA's test certificate (CryptoPro-XchA), as is", async (t) => {
  const [header, payload, signature] = fixture('ekapusta-token.jwt').split('.') as [string, string, string]
  const input = Buffer.from(`${header}.${payload}`)
  for (const gost of gostImplementations) {
    const key = gost.certificatePublicKey(fixture('ekapusta-esia-test.cer.pem'))
    t.ok(key.verify(input, Buffer.from(signature, 'base64url')), `${gost.name}: verifies`)
    t.notOk(key.verify(input, Buffer.from(signature, 'base64url').reverse()), `${gost.name}: not reversed`)
  }
})

t.test('signatures: 64 bytes, verified by the certificate in every implementation, whoever signed', async (t) => {
  for (const signer of gostImplementations) {
    const signature = signer.privateKey(pair.privateKeyPem).sign(data)
    t.equal(signature.length, 64)
    for (const verifier of gostImplementations)
      t.ok(
        verifier.certificatePublicKey(pair.certificatePem).verify(data, signature),
        `${signer.name} signs, ${verifier.name} verifies`,
      )
  }
  const again = javascriptGost.privateKey(pair.privateKeyPem)
  t.not(again.sign(data).toString('hex'), again.sign(data).toString('hex'), 'a fresh random k each time')
})

t.test('what a verifier refuses, in every implementation', async (t) => {
  const q = 0xffffffffffffffffffffffffffffffff6c611070995ad10045841b09b761b893n
  const good = javascriptGost.privateKey(pair.privateKeyPem).sign(data)
  const flipped = Buffer.from(good)
  flipped[10] = (flipped[10] as number) ^ 1
  const word = (value: bigint) => Buffer.from(value.toString(16).padStart(64, '0'), 'hex')
  const cases: [string, Buffer, Buffer][] = [
    ["the signature reversed (CryptoPro's order)", data, Buffer.from(good).reverse()],
    ['one bit changed', data, flipped],
    ['other data', Buffer.from('another string'), good],
    ["another key's signature", data, javascriptGost.privateKey(other.privateKeyPem).sign(data)],
    ['64 zero bytes (r = s = 0)', data, Buffer.alloc(64)],
    ['r = q, s as signed', data, Buffer.concat([good.subarray(0, 32), word(q)])],
    ['s = q, r as signed', data, Buffer.concat([word(q), good.subarray(32)])],
    ['63 bytes', data, good.subarray(1)],
    ['no bytes', data, Buffer.alloc(0)],
  ]
  for (const gost of gostImplementations) {
    const key = gost.certificatePublicKey(pair.certificatePem)
    t.ok(key.verify(data, good), `${gost.name}: the good signature verifies`)
    for (const [why, input, signature] of cases) t.notOk(key.verify(input, signature), `${gost.name}: ${why}`)
  }
})

t.test('keys refused the same way by every implementation', async (t) => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string
  for (const gost of gostImplementations) {
    t.throws(() => gost.privateKey(rsa), /not a GOST R 34\.10-2012 \(256\) key/, `${gost.name}: an RSA private key`)
    t.throws(
      () => gost.privateKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'),
      /DER/,
      `${gost.name}: a key that does not decode`,
    )
  }
})

t.test('the choice: "javascript", "openssl-engine", "auto"', async (t) => {
  const javascript = chooseGost('javascript')
  t.equal(javascript.crypto, javascriptGost)
  t.equal(
    describeGostChoice(javascript),
    'GOST R 34.10/34.11-2012 for ESIA: JavaScript (node-gost-crypto), because bridge.json says gostImplementation "javascript"',
  )
  const auto = chooseGost('auto')
  if (engineGost === undefined) {
    t.equal(auto.crypto, javascriptGost, 'auto falls back without the engine')
    t.match(
      describeGostChoice(auto),
      /JavaScript \(node-gost-crypto\), because OpenSSL's GOST engine cannot be loaded from \S+gost\.so/,
    )
    t.throws(
      () => chooseGost('openssl-engine'),
      /OpenSSL's GOST engine cannot be loaded/,
      '"openssl-engine" refuses to go on without it',
    )
  } else {
    t.same(auto, { crypto: engineGost }, 'auto takes the engine where it loads')
    t.equal(chooseGost('openssl-engine').crypto, engineGost)
    t.equal(describeGostChoice(auto), "GOST R 34.10/34.11-2012 for ESIA: OpenSSL's GOST engine")
  }
  t.equal(chooseGost().crypto, auto.crypto, 'once per process: the same answer every time')
})

t.test(
  'gostReport: nothing without an ESIA region; otherwise the implementation, the regions and a fallback',
  async (t) => {
    const region = (code: string, type: 'esia' | 'oidc') =>
      [code, { code, stateServices: { provider: { type } } }] as const
    const config = (gostImplementation: 'auto' | 'javascript', ...regions: ReturnType<typeof region>[]) =>
      ({ bridge: { gostImplementation }, regions: new Map(regions) }) as unknown as Parameters<typeof gostReport>[0]
    t.equal(gostReport(config('auto', region('78', 'oidc'))), undefined, 'no ESIA region: no line')
    t.match(
      gostReport(config('javascript', region('29', 'esia'), region('78', 'oidc'))),
      { implementation: 'javascript', regions: ['29'], fellBack: false, message: /JavaScript .* \(regions 29\)$/ },
      'asked for: no warning',
    )
    const auto = gostReport(config('auto', region('29', 'esia')))
    if (engineGost === undefined)
      t.match(auto, {
        implementation: 'javascript',
        fellBack: true,
        message: /\(regions 29\); production should keep the engine/,
      })
    else
      t.match(auto, {
        implementation: 'openssl-engine',
        fellBack: false,
        message: "GOST R 34.10/34.11-2012 for ESIA: OpenSSL's GOST engine (regions 29)",
      })
  },
)

t.test(
  "the engine: a hash does not make the next key decode fail (OpenSSL's stale error)",
  { skip: needsEngine },
  async (t) => {
    const engine = engineGost as NonNullable<typeof engineGost>
    const dir = t.testdir()
    const first = ensureGostKeyPair(dir, 'first', 'first', engine)
    const second = ensureGostKeyPair(dir, 'second', 'second', engine)
    engine.privateKey(first.privateKeyPem)
    certificateHash(engine, first.certificatePem)
    t.doesNotThrow(() => engine.privateKey(second.privateKeyPem))
    t.equal(
      new X509Certificate(second.certificatePem).subject,
      'CN=second',
      'made by the openssl CLI with the subject asked for',
    )
  },
)
