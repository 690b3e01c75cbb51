// Frozen: this migration imports nothing from src/ and never changes once released.
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // The region operator's overview (console/region-overview.ts) counts a week of a region's sign-in
  // events. Counting the events themselves takes seconds at a million a week, so each hour, once over,
  // is counted once for every region (audit/hourly-counts.ts): audit_hour_rolled marks the hours
  // counted, audit_hourly_count holds the counts (by region, type, outcome and the recorded reason of a
  // refused State Services login; '' for none). Counts, no ids: nothing personal.
  await sql`create table audit_hour_rolled (hour timestamptz primary key)`.execute(db)
  await sql`
    create table audit_hourly_count (
      region text not null,
      hour timestamptz not null,
      type text not null,
      outcome text not null,
      reason text not null,
      count bigint not null,
      primary key (region, hour, type, outcome, reason)
    )`.execute(db)
  await sql`create index audit_hourly_count_hour_idx on audit_hourly_count (hour)`.execute(db)
  // The hours not counted yet (the current one, mostly) are read from the events, by region and time.
  // Migrations run in one transaction, so this cannot be `concurrently`: the build holds off audit inserts
  // (so sign-ins) while it runs. On a large audit trail create it beforehand by hand, concurrently and
  // with this name (docs/operating.md, "Region overview"); then this finds it and does nothing.
  await sql`create index if not exists audit_event_region_at_idx on audit_event (region, at) where region is not null`.execute(
    db,
  )
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists audit_event_region_at_idx`.execute(db)
  await sql`drop table audit_hourly_count`.execute(db)
  await sql`drop table audit_hour_rolled`.execute(db)
}
