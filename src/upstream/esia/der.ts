/*
 * The part of DER (ITU-T X.690) that GOST keys and certificates need, read and written:
 * - one-byte tags only (universal and context-specific, below 31); definite lengths, short form below
 *   128, long form with at most 4 length bytes; a length past the end of the input is an error
 * - `readDer` takes exactly one element: trailing bytes are an error
 * - INTEGER is written from unsigned big-endian bytes: leading zeros dropped, one 0x00 added when the
 *   top bit is set (X.690 §8.3.2); OIDs use base-128 arcs (§8.19)
 */

export const derTag = {
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const

export interface DerElement {
  tag: number
  content: Buffer
}

function readElement(bytes: Buffer, offset: number): DerElement & { end: number } {
  if (offset + 2 > bytes.length) throw new Error('DER: truncated element')
  const tag = bytes[offset] as number
  if ((tag & 0x1f) === 0x1f) throw new Error('DER: multi-byte tags are not supported')
  let length = bytes[offset + 1] as number
  let start = offset + 2
  if (length & 0x80) {
    const count = length & 0x7f
    if (count === 0 || count > 4) throw new Error('DER: unsupported length form')
    if (start + count > bytes.length) throw new Error('DER: truncated length')
    length = bytes.readUIntBE(start, count)
    start += count
  }
  const end = start + length
  if (end > bytes.length) throw new Error('DER: length past the end of the input')
  return { tag, content: bytes.subarray(start, end), end }
}

/** The one element that `bytes` holds. */
export function readDer(bytes: Buffer): DerElement {
  const { tag, content, end } = readElement(bytes, 0)
  if (end !== bytes.length) throw new Error('DER: bytes after the element')
  return { tag, content }
}

/** The elements inside a constructed element's content, in order. */
export function readChildren(element: DerElement): DerElement[] {
  const children: DerElement[] = []
  for (let offset = 0; offset < element.content.length;) {
    const { tag, content, end } = readElement(element.content, offset)
    children.push({ tag, content })
    offset = end
  }
  return children
}

/** The element's children when it has `tag`; an error naming `what` otherwise. */
export function expectChildren(element: DerElement | undefined, tag: number, what: string): DerElement[] {
  if (element?.tag !== tag) throw new Error(`DER: ${what} is missing or of the wrong type`)
  return readChildren(element)
}

export function parseOid(content: Buffer): string {
  if (content.length === 0) throw new Error('DER: empty OBJECT IDENTIFIER')
  const arcs: number[] = []
  let value = 0
  for (const byte of content) {
    value = value * 128 + (byte & 0x7f)
    if (!(byte & 0x80)) {
      arcs.push(value)
      value = 0
    }
  }
  if ((content.at(-1) as number) & 0x80) throw new Error('DER: truncated OBJECT IDENTIFIER')
  const first = arcs[0] as number
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80]
  return [...head, ...arcs.slice(1)].join('.')
}

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length])
  const bytes = Buffer.alloc(4)
  bytes.writeUInt32BE(length)
  const significant = bytes.subarray(bytes.findIndex((byte) => byte !== 0))
  return Buffer.concat([Buffer.from([0x80 | significant.length]), significant])
}

/** One element: tag, length, content. */
export function encodeDer(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content)
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body])
}

export function encodeOid(oid: string): Buffer {
  const [first, second, ...rest] = oid.split('.').map(Number) as [number, number, ...number[]]
  const arcs = [first * 40 + second, ...rest].map((arc) => {
    const bytes = [arc & 0x7f]
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128))
      bytes.unshift((value & 0x7f) | 0x80)
    return Buffer.from(bytes)
  })
  return encodeDer(derTag.oid, ...arcs)
}

/** A non-negative INTEGER from its big-endian bytes. */
export function encodeUnsignedInteger(bigEndian: Buffer): Buffer {
  const first = bigEndian.findIndex((byte) => byte !== 0)
  const trimmed = first === -1 ? Buffer.from([0]) : bigEndian.subarray(first)
  return encodeDer(derTag.integer, (trimmed[0] as number) & 0x80 ? Buffer.from([0]) : Buffer.alloc(0), trimmed)
}

/** A BIT STRING of whole bytes (no unused bits). */
export function encodeBitString(bytes: Buffer): Buffer {
  return encodeDer(derTag.bitString, Buffer.from([0]), bytes)
}

/** UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5), to the second, in UTC. */
export function encodeTime(date: Date): Buffer {
  const text = date
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d{3}/, '')
  return date.getUTCFullYear() < 2050
    ? encodeDer(derTag.utcTime, Buffer.from(text.slice(2), 'ascii'))
    : encodeDer(derTag.generalizedTime, Buffer.from(text, 'ascii'))
}
