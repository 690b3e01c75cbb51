/*
 * Removing a link between a state-services identity and a diary account: by its owner (account page),
 * by the school's support desk (command line), or by a change of the diary password.
 * - the link row is deleted; the sessions that came through that provider into the account end (the
 *   owner keeps the session they are using) and their refresh tokens are revoked
 * - a password change (whoever makes it: the owner, "forgot your password", the support desk) ends
 *   every binding by password from a person the provider did not vouch for: such a link proved only
 *   that someone knew the old password; bindings of verified persons and links by SNILS stay
 * - an audit event `link_removed` says by whom, why (support: the operator and a reason), and which
 *   identity; the reason is free text, so anything that looks like a SNILS is masked before storing
 */
import type { Transaction } from 'kysely'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { Database } from '../db/schema.js'
import { maskSnilsLike } from '../person/snils.js'
import { countSessions, type EndedSession, endSessions } from '../sessions/end-sessions.js'
import { deleteLink, type IdentityLink, listUnverifiedPasswordLinks } from './identity-link.repository.js'

export type RemovedBy =
  | { kind: 'owner'; sessionId: string }
  | { kind: 'support'; operator: string; reason: string }
  /** The diary password changed; the session that changed it (if any) goes on. */
  | { kind: 'password_change'; sessionId?: string }

function detailsOf(by: RemovedBy): Record<string, string> {
  switch (by.kind) {
    case 'owner':
      return {}
    case 'support':
      return { operator: maskSnilsLike(by.operator), reason: maskSnilsLike(by.reason) }
    case 'password_change':
      return { reason: 'password_changed' }
  }
}

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
    {
      accountId: removed.accountId,
      upstreamIssuer: removed.issuer,
      exceptSessionId: by.kind === 'support' ? undefined : by.sessionId,
    },
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
      verified: removed.verified,
      linkedAt: removed.createdAt.toISOString(),
      sessionsEnded: countSessions(ended),
      ...detailsOf(by),
    },
  })
  return { link: removed, ended }
}

/** After a password change, in its transaction: removes the account's unverified bindings by password; answers them. */
export async function removeUnverifiedBindings(
  db: Transaction<Database>,
  accountId: string,
  by: Extract<RemovedBy, { kind: 'password_change' }>,
  context: { now: Date; requestId?: string; region?: string },
): Promise<IdentityLink[]> {
  const removed: IdentityLink[] = []
  for (const link of await listUnverifiedPasswordLinks(db, accountId)) {
    const result = await removeLink(db, link, by, context)
    if (result !== undefined) removed.push(result.link)
  }
  return removed
}
