import { Secret, TOTP, URI } from 'otpauth'
import t from 'tap'
import { createTotpSecret, matchTotpCode, totpStep, totpUri } from '../../src/factors/totp.js'

// RFC 6238 appendix B: the SHA1 seed is the ASCII of "12345678901234567890"; its vectors are 8 digits, and a
// 6-digit code is their last 6 (the truncation takes the value mod 10^digits).
const rfcSecret = Secret.fromUTF8('12345678901234567890').base32

t.test('matchTotpCode with the RFC 6238 vectors', async (t) => {
  const cases: [
    why: string,
    code: string,
    unixSeconds: number,
    lastStep: number | null,
    expected: number | undefined,
  ][] = [
    ['T = 59 s: 94287082 → 287082, step 1', '287082', 59, null, 1],
    ['T = 1111111109: 07081804, a leading zero kept', '081804', 1111111109, null, 37037036],
    ['T = 1111111111: 14050471, the step after the previous row', '050471', 1111111111, null, 37037037],
    ['T = 1234567890: 89005924, two leading zeros', '005924', 1234567890, null, 41152263],
    ['T = 2000000000: 69279037', '279037', 2000000000, null, 66666666],
    ['T = 20000000000: 65353130, past 2038', '353130', 20000000000, null, 666666666],
    ['the code of the step before is accepted (clock drift)', '081804', 1111111111, null, 37037036],
    ['the code of the step after is accepted (clock drift)', '050471', 1111111109, null, 37037037],
    ['a code two steps away is refused', '081804', 1111111111 + 30, null, undefined],
    ['a code of T = 59 at another time is refused', '287082', 1111111111, null, undefined],
    ['replay: the step was spent', '050471', 1111111111, 37037037, undefined],
    ['replay of an older step after a later one was spent', '081804', 1111111111, 37037037, undefined],
    ['the step before was spent, the current one is still free', '050471', 1111111111, 37037036, 37037037],
    ['lastStep of long ago does not matter', '050471', 1111111111, 1, 37037037],
    ['spaces typed in the middle are forgiven', '050 471', 1111111111, null, 37037037],
    ['spaces around are forgiven', ' 050471 ', 1111111111, null, 37037037],
    ['the 8-digit vector is not a 6-digit code', '14050471', 1111111111, null, undefined],
    ['five digits', '50471', 1111111111, null, undefined],
    ['a letter', '05047l', 1111111111, null, undefined],
    ['a dash is not forgiven (not how apps show codes)', '050-471', 1111111111, null, undefined],
    ['empty', '', 1111111111, null, undefined],
    ['a wrong code of the right shape', '050472', 1111111111, null, undefined],
  ]
  for (const [why, code, unixSeconds, lastStep, expected] of cases) {
    t.equal(matchTotpCode(rfcSecret, code, unixSeconds * 1000, lastStep), expected, why)
  }
})

t.test('totpStep is Unix time over 30 s', async (t) => {
  t.equal(totpStep(59_000), 1)
  t.equal(totpStep(1111111110_000), 37037037, 'a step starts on a multiple of 30 s')
  t.equal(totpStep(1111111109_999), 37037036)
})

t.test('createTotpSecret: 20 random bytes in base32', async (t) => {
  const secret = createTotpSecret()
  t.match(secret, /^[A-Z2-7]{32}$/, '160 bits are 32 base32 characters, no padding')
  t.equal(Secret.fromBase32(secret).bytes.length, 20)
  t.not(createTotpSecret(), secret, 'each secret is new')
})

t.test('totpUri: what an authenticator app reads, and codes it then makes are accepted', async (t) => {
  const secret = createTotpSecret()
  const uri = totpUri({ secret, issuer: 'Дневник 29', label: 'ivanova.m' })
  const url = new URL(uri)
  t.equal(url.protocol, 'otpauth:')
  t.equal(url.host, 'totp')
  t.equal(url.searchParams.get('secret'), secret)
  t.equal(url.searchParams.get('issuer'), 'Дневник 29')
  t.equal(url.searchParams.get('algorithm'), 'SHA1')
  t.equal(url.searchParams.get('digits'), '6')
  t.equal(url.searchParams.get('period'), '30')
  t.equal(decodeURIComponent(url.pathname), '/Дневник 29:ivanova.m')

  const app = URI.parse(uri)
  t.ok(app instanceof TOTP)
  const now = Date.UTC(2026, 11, 7, 20, 30, 15)
  t.equal(matchTotpCode(secret, app.generate({ timestamp: now }), now, null), totpStep(now))
  t.equal(matchTotpCode(createTotpSecret(), app.generate({ timestamp: now }), now, null), undefined, 'another secret')
})
