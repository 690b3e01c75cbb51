/*
 * Appends one audit event: what happened, to whom (ids only), outcome, request id.
 * The table is append-only (a trigger refuses UPDATE and DELETE). Callers pass ids, counts and
 * reason codes in `details`; never a SNILS, a password, a token or a name.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely'
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
  await sql`with subject as (select ${event.accountId ?? null}::uuid as id, ${event.region ?? null}::text as region) ${auditEventSql('subject', event)}`.execute(db)
}

/**
 * The audit row of a decision written by the same statement: `insert … select` from `source`, a CTE of
 * that statement whose rows have the account's `id` and `region` (no row there, no audit row). Use it as
 * a data-modifying CTE: the event lands in the decision's own statement, without a round trip of its own.
 * It returns the rows' `account_id`, so that a later step can read from it and run after it (the audit
 * trail then lists the events in the order they were decided).
 */
export function auditEventSql(
  source: string,
  event: Omit<AuditEvent, 'accountId' | 'region' | 'details'> & { details?: AuditEvent['details'] | RawBuilder<unknown> },
): RawBuilder<unknown> {
  // `details` may be an SQL expression over the source's columns (ids and codes only, as above).
  const details = event.details === undefined || !('isRawBuilder' in event.details) ? sql`${JSON.stringify(event.details ?? {})}::jsonb` : event.details
  return sql`insert into audit_event (type, outcome, account_id, region, client_id, request_id, details)
    select ${event.type}, ${event.outcome}, id, region, ${event.clientId ?? null}, ${event.requestId ?? null}, ${details}
    from ${sql.table(source)}
    returning account_id`
}
