// Frozen: this migration imports nothing from src/ and never changes once released.
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Failed password attempts, per account and per client address, shared by every instance.
  await sql`
    create table login_throttle (
      key text primary key,
      failures integer not null,
      window_started_at timestamptz not null,
      blocked_until timestamptz
    )`.execute(db)
  await sql`create index login_throttle_window_idx on login_throttle (window_started_at)`.execute(db)
  await sql`alter table diary_account add column password_changed_at timestamptz`.execute(db)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table diary_account drop column password_changed_at`.execute(db)
  await sql`drop table login_throttle`.execute(db)
}
