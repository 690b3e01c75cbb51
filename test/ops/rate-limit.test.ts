import t from 'tap'
import {
  addressOf,
  decideRate,
  maxKeyLength,
  rateKey,
  secondsLeftInWindow,
  windowStartOf,
} from '../../src/ops/rate-limit.js'

const at = (iso: string) => new Date(iso)

t.test('windows are aligned to the epoch, whatever the instance', async (t) => {
  const cases: [now: string, windowSeconds: number, start: string, why: string][] = [
    ['2030-01-01T10:00:00.000Z', 60, '2030-01-01T10:00:00.000Z', 'the first millisecond opens a window'],
    ['2030-01-01T10:00:59.999Z', 60, '2030-01-01T10:00:00.000Z', 'the last millisecond still belongs to it'],
    ['2030-01-01T10:01:00.000Z', 60, '2030-01-01T10:01:00.000Z', 'the next minute is the next window'],
    ['2030-01-01T10:07:30.000Z', 900, '2030-01-01T10:00:00.000Z', 'quarter hours from the hour'],
    [
      '2030-01-01T10:00:07.000Z',
      7,
      '2030-01-01T10:00:06.000Z',
      'a length that does not divide a minute counts from the epoch, not the minute (10:00:00 is 1 s past a boundary)',
    ],
    ['1970-01-01T00:00:00.000Z', 60, '1970-01-01T00:00:00.000Z', 'the epoch itself'],
  ]
  for (const [now, windowSeconds, start, why] of cases)
    t.equal(new Date(windowStartOf(at(now), windowSeconds)).toISOString(), start, why)
})

t.test('Retry-After: the whole seconds to the end of the window, at least 1', async (t) => {
  const cases: [now: string, windowSeconds: number, seconds: number, why: string][] = [
    ['2030-01-01T10:00:00.000Z', 60, 60, 'at the start: the whole window'],
    ['2030-01-01T10:00:15.000Z', 60, 45, '15 s in'],
    ['2030-01-01T10:00:15.200Z', 60, 45, 'a started second is a whole one (44.8 → 45)'],
    ['2030-01-01T10:00:59.999Z', 60, 1, 'the last millisecond: 1, never 0'],
    ['2030-01-01T10:10:00.000Z', 900, 300, 'five minutes before the quarter hour'],
  ]
  for (const [now, windowSeconds, seconds, why] of cases)
    t.equal(secondsLeftInWindow(at(now), windowSeconds), seconds, why)
})

t.test('a request is refused once it would pass the limit; 0 means no limit', async (t) => {
  const now = at('2030-01-01T10:00:20.000Z')
  const cases: [known: number, limit: number, expected: ReturnType<typeof decideRate>, why: string][] = [
    [0, 5, { allowed: true }, 'nothing counted yet'],
    [4, 5, { allowed: true }, 'the 5th request of a limit of 5 passes'],
    [5, 5, { allowed: false, retryAfterSeconds: 40 }, 'the 6th is refused until the window ends'],
    [70, 5, { allowed: false, retryAfterSeconds: 40 }, 'far past the limit (other instances overshot)'],
    [0, 1, { allowed: true }, 'a limit of 1: the first passes'],
    [1, 1, { allowed: false, retryAfterSeconds: 40 }, 'a limit of 1: the second is refused'],
    [1_000_000, 0, { allowed: true }, '0 turns the limit off'],
  ]
  for (const [known, limit, expected, why] of cases) t.same(decideRate(known, limit, now, 60), expected, why)
})

t.test('keys name their kind and are cut to a bounded length', async (t) => {
  const cases: [kind: 'client' | 'address', value: string, key: string, why: string][] = [
    ['client', 'web-diary', 'client:web-diary', 'a client id'],
    ['address', '203.0.113.9', 'address:203.0.113.9', 'an IPv4 address'],
    ['address', '2001:db8::1', 'address:2001:db8::1', 'an IPv6 address'],
    [
      'client',
      'x'.repeat(5000),
      `client:${'x'.repeat(maxKeyLength - 'client:'.length)}`,
      'a made-up id of 5,000 characters is cut',
    ],
  ]
  for (const [kind, value, key, why] of cases) t.equal(rateKey(kind, value), key, why)
  t.equal(maxKeyLength, 200)
})

t.test('an address counts as itself for IPv4 and as its /64 for IPv6', async (t) => {
  const cases: [ip: string, counted: string, why: string][] = [
    ['192.0.2.1', '192.0.2.1', 'IPv4 as it is'],
    ['::ffff:192.0.2.1', '192.0.2.1', 'an IPv4-mapped IPv6 address is its IPv4'],
    ['2001:db8::1', '2001:db8:0:0::/64', 'IPv6: its /64'],
    ['2001:db8::2', '2001:db8:0:0::/64', 'another host of the same /64 shares the count'],
    ['2001:0db8:0000:0001:aaaa::1', '2001:db8:0:1::/64', 'leading zeros and case do not make another key'],
    ['2001:DB8:1:2:3:4:5:6', '2001:db8:1:2::/64', 'a full address'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64', 'a zone id is dropped'],
    ['::1', '0:0:0:0::/64', 'loopback'],
    ['not an address', 'not an address', 'anything else as it is (the key length is bounded by rateKey)'],
  ]
  for (const [ip, counted, why] of cases) t.equal(addressOf(ip), counted, why)
})
