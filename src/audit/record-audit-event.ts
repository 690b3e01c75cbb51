/*
 * Appends one audit event (DESIGN.md §4): what happened, to whom (ids only), outcome, request id.
 * The table is append-only (a trigger refuses UPDATE and DELETE). Callers pass ids, counts and
 * reason codes in `details`; never a SNILS, a password, a token or a name.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

export interface AuditEvent {
  type: string
  outcome: string
  accountId?: string | null
  region?: string | null
  clientId?: string | null
  requestId?: string | null
  details?: Record<string, string | number | boolean | null>
}

export async function recordAuditEvent(db: Kysely<Database>, event: AuditEvent): Promise<void> {
  await db
    .insertInto('audit_event')
    .values({
      type: event.type,
      outcome: event.outcome,
      account_id: event.accountId ?? null,
      region: event.region ?? null,
      client_id: event.clientId ?? null,
      request_id: event.requestId ?? null,
      details: JSON.stringify(event.details ?? {}),
    })
    .execute()
}
