/*
 * The bridge's revocation list (`GET <issuer>/revocations`: the `sid` of every session that ended while
 * a token it gave may be valid and the `jti` of every access token revoked one by one, each listed until
 * the tokens concerned would expire; at most 10,000 entries, `truncated: true` when the bridge cut it):
 * - fetched when the verifier is created, then every `refreshMs` by a timer that does not keep the
 *   process alive; a verification that finds the list older than `refreshMs` by the verifier's clock
 *   (the timer fell behind) starts a refresh too; never two fetches at once; `close()` stops it all
 * - an answer that fails, is larger than `maxBytes` (refused by its Content-Length, or once that many
 *   bytes were read: never held whole), is not JSON of that shape, or names another issuer keeps the
 *   previous list and goes to `onError` as a RevocationListError with its `code`
 * - a truncated list is used (what it names is refused) and goes to `onError` (`truncated`) at each
 *   refresh; a token it does not name is then decided by `whenTruncated` (the module asks
 *   /introspect), or accepted without it
 * - fail-open: until the first answer, a verification waits for it at most `timeoutMs`, then goes on
 *   without a list. An outage of the bridge must not take every diary service down with it; access
 *   tokens live minutes, and a revocation is seen at most `refreshMs` (plus any HTTP cache) after it
 */
import type { AccessTokenClaims } from './types.js'
import type { BridgeKeys } from './keys.js'

export interface RevocationOptions {
  /** Default 30 s. */
  refreshMs?: number
  /** Defaults to `<issuer>/revocations`. */
  url?: string
  /** The largest answer accepted, in bytes. Default 1 MiB (the bridge's longest answer is about 400 KB). */
  maxBytes?: number
  /** Every failed refresh (the previous list stays in use), and every truncated list. */
  onError?: (error: RevocationListError) => void
  /**
   * While the list is truncated: asked about each token it does not name, after every other check;
   * false refuses the token (`token_revoked`). Typically asks the bridge's /introspect. Without it, such
   * tokens are accepted (fail-open, as without a list).
   */
  whenTruncated?: (token: string, claims: AccessTokenClaims) => boolean | Promise<boolean>
}

export type RevocationListErrorCode =
  /** No answer, a network error, a timeout or a status other than 2xx. */
  | 'unavailable'
  /** Not JSON of the list's shape, or another issuer's list. */
  | 'invalid'
  /** Larger than `maxBytes`. */
  | 'too_large'
  /** The bridge cut the list (`truncated: true`): it is used, but a token it does not name may be revoked. */
  | 'truncated'

/** What `onError` receives: why the list could not be used, or that it is incomplete. */
export class RevocationListError extends Error {
  readonly code: RevocationListErrorCode

  constructor(code: RevocationListErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'RevocationListError'
    this.code = code
  }
}

export interface RevocationList {
  /** Session ids (`sid`) of sessions that ended. */
  sessions: ReadonlySet<string>
  /** `jti` of access tokens revoked one by one. */
  tokens: ReadonlySet<string>
  /** The bridge cut the list: a token it does not name may be revoked all the same. */
  truncated: boolean
}

export interface RevocationFeed {
  /** The latest list; `undefined` while none could be fetched. */
  current(): Promise<RevocationList | undefined>
  close(): void
}

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string')

/** The body of `/revocations`, or an Error saying what is wrong with it. */
export function parseRevocationList(body: unknown, issuer: string): RevocationList | Error {
  if (typeof body !== 'object' || body === null) return new Error('the revocation list is not a JSON object')
  const { issuer: listIssuer, sessions, tokens, truncated } = body as Record<string, unknown>
  if (typeof listIssuer !== 'string' || listIssuer.replace(/\/+$/, '') !== issuer)
    return new Error('the revocation list names another issuer')
  if (!isStringArray(sessions) || !isStringArray(tokens))
    return new Error('the revocation list has no sessions and tokens arrays of strings')
  if (truncated !== undefined && typeof truncated !== 'boolean')
    return new Error('the revocation list says truncated with something else than true or false')
  return { sessions: new Set(sessions), tokens: new Set(tokens), truncated: truncated === true }
}

/** The body as text, refused once it is larger than `maxBytes`: by its Content-Length, or while it is read. */
async function readAtMost(response: Response, maxBytes: number): Promise<string> {
  const tooLarge = () =>
    new RevocationListError('too_large', `the revocation list is larger than maxBytes (${maxBytes} bytes)`)
  if (Number(response.headers.get('content-length') ?? 0) > maxBytes) {
    await response.body?.cancel()
    throw tooLarge()
  }
  if (response.body === null) return ''
  const reader = (response.body as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  let text = ''
  let size = 0
  for (let part = await reader.read(); !part.done; part = await reader.read()) {
    size += part.value.byteLength
    if (size > maxBytes) {
      await reader.cancel()
      throw tooLarge()
    }
    text += decoder.decode(part.value, { stream: true })
  }
  return text + decoder.decode()
}

export function openRevocationFeed(keys: BridgeKeys, options: RevocationOptions): RevocationFeed {
  const url = new URL(options.url ?? `${keys.issuer}/revocations`)
  const refreshMs = options.refreshMs ?? 30_000
  const maxBytes = options.maxBytes ?? 1024 * 1024
  const timeoutMs = keys.options.timeoutMs ?? 5000
  const doFetch = keys.options.fetch ?? fetch
  const stop = new AbortController()
  let latest: { list: RevocationList; fetchedAt: number } | undefined
  let lastAttempt = keys.now()
  let pending: Promise<void> | undefined
  let timer: NodeJS.Timeout | undefined

  async function fetchList(): Promise<RevocationList> {
    const signal = AbortSignal.any([stop.signal, AbortSignal.timeout(timeoutMs)])
    const response = await doFetch(url, { signal, headers: { accept: 'application/json' } }).catch((error: unknown) => {
      throw new RevocationListError('unavailable', 'the bridge revocation list could not be fetched', { cause: error })
    })
    if (!response.ok) {
      await response.body?.cancel()
      throw new RevocationListError('unavailable', `the bridge revocation list answered ${response.status}`)
    }
    const text = await readAtMost(response, maxBytes).catch((error: unknown) => {
      throw error instanceof RevocationListError
        ? error
        : new RevocationListError('unavailable', 'the bridge revocation list could not be read', { cause: error })
    })
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      throw new RevocationListError('invalid', 'the revocation list is not JSON')
    }
    const list = parseRevocationList(body, keys.issuer)
    if (list instanceof Error) throw new RevocationListError('invalid', list.message)
    return list
  }

  function report(error: RevocationListError): void {
    if (!stop.signal.aborted) options.onError?.(error)
  }

  function refresh(): Promise<void> {
    lastAttempt = keys.now()
    pending ??= fetchList()
      .then((list) => {
        latest = { list, fetchedAt: keys.now() }
        if (list.truncated)
          report(
            new RevocationListError(
              'truncated',
              'the bridge truncated its revocation list: a token it does not name may be revoked',
            ),
          )
      })
      .catch((error: unknown) =>
        report(
          error instanceof RevocationListError
            ? error
            : new RevocationListError('unavailable', String(error), { cause: error }),
        ),
      )
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
  const ready = Promise.race([
    first,
    new Promise<void>((resolve) => (waitTimer = setTimeout(resolve, timeoutMs).unref())),
  ]).finally(() => clearTimeout(waitTimer))

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
