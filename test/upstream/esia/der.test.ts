import t from 'tap'
import {
  encodeDer,
  encodeOid,
  encodeTime,
  encodeUnsignedInteger,
  parseOid,
  readChildren,
  readDer,
} from '../../../src/upstream/esia/der.js'

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex')

t.test('readDer: one element, its tag and content', async (t) => {
  const cases: [string, string, number, string][] = [
    ['a short length', '04 03 010203', 0x04, '010203'],
    ['an empty content', '05 00', 0x05, ''],
    ['a long length in one byte', `04 81 80 ${'ab'.repeat(128)}`, 0x04, 'ab'.repeat(128)],
    ['a long length in two bytes', `04 82 0100 ${'cd'.repeat(256)}`, 0x04, 'cd'.repeat(256)],
    ['a context-specific tag', 'a0 03 020102', 0xa0, '020102'],
  ]
  for (const [why, input, tag, content] of cases) t.same(readDer(hex(input)), { tag, content: hex(content) }, why)
})

t.test('readDer refuses what is not exactly one definite-length element', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['no bytes', '', /truncated element/],
    ['a length past the end', '04 05 0102', /past the end/],
    ['bytes after the element', '05 00 00', /bytes after/],
    ['the indefinite length form', '30 80 0000', /unsupported length/],
    ['a length of five bytes', '04 85 0000000001 00', /unsupported length/],
    ['a truncated long length', '04 82 01', /truncated length/],
    ['a multi-byte tag', '1f 81 00 00', /multi-byte tags/],
  ]
  for (const [why, input, message] of cases) t.throws(() => readDer(hex(input)), message, why)
})

t.test('readChildren: the elements of a SEQUENCE in order; a truncated child is an error', async (t) => {
  t.same(readChildren(readDer(hex('30 06 020101 0401ff'))), [
    { tag: 0x02, content: hex('01') },
    { tag: 0x04, content: hex('ff') },
  ])
  t.same(readChildren(readDer(hex('30 00'))), [], 'an empty SEQUENCE')
  t.throws(() => readChildren(readDer(hex('30 03 020201'))), /past the end/)
})

t.test('OBJECT IDENTIFIER: written and read back (X.690 §8.19)', async (t) => {
  const cases: [string, string, string][] = [
    ['1.2.643.7.1.1.1.1', '06 08 2a8503 07 01 01 01 01', 'id-tc26-gost3410-12-256: 643 is two base-128 bytes'],
    ['1.2.643.2.2.35.1', '06 07 2a8503 02 02 23 01', 'CryptoPro-A'],
    ['2.5.4.3', '06 03 55 04 03', 'commonName: 2·40+5'],
    ['1.2.840.113549.1.1.11', '06 09 2a 8648 86f70d 01 01 0b', 'sha256WithRSAEncryption: a three-byte arc'],
    ['2.999.3', '06 03 8837 03', 'a first arc of 2 with a second past 39'],
  ]
  for (const [oid, der, why] of cases) {
    t.same(encodeOid(oid), hex(der), `${why}: written`)
    t.equal(parseOid(readDer(hex(der)).content), oid, `${why}: read`)
  }
  t.throws(() => parseOid(hex('2a 85')), /truncated/, 'a last byte with the continuation bit')
  t.throws(() => parseOid(Buffer.alloc(0)), /empty/)
})

t.test('INTEGER from unsigned big-endian bytes (X.690 §8.3.2)', async (t) => {
  const cases: [string, string, string][] = [
    ['000001', '02 01 01', 'leading zeros dropped'],
    ['80', '02 02 0080', 'a top bit set gets a 0x00: the number stays positive'],
    ['7f', '02 01 7f', 'no 0x00 without the top bit'],
    ['', '02 01 00', 'no bytes is zero'],
    ['0000', '02 01 00', 'only zeros is zero'],
  ]
  for (const [input, der, why] of cases) t.same(encodeUnsignedInteger(hex(input)), hex(der), why)
})

t.test('lengths: short below 128, long form above', async (t) => {
  const cases: [number, string][] = [
    [127, '04 7f'],
    [128, '04 81 80'],
    [300, '04 82 012c'],
    [70_000, '04 83 011170'],
  ]
  for (const [length, head] of cases)
    t.same(encodeDer(0x04, Buffer.alloc(length)).subarray(0, hex(head).length), hex(head), `${length} bytes`)
})

t.test('time: UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5), to the second', async (t) => {
  const cases: [string, string, string][] = [
    ['2026-12-07T06:39:21.123Z', `17 0d ${Buffer.from('261207063921Z').toString('hex')}`, 'milliseconds dropped'],
    ['2049-12-31T23:59:59Z', `17 0d ${Buffer.from('491231235959Z').toString('hex')}`, 'the last UTCTime year'],
    ['2050-01-01T00:00:00Z', `18 0f ${Buffer.from('20500101000000Z').toString('hex')}`, 'four-digit years from 2050'],
  ]
  for (const [date, der, why] of cases) t.same(encodeTime(new Date(date)), hex(der), why)
})
