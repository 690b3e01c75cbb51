/*
 * The demo diary module's sessions, in memory, and which of them a back-channel logout ends:
 * - a logout with `sid` ends the sessions whose ID token carried that `sid` (and, when the logout also
 *   names `sub`, only those of that `sub`: a sid never signs out another person)
 * - a logout without `sid` ends every session of its `sub`
 * - a logout with neither ends nothing
 */
export interface DiarySession {
  /** The ID token's `sid`: the bridge session this one came from. */
  sid?: string
  claims: Record<string, unknown>
  userinfo: Record<string, unknown>
  tokens: { idToken: string; refreshToken?: string; accessTokenExpiresAt: number }
}

export function isEndedBy(
  session: Pick<DiarySession, 'sid' | 'claims'>,
  logout: { sub?: string; sid?: string },
): boolean {
  const sameSub = logout.sub === undefined || session.claims.sub === logout.sub
  if (logout.sid !== undefined) return session.sid === logout.sid && sameSub
  return logout.sub !== undefined && sameSub
}

/** Deletes the sessions the logout ends; returns how many. */
export function endSessions(sessions: Map<string, DiarySession>, logout: { sub?: string; sid?: string }): number {
  let ended = 0
  for (const [id, session] of sessions) {
    if (isEndedBy(session, logout)) {
      sessions.delete(id)
      ended++
    }
  }
  return ended
}
