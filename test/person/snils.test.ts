import t from 'tap'
import { hmacSnils, parseSnils, snilsCheckNumber } from '../../src/person/snils.js'

t.test('check number: (Σ d_i·(10−i) mod 101) mod 100', async (t) => {
  const cases: [nine: string, check: number, why: string][] = [
    ['112233445', 95, 'the example in docs/accounts.md'],
    ['123456789', 64, 'sum 165 → 64'],
    ['920000002', 99, 'sum 99 is its own check'],
    ['920000003', 0, 'sum 100 → 00'],
    ['920000004', 0, 'sum 101 → 00'],
    ['920000005', 1, 'sum 102 → 01'],
    ['999999999', 1, 'sum 405 → 405 mod 101 = 1'],
    ['001001999', 65, 'first number that carries a check'],
  ]
  for (const [nine, check, why] of cases) t.equal(snilsCheckNumber(nine), check, `${nine}: ${why}`)
})

t.test('parseSnils accepts any common formatting and rejects wrong check numbers', async (t) => {
  const cases: [input: string, expected: ReturnType<typeof parseSnils>][] = [
    ['112-233-445 95', { ok: true, digits: '11223344595' }],
    ['11223344595', { ok: true, digits: '11223344595' }],
    ['  112 233 445 95 ', { ok: true, digits: '11223344595' }],
    ['112–233–445–95', { ok: true, digits: '11223344595' }],
    ['112.233.445 95', { ok: true, digits: '11223344595' }],
    ['920-000-003 00', { ok: true, digits: '92000000300' }],
    ['920-000-004 00', { ok: true, digits: '92000000400' }],
    ['001-001-998 00', { ok: true, digits: '00100199800' }],
    ['001-001-998 77', { ok: true, digits: '00100199877' }],
    ['001-001-999 65', { ok: true, digits: '00100199965' }],
    ['001-001-999 00', { ok: false, reason: 'checksum' }],
    ['112-233-445 96', { ok: false, reason: 'checksum' }],
    ['920-000-004 01', { ok: false, reason: 'checksum' }],
    ['000-000-000 00', { ok: false, reason: 'checksum' }],
    ['112-233-445', { ok: false, reason: 'format' }],
    ['1122334459', { ok: false, reason: 'format' }],
    ['112233445950', { ok: false, reason: 'format' }],
    ['112-233-445 95x', { ok: false, reason: 'format' }],
    ['СНИЛС 112-233-445 95', { ok: false, reason: 'format' }],
    ['', { ok: false, reason: 'format' }],
  ]
  for (const [input, expected] of cases) t.same(parseSnils(input), expected, JSON.stringify(input))
})

t.test('hmacSnils depends on the pepper and reveals nothing of the digits', async (t) => {
  const a = hmacSnils(Buffer.alloc(32, 1), '11223344595')
  t.match(a, /^[0-9a-f]{64}$/)
  t.equal(a, hmacSnils(Buffer.alloc(32, 1), '11223344595'), 'deterministic')
  t.not(a, hmacSnils(Buffer.alloc(32, 2), '11223344595'), 'another pepper, another value')
  t.notMatch(a, /11223344595/)
})
