// Frozen: this migration imports nothing from src/ and never changes once released.
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Every private_key_jwt client assertion's jti, per client, until the assertion expires: a second
  // use finds the row (insert … on conflict do nothing), on every instance.
  await sql`
    create table client_assertion_use (
      client_id text not null,
      jti text not null,
      expires_at timestamptz not null,
      primary key (client_id, jti)
    )`.execute(db)
  await sql`create index client_assertion_use_expires_idx on client_assertion_use (expires_at)`.execute(db)

  // The refresh token that replaced this one, sealed with a key derived from this token's value (which
  // is not stored): the grace period answers a repeated refresh with the same successor.
  await sql`alter table refresh_token add column successor_sealed text`.execute(db)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table refresh_token drop column successor_sealed`.execute(db)
  await sql`drop table client_assertion_use`.execute(db)
}
