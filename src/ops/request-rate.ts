/*
 * Request limits on POST /token, /revoke and /introspect, per client and per client address, shared by
 * every instance on one PostgreSQL without a database statement per request:
 * - each instance counts in memory per key and fixed window (rate-limit.ts); every `syncSeconds` one
 *   statement adds what it counted since the last sync to request_rate and reads back the totals of
 *   those keys over all instances
 * - a request is judged by the last total read for its key plus what this instance counted since
 *   (rate-limit.ts decides). An instance learns the others' counts of a key only at its own next sync
 *   after a request with that key, so all instances together admit at most a limit plus what each of
 *   them admits in about one sync interval (and the time one statement takes)
 * - an admitted request counts against its address at once; against its client only once the client
 *   has authenticated (countClient): a request that merely names a client, with a wrong secret or a
 *   made-up id, never spends that client's allowance and never becomes a `client:` row. The check
 *   before authentication uses the id the request names, so a client past its limit is refused
 *   before its credentials are looked at.
 * - refused requests are not counted
 * - at most `maxKeysPerKind` keys of a kind per window: further ones share one overflow key
 *   (`address:*`) that is counted but never refused, so made-up addresses cannot eat memory nor lock
 *   out a real diary server that comes after them (per-client limits still hold for those)
 * - addresses count as rate-limit.ts's addressOf says (IPv6 by its /64)
 * - a failed sync (database down) is logged once per streak of failures and never fails a request;
 *   counting goes on in memory, so the limits still hold per instance
 * - a window's counts not yet sent when the next window begins are dropped (nobody reads them again)
 */
import type { Kysely } from 'kysely'
import type { Config } from '../config/load.js'
import type { Database } from '../db/schema.js'
import { addressOf, decideRate, type RateKind, rateKey, windowStartOf } from './rate-limit.js'
import { addRequestCounts } from './request-rate.repository.js'

export interface RateLimitPolicy {
  windowSeconds: number
  syncSeconds: number
  /** Requests per window and client; 0: no limit. */
  perClient: number
  /** Requests per window and client address; 0: no limit. */
  perAddress: number
  /** Distinct keys of one kind kept per window and instance. */
  maxKeysPerKind: number
}

export function rateLimitPolicy(config: Config): RateLimitPolicy {
  return { ...config.bridge.rateLimits, maxKeysPerKind: 100_000 }
}

export type RateVerdict = { allowed: true } | { allowed: false; kind: RateKind; retryAfterSeconds: number }

export interface RequestRates {
  /** Judges a request before anything else is done for it; an admitted one counts against its address. */
  admit(request: { address: string; clientId: string | undefined }, now: Date): RateVerdict
  /** Counts a request of an authenticated client. */
  countClient(clientId: string, now: Date): void
  /** Sends the counts not sent yet and reads back the totals; never rejects. */
  sync(): Promise<void>
  /** Stops the timer and sends what is left. */
  close(): Promise<void>
}

export interface RateLogger {
  info(message: string): void
  warn(details: object, message: string): void
}

interface Count {
  /** The total of all instances read at the last sync, this instance's counts up to then included. */
  total: number
  /** Counted here since. */
  unsent: number
}

interface Window {
  start: number
  counts: Map<string, Count>
  keys: Record<RateKind, number>
}

/** Neither an address nor a client id (config/load.ts) contains it. */
const overflow = '*'

export function createRequestRates(db: Kysely<Database>, policy: RateLimitPolicy, logger: RateLogger): RequestRates {
  let window: Window = { start: -Infinity, counts: new Map(), keys: { client: 0, address: 0 } }
  let failing = false
  let queue: Promise<void> = Promise.resolve()
  let queued = 0

  function current(now: Date): Window {
    const start = windowStartOf(now, policy.windowSeconds)
    if (start > window.start) window = { start, counts: new Map(), keys: { client: 0, address: 0 } }
    return window
  }

  function keyIn(counted: Window, kind: RateKind, value: string): string {
    const key = rateKey(kind, value)
    return counted.counts.has(key) || counted.keys[kind] < policy.maxKeysPerKind ? key : rateKey(kind, overflow)
  }

  function add(counted: Window, kind: RateKind, key: string): void {
    const count = counted.counts.get(key)
    if (count !== undefined) count.unsent += 1
    else {
      counted.counts.set(key, { total: 0, unsent: 1 })
      counted.keys[kind] += 1
    }
  }

  function refusal(
    counted: Window,
    kind: RateKind,
    key: string | undefined,
    limit: number,
    now: Date,
  ): RateVerdict | undefined {
    if (key === undefined || key === rateKey(kind, overflow)) return undefined
    const count = counted.counts.get(key)
    const decision = decideRate(count === undefined ? 0 : count.total + count.unsent, limit, now, policy.windowSeconds)
    return decision.allowed ? undefined : { ...decision, kind }
  }

  async function send(): Promise<void> {
    const sent = window
    const counts = [...sent.counts]
      .filter(([, count]) => count.unsent > 0)
      .map(([key, count]) => [key, count.unsent] as const)
    if (counts.length === 0) return
    try {
      const totals = await addRequestCounts(db, new Date(sent.start), counts)
      for (const [key, unsent] of counts) (sent.counts.get(key) as Count).unsent -= unsent
      for (const { key, count } of totals) (sent.counts.get(key) as Count).total = count
      if (failing) logger.info('request counts are shared between instances again')
      failing = false
    } catch (error) {
      if (!failing)
        logger.warn(
          { err: error },
          'request counts could not be shared: each instance limits on its own counts until the database answers',
        )
      failing = true
    }
  }

  function sync(): Promise<void> {
    queued += 1
    queue = queue.then(send).finally(() => (queued -= 1))
    return queue
  }

  // A sync still running (a slow database) is not queued behind again: the next tick sends it all.
  const timer = setInterval(() => {
    if (queued === 0) void sync()
  }, policy.syncSeconds * 1000)
  timer.unref()

  return {
    admit({ address, clientId }, now) {
      if (policy.perAddress === 0 && policy.perClient === 0) return { allowed: true }
      const counted = current(now)
      const addressKey = policy.perAddress > 0 ? keyIn(counted, 'address', addressOf(address)) : undefined
      const clientKey = policy.perClient > 0 && clientId !== undefined ? keyIn(counted, 'client', clientId) : undefined
      const refused =
        refusal(counted, 'address', addressKey, policy.perAddress, now) ??
        refusal(counted, 'client', clientKey, policy.perClient, now)
      if (refused !== undefined) return refused
      if (addressKey !== undefined) add(counted, 'address', addressKey)
      return { allowed: true }
    },
    countClient(clientId, now) {
      if (policy.perClient === 0) return
      const counted = current(now)
      add(counted, 'client', keyIn(counted, 'client', clientId))
    },
    sync,
    async close() {
      clearInterval(timer)
      await sync()
    },
  }
}
