import t from 'tap'
import { checkImportedHash, createPasswordHasher } from '../../src/accounts/password-hash.js'

t.test('hashes with argon2id at OWASP parameters and verifies', async (t) => {
  const hasher = createPasswordHasher({ workers: 2 })
  t.teardown(() => hasher.close())
  const hash = await hasher.hash('Лето-в-Архангельске')
  t.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
  t.equal(checkImportedHash(hash), undefined)
  t.equal(await hasher.verify(hash, 'Лето-в-Архангельске'), true)
  t.equal(await hasher.verify(hash, 'лето-в-архангельске'), false)
  await t.rejects(hasher.verify('not a hash', 'x'), 'a malformed hash is an error, not a pass')
  t.match(hasher.stats(), { workers: 2, busy: 0, queued: 0 })
})

t.test('beyond its workers and queue, the pool refuses at once with ERR_BUSY', async (t) => {
  const hasher = createPasswordHasher({ workers: 1, maxQueue: 2 })
  t.teardown(() => hasher.close())
  const results = await Promise.allSettled(Array.from({ length: 6 }, () => hasher.hash('x')))
  const refused = results.filter((r) => r.status === 'rejected')
  t.equal(results.filter((r) => r.status === 'fulfilled').length, 3, 'one running + two queued')
  t.equal(refused.length, 3)
  t.match((refused[0] as PromiseRejectedResult).reason, { code: 'ERR_BUSY', retryAfterSeconds: 2 })
  t.equal(hasher.stats().refused, 3)
})
