/*
 * What GET /revocations lists (revocations.routes.ts):
 * - `sessions`: a session that ended and one of whose token families issued an access token that is
 *   still valid (`token_family.access_expires_at`; a family from before migration 0012 counts as valid
 *   until the longest access-token lifetime after the session ended). A session that never gave a
 *   token to a diary module, or whose tokens have all expired, is not listed
 * - `tokens`: the jti of an access token revoked one by one that has not expired
 * - at most `limit` entries in all, those whose tokens stay valid longest first: for one lifetime, the
 *   newest revocations first; what is cut would have expired soonest. `truncated` when there were more
 * Two reads (each at most `limit` + 1 rows, the longest valid first), merged here.
 */
import type { Executor } from '../db/schema.js'
import { listEndedSessionsWithTokens } from '../sessions/login-session.js'
import { listRevokedAccessTokens } from './token-family.repository.js'

export interface RevocationEntries {
  /** `sid`s of ended sessions. */
  sessions: string[]
  /** `jti`s of access tokens revoked one by one. */
  tokens: string[]
  /** More were due than `limit`: the list is not complete. */
  truncated: boolean
}

export interface RevocationListQuery {
  now: Date
  /** The longest access-token lifetime of any client (config/token-lifetimes.ts). */
  longestAccessTtlSeconds: number
  limit: number
}

export async function readRevocationList(db: Executor, query: RevocationListQuery): Promise<RevocationEntries> {
  const { now, longestAccessTtlSeconds, limit } = query
  const since = new Date(now.getTime() - longestAccessTtlSeconds * 1000)
  const [sessions, tokens] = await Promise.all([
    listEndedSessionsWithTokens(db, { since, now, unknownUntilSeconds: longestAccessTtlSeconds, limit: limit + 1 }),
    listRevokedAccessTokens(db, now, limit + 1),
  ])
  const entries = [
    ...sessions.map((row) => ({ kind: 'session' as const, id: row.id, until: row.until })),
    ...tokens.map((row) => ({ kind: 'token' as const, id: row.jti, until: row.until })),
  ]
  const kept = entries.sort((a, b) => b.until.getTime() - a.until.getTime()).slice(0, limit)
  return {
    sessions: kept.flatMap((entry) => (entry.kind === 'session' ? [entry.id] : [])),
    tokens: kept.flatMap((entry) => (entry.kind === 'token' ? [entry.id] : [])),
    truncated: entries.length > limit,
  }
}
