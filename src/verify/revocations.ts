/*
 * The bridge's revocation list (`GET <issuer>/revocations`: the `sid` of every session that ended and the
 * `jti` of every access token revoked one by one, each listed until the tokens concerned would expire):
 * - fetched when the verifier is created, then every `refreshMs` by a timer that does not keep the
 *   process alive; a verification that finds the list older than `refreshMs` by the verifier's clock
 *   (the timer fell behind) starts a refresh too; never two fetches at once; `close()` stops it all
 * - an answer that fails, is not JSON of that shape, or names another issuer keeps the previous list
 *   and goes to `onError`
 * - fail-open: until the first answer, a verification waits for it at most `timeoutMs`, then goes on
 *   without a list. An outage of the bridge must not take every diary service down with it; access
 *   tokens live minutes, and a revocation is seen at most `refreshMs` (plus any HTTP cache) after it
 */
import type { BridgeKeys } from './keys.js'

export interface RevocationOptions {
  /** Default 30 s. */
  refreshMs?: number
  /** Defaults to `<issuer>/revocations`. */
  url?: string
  /** Every failed refresh (the previous list stays in use). */
  onError?: (error: Error) => void
}

export interface RevocationList {
  /** Session ids (`sid`) of sessions that ended. */
  sessions: ReadonlySet<string>
  /** `jti` of access tokens revoked one by one. */
  tokens: ReadonlySet<string>
}

export interface RevocationFeed {
  /** The latest list; `undefined` while none could be fetched. */
  current(): Promise<RevocationList | undefined>
  close(): void
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string')

/** The body of `/revocations`, or an Error saying what is wrong with it. */
export function parseRevocationList(body: unknown, issuer: string): RevocationList | Error {
  if (typeof body !== 'object' || body === null) return new Error('the revocation list is not a JSON object')
  const { issuer: listIssuer, sessions, tokens } = body as Record<string, unknown>
  if (typeof listIssuer !== 'string' || listIssuer.replace(/\/+$/, '') !== issuer) return new Error('the revocation list names another issuer')
  if (!isStringArray(sessions) || !isStringArray(tokens)) return new Error('the revocation list has no sessions and tokens arrays of strings')
  return { sessions: new Set(sessions), tokens: new Set(tokens) }
}

export function openRevocationFeed(keys: BridgeKeys, options: RevocationOptions): RevocationFeed {
  const url = new URL(options.url ?? `${keys.issuer}/revocations`)
  const refreshMs = options.refreshMs ?? 30_000
  const timeoutMs = keys.options.timeoutMs ?? 5000
  const doFetch = keys.options.fetch ?? fetch
  const stop = new AbortController()
  let latest: { list: RevocationList; fetchedAt: number } | undefined
  let lastAttempt = keys.now()
  let pending: Promise<void> | undefined
  let timer: NodeJS.Timeout | undefined

  async function fetchList(): Promise<RevocationList> {
    const signal = AbortSignal.any([stop.signal, AbortSignal.timeout(timeoutMs)])
    const response = await doFetch(url, { signal, headers: { accept: 'application/json' } })
    if (!response.ok) throw new Error(`the bridge revocation list answered ${response.status}`)
    const list = parseRevocationList(await response.json(), keys.issuer)
    if (list instanceof Error) throw list
    return list
  }

  function refresh(): Promise<void> {
    lastAttempt = keys.now()
    pending ??= fetchList()
      .then((list) => void (latest = { list, fetchedAt: keys.now() }))
      .catch((error: unknown) => {
        if (!stop.signal.aborted) options.onError?.(error instanceof Error ? error : new Error(String(error)))
      })
      .finally(() => (pending = undefined))
    return pending
  }

  function schedule(): void {
    if (stop.signal.aborted) return
    timer = setTimeout(() => void refresh().then(schedule), refreshMs)
    timer.unref()
  }

  const first = refresh().then(schedule)
  let waitTimer: NodeJS.Timeout | undefined
  const ready = Promise.race([first, new Promise<void>((resolve) => (waitTimer = setTimeout(resolve, timeoutMs).unref()))]).finally(() => clearTimeout(waitTimer))

  return {
    async current() {
      await ready
      const age = keys.now() - Math.max(lastAttempt, latest?.fetchedAt ?? 0)
      if (age >= refreshMs && pending === undefined && !stop.signal.aborted) void refresh()
      return latest?.list
    },
    close() {
      stop.abort()
      clearTimeout(timer)
      clearTimeout(waitTimer)
    },
  }
}
