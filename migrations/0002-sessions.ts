// Frozen: this migration imports nothing from src/ and never changes once released.
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // A signed-in browser. The cookie carries only the id; ending a session here makes every copy useless.
  await sql`
    create table login_session (
      id uuid primary key default gen_random_uuid(),
      account_id uuid not null references diary_account (id) on delete cascade,
      method text not null check (method in ('password', 'state_services')),
      upstream_issuer text,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      ended_at timestamptz
    )`.execute(db)
  await sql`create index login_session_account_idx on login_session (account_id) where ended_at is null`.execute(db)

  // Login transactions live in encrypted cookies; this table makes each one single-use across instances.
  await sql`
    create table login_transaction_use (
      id text primary key,
      used_at timestamptz not null default now()
    )`.execute(db)
  await sql`create index login_transaction_use_at_idx on login_transaction_use (used_at)`.execute(db)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table login_transaction_use`.execute(db)
  await sql`drop table login_session`.execute(db)
}
