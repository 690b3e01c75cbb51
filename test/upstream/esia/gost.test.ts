import t from 'tap'
import { ensureGostKeyPair } from '../../../src/demo/gost-keys.js'
import { certificateHash, gostHash, gostPrivateKey } from '../../../src/upstream/esia/gost.js'

t.test('GOST R 34.11-2012 (256): the standard\'s first example', async (t) => {
  t.equal(gostHash(Buffer.from('012345678901234567890123456789012345678901234567890123456789012')), '9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500')
})

t.test('a hash does not make the next key decode fail (OpenSSL\'s stale error)', async (t) => {
  const dir = t.testdir()
  const first = ensureGostKeyPair(dir, 'first', '/CN=first')
  const second = ensureGostKeyPair(dir, 'second', '/CN=second')
  gostPrivateKey(first.privateKeyPem)
  t.match(certificateHash(first.certificatePem), /^[0-9A-F]{64}$/, 'upper-case hex, as cpverify prints it')
  t.doesNotThrow(() => gostPrivateKey(second.privateKeyPem))
})
