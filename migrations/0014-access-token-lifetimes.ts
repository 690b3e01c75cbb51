// Frozen: this migration imports nothing from src/ and never changes once released.
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Until when the latest access token issued in a family (at the code redemption, at each refresh) is
  // valid: the revocation list names an ended session only while one of its tokens may still be. Null
  // for families from before this migration (not known: listed as before, until the longest lifetime
  // after the session ended).
  await sql`alter table token_family add column access_expires_at timestamptz`.execute(db)
  // The revocation list looks up the families of ended sessions, which are revoked: the index on
  // session_id covers revoked families too (it only held unrevoked ones).
  await sql`drop index token_family_session_idx`.execute(db)
  await sql`create index token_family_session_idx on token_family (session_id)`.execute(db)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index token_family_session_idx`.execute(db)
  await sql`create index token_family_session_idx on token_family (session_id) where revoked_at is null`.execute(db)
  await sql`alter table token_family drop column access_expires_at`.execute(db)
}
