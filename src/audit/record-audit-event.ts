/*
 * Appends one audit event: what happened, to whom (ids only), outcome, request id.
 * The table is append-only (a trigger refuses UPDATE and DELETE). Callers pass ids, counts and
 * reason codes in `details`; never a SNILS, a password, a token or a name.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely'
import { type ColumnsOf, type Cte, cte, withCtes } from '../db/cte.js'
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
  const subject = cte(
    'subject',
    ['id', 'region'],
    sql`select ${event.accountId ?? null}::uuid as id, ${event.region ?? null}::text as region`,
  )
  await withCtes()
    .with(subject)
    .then(auditEventCte('audited', subject, event))
    .execute(db)
}

/** An audit event of a decision, with `details` as data or as an SQL expression over the columns of the decision's rows. */
export type DecisionEvent<Columns extends string> = Omit<AuditEvent, 'accountId' | 'region' | 'details'> & {
  details?: AuditEvent['details'] | ((column: (name: Columns) => RawBuilder<unknown>) => RawBuilder<unknown>)
}

/**
 * The audit row of a decision written by the same statement: `insert … select` from `source`, a CTE of
 * that statement whose rows have the account's `id` and `region` (no row there, no audit row). Use it as
 * a data-modifying CTE: the event lands in the decision's own statement, without a round trip of its own.
 * Its rows are the `account_id`s written, so that a later step can read from it and run after it (the
 * audit trail then lists the events in the order they were decided).
 */
export function auditEventCte<Name extends string, Source extends Cte<string, 'id' | 'region', string>>(
  name: Name,
  source: Source,
  event: DecisionEvent<ColumnsOf<Source>>,
) {
  return cte(name, ['account_id'], auditEventSql(source.name, event), [source])
}

function auditEventSql<Columns extends string>(source: string, event: DecisionEvent<Columns>): RawBuilder<unknown> {
  // `details` may be an SQL expression over the source's columns (ids and codes only, as above).
  const details =
    typeof event.details === 'function'
      ? event.details((column) => sql.ref(column))
      : sql`${JSON.stringify(event.details ?? {})}::jsonb`
  return sql`insert into audit_event (type, outcome, account_id, region, client_id, request_id, details)
    select ${event.type}, ${event.outcome}, id, region, ${event.clientId ?? null}, ${event.requestId ?? null}, ${details}
    from ${sql.table(source)}
    returning account_id`
}
