/*
 * Removing a link between a state-services identity and a diary account: by its owner (account page)
 * or by the school's support desk (command line).
 * - the link row is deleted; the sessions that came through that provider into the account end (the
 *   owner keeps the session they are using) and their refresh tokens are revoked
 * - an audit event `link_removed` says by whom, why (support: the operator and a reason), and which
 *   identity; the reason is free text, so anything that looks like a SNILS is masked before storing
 */
import type { Transaction } from 'kysely'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { Database } from '../db/schema.js'
import { maskSnilsLike } from '../person/snils.js'
import { countSessions, type EndedSession, endSessions } from '../sessions/end-sessions.js'
import { deleteLink, type IdentityLink } from './identity-link.repository.js'

export type RemovedBy =
  | { kind: 'owner'; sessionId: string }
  | { kind: 'support'; operator: string; reason: string }

/** Deletes the link and ends the sessions it opened; undefined when the link was gone already. */
export async function removeLink(
  db: Transaction<Database>,
  link: Pick<IdentityLink, 'id'>,
  by: RemovedBy,
  context: { now: Date; requestId?: string; region?: string },
): Promise<{ link: IdentityLink; ended: EndedSession[] } | undefined> {
  const removed = await deleteLink(db, link.id)
  if (removed === undefined) return undefined
  const ended = await endSessions(
    db,
    { accountId: removed.accountId, upstreamIssuer: removed.issuer, exceptSessionId: by.kind === 'owner' ? by.sessionId : undefined },
    'link_removed',
    context.now,
  )
  await recordAuditEvent(db, {
    type: 'link_removed',
    outcome: 'removed',
    accountId: removed.accountId,
    region: context.region ?? null,
    requestId: context.requestId,
    details: {
      by: by.kind,
      linkId: removed.id,
      issuer: removed.issuer,
      subject: removed.subject,
      method: removed.method,
      sessionsEnded: countSessions(ended),
      ...(by.kind === 'support' ? { operator: maskSnilsLike(by.operator), reason: maskSnilsLike(by.reason) } : {}),
    },
  })
  return { link: removed, ended }
}
