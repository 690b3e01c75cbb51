import { randomBytes } from 'node:crypto'
import t from 'tap'
import { secretsKey } from '../../src/accounts/keyed-hash.js'
import {
  factorSecretKey,
  hashRecoveryCode,
  openFactorSecret,
  sealFactorSecret,
} from '../../src/factors/factor-secret.js'
import { decryptPrivateKey, encryptPrivateKey } from '../../src/tokens/key-encryption.js'

const kek = randomBytes(32)
const key = factorSecretKey(kek)
const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'

t.test('factorSecretKey is derived, stable, and not the KEK', async (t) => {
  t.equal(key.length, 32)
  t.not(key.toString('hex'), kek.toString('hex'))
  t.equal(factorSecretKey(Buffer.from(kek)).toString('hex'), key.toString('hex'), 'same KEK bytes, same key')
  t.not(factorSecretKey(randomBytes(32)).toString('hex'), key.toString('hex'))
})

t.test('seal and open', async (t) => {
  const sealed = sealFactorSecret(key, secret)
  t.match(sealed, /^f1\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/)
  t.notMatch(sealed, secret, 'the secret is not readable in the sealed text')
  t.equal(openFactorSecret(key, sealed), secret)
  t.not(sealFactorSecret(key, secret), sealed, 'a fresh IV each time')
})

t.test('anything but the sealed text under the right key throws', async (t) => {
  const sealed = sealFactorSecret(key, secret)
  const [format, iv, tag, ciphertext] = sealed.split('.') as [string, string, string, string]
  const flip = (part: string) => {
    const bytes = Buffer.from(part, 'base64url')
    bytes[0] = (bytes[0] as number) ^ 1
    return bytes.toString('base64url')
  }
  const cases: [why: string, key: Buffer, text: string][] = [
    ['another key', factorSecretKey(randomBytes(32)), sealed],
    ['the KEK itself (not the derived key)', kek, sealed],
    ['a changed ciphertext', key, [format, iv, tag, flip(ciphertext)].join('.')],
    ['a changed tag', key, [format, iv, flip(tag), ciphertext].join('.')],
    ['a changed IV', key, [format, flip(iv), tag, ciphertext].join('.')],
    ['a shortened tag (GCM would check only its bytes)', key, [format, iv, tag.slice(0, 11), ciphertext].join('.')],
    ['another version', key, ['f2', iv, tag, ciphertext].join('.')],
    ['a part missing', key, [format, iv, tag].join('.')],
    ['a part too many', key, [sealed, 'x'].join('.')],
    ['a plain secret', key, secret],
    ['empty', key, ''],
  ]
  for (const [why, k, text] of cases) t.throws(() => openFactorSecret(k, text), why)
})

t.test('a signing key ciphertext and a factor secret do not open as each other', async (t) => {
  const signingKey = encryptPrivateKey(kek, 'kid-1', secret)
  t.throws(() => openFactorSecret(key, signingKey))
  t.throws(() => decryptPrivateKey(kek, 'kid-1', sealFactorSecret(key, secret)))
})

t.test('hashRecoveryCode', async (t) => {
  const hashKey = secretsKey(randomBytes(32))
  const account = '0190a8e2-1c3b-7d4e-8f00-000000000001'
  const hash = hashRecoveryCode(hashKey, account, '7hq2mxk4c9fa')
  t.match(hash, /^[0-9a-f]{64}$/)
  t.equal(hashRecoveryCode(hashKey, account, '7hq2mxk4c9fa'), hash, 'deterministic: the table finds it again')
  t.not(hashRecoveryCode(hashKey, '0190a8e2-1c3b-7d4e-8f00-000000000002', '7hq2mxk4c9fa'), hash, 'another account')
  t.not(hashRecoveryCode(hashKey, account, '7hq2mxk4c9fb'), hash, 'another code')
  t.not(hashRecoveryCode(secretsKey(randomBytes(32)), account, '7hq2mxk4c9fa'), hash, 'another pepper')
})
