/*
 * One line per link, session or audit event, columns in a fixed order separated by two spaces; times
 * in ISO 8601 UTC. Nothing here prints a token, a hash or a SNILS.
 */
import type { StoredAuditEvent } from '../audit/read-audit-events.js'
import type { IdentityLink } from '../linking/identity-link.repository.js'
import type { ActiveSession } from '../sessions/login-session.js'
import { formatTime, orDash } from './command.js'

/** id  issuer  subject  method  verified|unverified  created */
export function formatLink(link: IdentityLink): string {
  return [
    link.id,
    link.issuer,
    link.subject,
    link.method,
    link.verified ? 'verified' : 'unverified',
    formatTime(link.createdAt),
  ].join('  ')
}

/** started  last used  browser  method */
export function formatSession(session: ActiveSession): string {
  return [
    `started ${formatTime(session.createdAt)}`,
    `last used ${formatTime(session.lastSeenAt)}`,
    orDash(session.browser),
    session.method,
  ].join('  ')
}

/** at  type  outcome  request id  details */
export function formatAuditEvent(event: StoredAuditEvent): string {
  return [formatTime(event.at), event.type, event.outcome, orDash(event.requestId), JSON.stringify(event.details)].join(
    '  ',
  )
}
