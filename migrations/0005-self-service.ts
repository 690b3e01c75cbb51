// Frozen: this migration imports nothing from src/ and never changes once released.
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Sessions the owner can see and end: when the person last proved who they are (sign-in or
  // confirmation), when the session was last used (idle expiry slides), which browser family, why it ended.
  await sql`alter table login_session add column authenticated_at timestamptz`.execute(db)
  await sql`update login_session set authenticated_at = created_at`.execute(db)
  await sql`alter table login_session alter column authenticated_at set not null`.execute(db)
  await sql`alter table login_session alter column authenticated_at set default now()`.execute(db)
  await sql`alter table login_session add column last_seen_at timestamptz not null default now()`.execute(db)
  await sql`alter table login_session add column browser text`.execute(db)
  await sql`alter table login_session add column ended_reason text`.execute(db)

  // The support desk finds accounts by family name within a region: case folded, ё = е.
  await sql`create index diary_account_family_name_idx on diary_account (region, translate(lower(family_name), 'ё', 'е'))`.execute(
    db,
  )
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index diary_account_family_name_idx`.execute(db)
  await sql`alter table login_session drop column ended_reason`.execute(db)
  await sql`alter table login_session drop column browser`.execute(db)
  await sql`alter table login_session drop column last_seen_at`.execute(db)
  await sql`alter table login_session drop column authenticated_at`.execute(db)
}
