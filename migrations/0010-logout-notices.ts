// Frozen: this migration imports nothing from src/ and never changes once released.
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Back-channel logout (OpenID Connect Back-Channel Logout 1.0): one row per (ended session, diary
  // module that received tokens in it), written in the transaction that ends the session, delivered by
  // whichever instance claims it first (a lease in next_attempt_at), retried with back-off until it is
  // delivered or given up.
  await sql`
    create table logout_notice (
      id uuid primary key default gen_random_uuid(),
      client_id text not null,
      account_id uuid not null,
      session_id uuid,
      reason text not null,
      created_at timestamptz not null default now(),
      attempts integer not null default 0,
      next_attempt_at timestamptz not null default now(),
      delivered_at timestamptz,
      gave_up_at timestamptz,
      last_outcome text
    )`.execute(db)
  await sql`create index logout_notice_due_idx on logout_notice (next_attempt_at) where delivered_at is null and gave_up_at is null`.execute(
    db,
  )
  await sql`create index logout_notice_created_at_idx on logout_notice (created_at)`.execute(db)
  // The revocation list names the sessions that ended while their access tokens may still be valid.
  await sql`create index login_session_ended_at_idx on login_session (ended_at) where ended_at is not null`.execute(db)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index login_session_ended_at_idx`.execute(db)
  await sql`drop table logout_notice`.execute(db)
}
