import t from 'tap'
import { type LoginTransactionData, openLoginTransaction, type TransactionCookie } from '../../src/login/transaction.js'

/** The cookie as a plain object, as @fastify/secure-session would keep it. */
function cookie(): TransactionCookie & { data: LoginTransactionData; deleted: boolean } {
  const jar = {
    data: {} as LoginTransactionData,
    deleted: false,
    get: <K extends keyof LoginTransactionData>(key: K) => jar.data[key],
    set<K extends keyof LoginTransactionData>(key: K, value: LoginTransactionData[K] | undefined) {
      jar.data = { ...jar.data, [key]: value }
    },
    delete() {
      jar.data = {}
      jar.deleted = true
    },
  }
  return jar
}

const clock = { now: new Date('2026-11-29T10:00:00Z') }
const now = () => clock.now
const later = (seconds: number) => (clock.now = new Date(clock.now.getTime() + seconds * 1000))
const authorization = {
  clientId: 'web-diary',
  redirectUri: 'https://diary.example/cb',
  scope: 'openid',
  codeChallenge: 'x'.repeat(43),
}
const upstream = { state: 's', nonce: 'n', codeVerifier: 'v' }

t.beforeEach(() => {
  clock.now = new Date('2026-11-29T10:00:00Z')
})

t.test('each transition leaves exactly one phase; take() gives it back once it is that phase', async (t) => {
  const jar = cookie()
  const tx = openLoginTransaction(jar, { ttlSeconds: 600, now })
  t.equal(tx.peek().kind, 'start', 'a new cookie is at the start')
  tx.chooseRegion('29')
  tx.awaitAuthorization(authorization)
  t.match(tx.pendingAuthorization(), { clientId: 'web-diary' })
  tx.toUpstream({ region: '29', purpose: { kind: 'sign_in' }, upstream })
  t.match(tx.take('upstream'), { kind: 'upstream', region: '29', upstream })
  t.throws(() => tx.take('binding'), { code: 'ERR_LOGIN_EXPIRED' }, 'only the current phase can be taken')
  tx.toBinding({
    region: '29',
    issuer: 'https://esia',
    subject: 'oid',
    person: { familyName: 'И' },
    maskedName: 'М. И.',
    reason: 'no_snils',
  })
  t.throws(() => tx.take('upstream'), { code: 'ERR_LOGIN_EXPIRED' }, 'the upstream phase is over')
  const binding = tx.take('binding')
  t.equal(binding.id.length, 22, 'a random id to consume once')
  t.notSame(binding.id, jar.data.phase?.kind === 'upstream' ? jar.data.phase.id : '', 'a new id per phase')
  tx.toPasswordChange({
    accountId: 'a1',
    passwordChangedAt: null,
    method: 'state_services',
    upstreamIssuer: 'https://esia',
  })
  t.match(tx.take('password_change'), { accountId: 'a1' })
  t.equal(tx.region(), '29', 'the region stays across phases')
  t.match(tx.pendingAuthorization(), { clientId: 'web-diary' }, 'so does the waiting authorization')
  tx.abandon()
  t.equal(tx.peek().kind, 'start')
  tx.done()
  t.ok(jar.deleted, 'done deletes the cookie')
  t.equal(tx.pendingAuthorization(), undefined)
})

t.test(
  'phases and waiting authorizations expire with the TTL, and a start time in the future is refused',
  async (t) => {
    const jar = cookie()
    const tx = openLoginTransaction(jar, { ttlSeconds: 600, now })
    tx.awaitAuthorization(authorization)
    tx.toUpstream({ region: '29', purpose: { kind: 'sign_in' }, upstream })
    later(600)
    t.ok(tx.take('upstream'), 'at exactly the TTL: still fresh')
    t.ok(tx.pendingAuthorization())
    later(1)
    t.throws(() => tx.take('upstream'), { code: 'ERR_LOGIN_EXPIRED' })
    t.equal(tx.pendingAuthorization(), undefined)
    t.same(tx.peek(), { kind: 'upstream', region: '29' }, 'peek still tells what it was, for the right error')
    jar.set('phase', { kind: 'logout', redirectUri: '/login', startedAt: clock.now.getTime() + 120_000 })
    t.throws(() => tx.take('logout'), { code: 'ERR_LOGIN_EXPIRED' }, 'a phase that claims to start in two minutes')
  },
)

t.test('logout forgets a waiting authorization; answering one forgets it too', async (t) => {
  const tx = openLoginTransaction(cookie(), { ttlSeconds: 600, now })
  tx.awaitAuthorization(authorization)
  tx.authorizationAnswered()
  t.equal(tx.pendingAuthorization(), undefined)
  tx.awaitAuthorization(authorization)
  tx.toLogout('https://diary.example/bye')
  t.equal(tx.pendingAuthorization(), undefined)
  t.equal(tx.take('logout').redirectUri, 'https://diary.example/bye')
})

t.test(
  "a new SMS code page keeps the code of this browser's request before it, if that page was still open in the region",
  async (t) => {
    const tx = openLoginTransaction(cookie(), { ttlSeconds: 600, now })
    tx.toRecoveryCode({ region: '29', secretId: 's1' })
    t.same(tx.take('recovery_code').previousSecretId, undefined, 'the first request: no code before it')
    tx.toRecoveryCode({ region: '29', secretId: 's2' })
    t.match(tx.take('recovery_code'), { secretId: 's2', previousSecretId: 's1' }, 'the second keeps the first')
    tx.toRecoveryCode({ region: '29', secretId: 's3' })
    t.match(tx.take('recovery_code'), { secretId: 's3', previousSecretId: 's2' }, 'the third keeps only the second')
    tx.toRecoveryCode({ region: '78', secretId: 's4' })
    t.same(tx.take('recovery_code').previousSecretId, undefined, 'not across regions')
    later(601)
    tx.toRecoveryCode({ region: '78', secretId: 's5' })
    t.same(tx.take('recovery_code').previousSecretId, undefined, 'not from a code page that expired')
    tx.abandon()
    tx.toRecoveryCode({ region: '78', secretId: 's6' })
    t.same(tx.take('recovery_code').previousSecretId, undefined, 'not from a code page that was left')
  },
)

t.test(
  'a refused password sign-in is remembered by its login (never the password) for 2 minutes or until the sign-in',
  async (t) => {
    const jar = cookie()
    const tx = openLoginTransaction(jar, { ttlSeconds: 600, now })
    t.equal(tx.lastRefusal('29'), undefined, 'nothing refused yet')
    tx.chooseRegion('29')
    tx.passwordRefused('29', 'ivanova.m')
    t.same(tx.lastRefusal('29'), { login: 'ivanova.m' })
    t.equal(tx.lastRefusal('78'), undefined, 'only on the page of the region it was refused in')
    t.same(
      Object.keys(jar.data.refusal ?? {}).sort(),
      ['at', 'login', 'region'],
      'the region, the login and when, nothing else',
    )
    tx.toUpstream({ region: '29', purpose: { kind: 'sign_in' }, upstream })
    t.same(tx.lastRefusal('29'), { login: 'ivanova.m' }, 'a phase change keeps it')
    later(120)
    t.same(tx.lastRefusal('29'), { login: 'ivanova.m' }, 'still there after 2 minutes: time to switch the language')
    later(1)
    t.equal(
      tx.lastRefusal('29'),
      undefined,
      'gone after 2 minutes, though the login cookie lives 10: the next person at a shared computer does not see it',
    )
    tx.passwordRefused('29', 'ivanova.m')
    tx.done()
    t.equal(tx.lastRefusal('29'), undefined, 'a sign-in ends it with the cookie')
  },
)
