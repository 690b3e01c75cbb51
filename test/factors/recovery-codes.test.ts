import t from 'tap'
import { createRecoveryCodes, normaliseRecoveryCode, recoveryCodeAlphabet } from '../../src/factors/recovery-codes.js'

t.test('createRecoveryCodes: ten readable codes of at least 50 bits', async (t) => {
  const codes = createRecoveryCodes()
  t.equal(codes.length, 10)
  t.equal(new Set(codes).size, 10, 'all different')
  for (const code of codes) t.match(code, /^[2-9a-hjkmnp-z]{4}-[2-9a-hjkmnp-z]{4}-[2-9a-hjkmnp-z]{4}$/)
  t.ok(12 * Math.log2(recoveryCodeAlphabet.length) >= 50, '12 characters of the alphabet carry ≥ 50 bits')
  t.equal(new Set(recoveryCodeAlphabet).size, recoveryCodeAlphabet.length, 'no character twice in the alphabet')
  t.notMatch(recoveryCodeAlphabet, /[01oil]/, 'no look-alikes')
  t.same(
    codes.map((code) => normaliseRecoveryCode(code)),
    codes.map((code) => code.replace(/-/g, '')),
    'a code as shown normalises to itself without dashes',
  )
  const seen = new Set(
    Array.from({ length: 50 }, () => createRecoveryCodes().join(''))
      .join('')
      .replace(/-/g, ''),
  )
  t.equal(seen.size, recoveryCodeAlphabet.length, 'every character of the alphabet is drawn')
})

t.test('normaliseRecoveryCode', async (t) => {
  const cases: [why: string, typed: string, expected: string | undefined][] = [
    ['as shown', '7hq2-mxk4-c9fa', '7hq2mxk4c9fa'],
    ['without dashes', '7hq2mxk4c9fa', '7hq2mxk4c9fa'],
    ['upper case, as read from paper', '7HQ2-MXK4-C9FA', '7hq2mxk4c9fa'],
    ['spaces instead of dashes', '7hq2 mxk4 c9fa', '7hq2mxk4c9fa'],
    ['spaces around, pasted', '  7hq2-mxk4-c9fa\n', '7hq2mxk4c9fa'],
    ['one character short', '7hq2-mxk4-c9f', undefined],
    ['one character long', '7hq2-mxk4-c9faa', undefined],
    ['a zero is never in a code', '7hq2-mxk4-c90a', undefined],
    ['a one is never in a code', '7hq2-mxk4-c91a', undefined],
    ['an o is never in a code', '7hq2-mxk4-c9oa', undefined],
    ['an l is never in a code', '7hq2-mxk4-c9la', undefined],
    ['an I is never in a code', '7hq2-mxk4-c9Ia', undefined],
    ['a Cyrillic look-alike (с) is not a latin c', '7hq2-mxk4-с9fa', undefined],
    ['other punctuation is not forgiven', '7hq2.mxk4.c9fa', undefined],
    ['a TOTP code is not a recovery code', '123456', undefined],
    ['empty', '', undefined],
  ]
  for (const [why, typed, expected] of cases) t.equal(normaliseRecoveryCode(typed), expected, why)
})
