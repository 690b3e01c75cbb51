/*
 * Reading the audit trail of one account (support desk, and the owner's account page for the links a
 * password change ended): the one place that queries `audit_event`, with hourly-counts.ts, which counts
 * a region's sign-in events by hour for the region overview.
 * - events come oldest first, in the order they were written
 * - a sign-in is a successful diary-password sign-in, or a State Services login that ended linked
 *   (through an existing link, a new automatic one, or a binding with the diary password)
 */
import { type Kysely, sql } from 'kysely'
import type { Database, Executor } from '../db/schema.js'

export interface StoredAuditEvent {
  id: number
  at: Date
  type: string
  outcome: string
  region: string | null
  clientId: string | null
  requestId: string | null
  details: Record<string, unknown>
}

/** The account's events written at or after `since`, oldest first; at most `limit`. */
export async function listAuditEventsOfAccount(
  db: Kysely<Database>,
  accountId: string,
  options: { since: Date; limit: number },
): Promise<StoredAuditEvent[]> {
  const rows = await db
    .selectFrom('audit_event')
    .select(['id', 'at', 'type', 'outcome', 'region', 'client_id', 'request_id', 'details'])
    .where('account_id', '=', accountId)
    .where('at', '>=', options.since)
    .orderBy('id')
    .limit(options.limit)
    .execute()
  return rows.map((row) => ({
    id: row.id,
    at: row.at,
    type: row.type,
    outcome: row.outcome,
    region: row.region,
    clientId: row.client_id,
    requestId: row.request_id,
    details: row.details,
  }))
}

/** When the account last signed in, as far as the audit trail knows. */
export async function lastSignInOfAccount(db: Kysely<Database>, accountId: string): Promise<Date | undefined> {
  const row = await db
    .selectFrom('audit_event')
    .select('at')
    .where('account_id', '=', accountId)
    .where((eb) =>
      eb.or([
        eb.and([eb('type', '=', 'password_sign_in'), eb('outcome', '=', 'success')]),
        eb.and([eb('type', 'in', ['link_decision', 'link_binding']), eb('outcome', '=', 'linked')]),
      ]),
    )
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row?.at
}

/** A State Services link that a password change ended (linking/unlink.ts), as the owner is told of it. */
export interface EndedLink {
  endedAt: Date
  issuer: string
  linkedAt: Date | undefined
}

/** The links of the account that password changes ended at or after `since`, newest first. */
export async function listLinksEndedByPasswordChange(
  db: Kysely<Database>,
  accountId: string,
  since: Date,
): Promise<EndedLink[]> {
  const rows = await db
    .selectFrom('audit_event')
    .select(['at', 'details'])
    .where('account_id', '=', accountId)
    .where('at', '>=', since)
    .where('type', '=', 'link_removed')
    .where(sql<string>`details->>'by'`, '=', 'password_change')
    .orderBy('id', 'desc')
    .limit(20)
    .execute()
  return rows.map((row) => {
    const { issuer, linkedAt } = row.details as { issuer?: unknown; linkedAt?: unknown }
    return {
      endedAt: row.at,
      issuer: String(issuer),
      linkedAt: typeof linkedAt === 'string' ? new Date(linkedAt) : undefined,
    }
  })
}

/** How many times the account put off enrolling a second factor (`second_factor_enrolment` skipped) since `since`. */
export async function countSkippedEnrolments(
  db: Executor,
  accountId: string,
  since: string | undefined,
): Promise<number> {
  const row = await db
    .selectFrom('audit_event')
    .select((eb) => eb.fn.countAll<string>().as('skips'))
    .where('account_id', '=', accountId)
    .where('type', '=', 'second_factor_enrolment')
    .where('outcome', '=', 'skipped')
    .$if(since !== undefined, (query) => query.where('at', '>=', new Date(Date.parse(since as string))))
    .executeTakeFirstOrThrow()
  return Number(row.skips)
}
