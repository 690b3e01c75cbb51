/*
 * Authentication levels and methods, as tokens and /authorize speak of them (pure).
 * - two levels, each named by a URN of ours (`urn:diary-bridge:acr:password`, `urn:diary-bridge:acr:mfa`):
 *   mfa satisfies a request for password, never the other way round
 * - `acr_values` (OIDC Core §3.1.2.1) is a voluntary claim: unknown values are ignored; the known levels
 *   keep their order, each once
 * - amr (RFC 8176) is stored as one space-separated text; a session without its own (null) says what its
 *   method alone says: password → pwd, state_services → fed; a session without its own acr is password
 * - a reused session answers a new request when it signed in at most `max_age` seconds ago (else the
 *   person signs in again, OIDC Core §3.1.2.1) and its level satisfies one of the levels asked (else the
 *   missing factor is asked for: a step-up to mfa)
 */
import type { AcrLevel, SessionMethod } from '../db/schema.js'

export type { AcrLevel }

export const acrUris: Readonly<Record<AcrLevel, string>> = {
  password: 'urn:diary-bridge:acr:password',
  mfa: 'urn:diary-bridge:acr:mfa',
}

/** The level's URN, as `acr` in tokens and in `acr_values_supported`. */
export function acrUri(level: AcrLevel): string {
  return acrUris[level]
}

const levelOfUri = new Map(Object.entries(acrUris).map(([level, uri]) => [uri, level as AcrLevel]))

/** The known levels of an `acr_values` text, in the order asked, each once; unknown values are ignored. */
export function parseAcrValues(text: string | undefined): AcrLevel[] {
  const levels = (text ?? '').split(' ').flatMap((value) => levelOfUri.get(value) ?? [])
  return [...new Set(levels)]
}

/** Whether a session of level `have` satisfies a request for `wanted`. */
export function levelSatisfies(have: AcrLevel, wanted: AcrLevel): boolean {
  return have === 'mfa' || wanted === 'password'
}

/** The stored amr text as a list (RFC 8176 values, in their stored order). */
export function parseAmr(stored: string): string[] {
  return stored.split(' ').filter(Boolean)
}

export interface SessionAssurance {
  method: SessionMethod
  amr: string | null
  acr: AcrLevel | null
}

// A passkey session always stores its own amr; 'hwk' is only the fallback of the type.
const amrOfMethod: Readonly<Record<SessionMethod, string>> = { password: 'pwd', state_services: 'fed', passkey: 'hwk' }

/** The session's amr as stored text: its own, or what its method says. */
export function amrOf(session: SessionAssurance): string {
  return session.amr ?? amrOfMethod[session.method]
}

/** The session's level: its own, or password. */
export function acrOf(session: Pick<SessionAssurance, 'acr'>): AcrLevel {
  return session.acr ?? 'password'
}

export type SessionVerdict = { kind: 'ok' } | { kind: 'reauthenticate' } | { kind: 'step_up'; level: 'mfa' }

/** Whether a signed-in session answers a request with `acrValues` (levels, parsed) and `maxAge` (seconds). */
export function sessionSatisfies(
  session: { acr: AcrLevel; authTime: Date },
  request: { acrValues?: readonly AcrLevel[]; maxAge?: number },
  now: Date,
): SessionVerdict {
  if (request.maxAge !== undefined && now.getTime() - session.authTime.getTime() > request.maxAge * 1000)
    return { kind: 'reauthenticate' }
  const wanted = request.acrValues ?? []
  if (wanted.length > 0 && !wanted.some((level) => levelSatisfies(session.acr, level)))
    return { kind: 'step_up', level: 'mfa' }
  return { kind: 'ok' }
}
