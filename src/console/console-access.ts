/*
 * Who may use the school console now (issue 27), decided from the diary session and the console's own
 * short session (its cookie), a pure rule:
 * - no diary session: sign in first
 * - the console session lives beside the diary session and only with it (the same session id), at most
 *   `absoluteSeconds` (8 h) from its start and `idleSeconds` (15 min) after the last console request
 * - it starts only from a strong sign-in made in the last `freshSeconds` (5 min): a second factor given,
 *   or a State Services sign-in of a verified person (both are acr `mfa`, tokens/acr.ts); a diary session
 *   that is older, or held by a password alone, first confirms (a second factor, login/second-factor.ts)
 * - a console session ends with its diary session, when the diary session loses its strength (it cannot)
 *   and when its time is up: then the person confirms again
 */
export interface ConsoleCookie {
  /** The diary session it belongs to. */
  sid: string
  startedAt: number
  seenAt: number
}

export interface ConsoleLimits {
  idleSeconds: number
  absoluteSeconds: number
  freshSeconds: number
}

export const consoleLimits: ConsoleLimits = { idleSeconds: 15 * 60, absoluteSeconds: 8 * 3600, freshSeconds: 5 * 60 }

export interface DiarySession {
  id: string
  acr: 'password' | 'mfa'
  authenticatedAt: Date
}

export type ConsoleAccess =
  | { kind: 'sign_in' }
  /** A strong sign-in of the last minutes is needed: `why` says what the page tells the person. */
  | { kind: 'confirm'; why: 'weak' | 'idle' | 'over' | 'new' }
  | { kind: 'open'; cookie: ConsoleCookie; started: boolean }

export function decideConsoleAccess(
  session: DiarySession | undefined,
  cookie: ConsoleCookie | undefined,
  now: Date,
  limits: ConsoleLimits = consoleLimits,
): ConsoleAccess {
  if (session === undefined) return { kind: 'sign_in' }
  const at = now.getTime()
  const strong = session.acr === 'mfa'
  if (strong && cookie?.sid === session.id) {
    const within = at - cookie.startedAt <= limits.absoluteSeconds * 1000 && cookie.startedAt <= at + 60_000
    const awake = at - cookie.seenAt <= limits.idleSeconds * 1000
    if (within && awake) return { kind: 'open', cookie: { ...cookie, seenAt: at }, started: false }
  }
  const fresh = at - session.authenticatedAt.getTime() <= limits.freshSeconds * 1000
  if (strong && fresh) return { kind: 'open', cookie: { sid: session.id, startedAt: at, seenAt: at }, started: true }
  if (!strong) return { kind: 'confirm', why: 'weak' }
  if (cookie?.sid !== session.id) return { kind: 'confirm', why: 'new' }
  return { kind: 'confirm', why: at - cookie.startedAt > limits.absoluteSeconds * 1000 ? 'over' : 'idle' }
}
