/*
 * Back-channel logout (OpenID Connect Back-Channel Logout 1.0): whenever sessions end, every diary
 * module that received tokens in them and registered a `backchannelLogoutUri` gets a logout token by
 * POST (§2.5), delivered from the outbox that the ending wrote (sessions/logout-notice.repository.ts).
 * - the logout token (§2.4): typ `logout+jwt`, iss, aud = client_id, iat, exp (+2 min), jti, sub, sid
 *   (the `sid` of that session's ID tokens), events with the back-channel logout member, never a nonce;
 *   signed by the bridge's current key (its kid is in the JWKS)
 * - any 2xx is delivered; any other answer, a network error or no answer within `timeoutMs` is retried
 *   after 5 s, 10 s, 20 s … (at most an hour apart) until `giveUpAfterSeconds` after the logout
 * - every instance runs a worker (service.ts); notices are claimed with a lease, so each is sent by one
 *   instance at a time, and a restart loses nothing (they are rows)
 * - a client without `backchannelLogoutUri` (now) gets nothing: its notices are closed as not_registered
 */
import type { Kysely } from 'kysely'
import type { Config } from '../config/load.js'
import type { Database } from '../db/schema.js'
import type { Metrics } from '../ops/metrics.js'
import type { KeyStore } from '../tokens/key-store.js'
import { signLogoutToken } from '../tokens/issue.js'
import { claimDueNotices, type LogoutNotice, markDelivered, markFailed } from '../sessions/logout-notice.repository.js'

export interface BackchannelPolicy {
  intervalMs: number
  timeoutMs: number
  giveUpAfterSeconds: number
  /** Notices claimed per round (and sent at once). */
  batchSize: number
  /** How long a claimed notice is left to its sender before another instance may take it. */
  leaseSeconds: number
}

export interface BackchannelDeps {
  db: Kysely<Database>
  keys: KeyStore
  /** The configuration now (clients may be reloaded). */
  config: () => Pick<Config, 'publicUrl' | 'clients'>
  now: () => Date
  fetch?: typeof fetch
  metrics?: Pick<Metrics, 'backchannelLogout'>
}

/** Seconds to wait after the `attempts`-th failed attempt: 5, 10, 20 … at most 3600. */
export function backoffSeconds(attempts: number): number {
  return Math.min(3600, 5 * 2 ** Math.max(0, attempts - 1))
}

async function post(deps: BackchannelDeps, uri: string, token: string, timeoutMs: number): Promise<string> {
  try {
    const response = await (deps.fetch ?? fetch)(uri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ logout_token: token }).toString(),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    })
    await response.body?.cancel()
    return response.status >= 200 && response.status < 300 ? 'ok' : `http_${response.status}`
  } catch (error) {
    return (error as { name?: string }).name === 'TimeoutError' ? 'timeout' : 'unreachable'
  }
}

async function deliver(deps: BackchannelDeps, policy: BackchannelPolicy, notice: LogoutNotice): Promise<string> {
  const config = deps.config()
  const uri = config.clients.get(notice.clientId)?.backchannelLogoutUri
  if (uri === undefined) {
    await markDelivered(deps.db, notice.id, deps.now(), 'not_registered')
    return 'not_registered'
  }
  const token = await signLogoutToken(deps.keys, {
    issuer: config.publicUrl,
    clientId: notice.clientId,
    accountId: notice.accountId,
    sessionId: notice.sessionId,
    now: deps.now(),
  })
  const outcome = await post(deps, uri, token, policy.timeoutMs)
  const now = deps.now()
  if (outcome === 'ok') {
    await markDelivered(deps.db, notice.id, now, outcome)
    return 'delivered'
  }
  const giveUp = now.getTime() - notice.createdAt.getTime() >= policy.giveUpAfterSeconds * 1000
  await markFailed(
    deps.db,
    notice.id,
    outcome,
    new Date(now.getTime() + backoffSeconds(notice.attempts) * 1000),
    giveUp,
    now,
  )
  return giveUp ? 'gave_up' : 'retry'
}

/** One round: claims the due notices and sends them; answers how many ended in each outcome. */
export async function deliverDueNotices(
  deps: BackchannelDeps,
  policy: BackchannelPolicy,
): Promise<Record<string, number>> {
  const notices = await claimDueNotices(deps.db, deps.now(), policy.leaseSeconds, policy.batchSize)
  const outcomes = await Promise.all(
    notices.map(async (notice) => {
      const outcome = await deliver(deps, policy, notice)
      deps.metrics?.backchannelLogout(notice.clientId, outcome)
      return outcome
    }),
  )
  const counts: Record<string, number> = {}
  for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1
  return counts
}

export interface BackchannelWorker {
  /** One round now (tests, and a full batch asks for the next at once). */
  runNow(): Promise<Record<string, number>>
  stop(): Promise<void>
}

/** Runs a round every `intervalMs` (never two at once in this process); a failure is reported, never thrown. */
export function startBackchannelWorker(
  deps: BackchannelDeps,
  policy: BackchannelPolicy,
  onError: (error: unknown) => void,
): BackchannelWorker {
  let running: Promise<Record<string, number>> | undefined
  let stopped = false
  const round = () => {
    running ??= deliverDueNotices(deps, policy)
      .catch((error: unknown) => {
        onError(error)
        return {}
      })
      .finally(() => (running = undefined))
    return running
  }
  const timer = setInterval(() => {
    if (!stopped) void round()
  }, policy.intervalMs)
  timer.unref()
  return {
    runNow: round,
    stop: async () => {
      stopped = true
      clearInterval(timer)
      await running
    },
  }
}
