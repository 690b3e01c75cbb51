/*
 * The pure rules of the request limits (the counting is in request-rate.ts):
 * - windows are fixed and aligned to the Unix epoch: [k·w, (k+1)·w) for a window of w seconds, so all
 *   instances agree on where a window starts and ends without asking each other
 * - a request is refused when the count known for its key plus the request itself exceeds the limit:
 *   with a limit of 5, the 5th request passes and the 6th is refused
 * - a limit of 0 means no limit
 * - Retry-After is the whole seconds until the window ends, at least 1 (a refusal at the last
 *   millisecond still says 1)
 * - a key is `<kind>:<value>`, cut to `maxKeyLength` characters: whatever a request claims, no longer
 *   string is kept in memory or reaches the database
 * - an address counts as itself for IPv4 (an IPv4-mapped IPv6 address is its IPv4), and as its /64 for
 *   IPv6: one host usually holds a whole /64, so per-address IPv6 keys would give it endless allowances
 */
import { isIPv6 } from 'node:net'

export type RateKind = 'client' | 'address'

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number }

export const maxKeyLength = 200

/** The key of `value`: a client id or a client address. */
export function rateKey(kind: RateKind, value: string): string {
  return `${kind}:${value}`.slice(0, maxKeyLength)
}

/** The address a limit counts: IPv4 as it is, IPv6 as its /64 prefix (`2001:db8:0:1::/64`). */
export function addressOf(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  if (mapped) return mapped[1] as string
  if (!isIPv6(ip)) return ip
  const [head = '', tail = ''] = ip.toLowerCase().split('%')[0]?.split('::') ?? []
  const left = head === '' ? [] : head.split(':')
  const right = ip.includes('::') ? (tail === '' ? [] : tail.split(':')) : []
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`
}

/** The start of the window `now` falls in, in milliseconds since the epoch. */
export function windowStartOf(now: Date, windowSeconds: number): number {
  const length = windowSeconds * 1000
  return Math.floor(now.getTime() / length) * length
}

/** Whole seconds from `now` to the end of its window, at least 1. */
export function secondsLeftInWindow(now: Date, windowSeconds: number): number {
  const end = windowStartOf(now, windowSeconds) + windowSeconds * 1000
  return Math.max(1, Math.ceil((end - now.getTime()) / 1000))
}

/** Whether one more request fits when `known` requests of this key's window are counted already. */
export function decideRate(known: number, limit: number, now: Date, windowSeconds: number): RateDecision {
  if (limit === 0 || known + 1 <= limit) return { allowed: true }
  return { allowed: false, retryAfterSeconds: secondsLeftInWindow(now, windowSeconds) }
}
