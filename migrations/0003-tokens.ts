// Frozen: this migration imports nothing from src/ and never changes once released.
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Signing keys: published from created_at, sign from signs_from, published until retires_at.
  await sql`
    create table signing_key (
      kid text primary key,
      alg text not null check (alg in ('ES256', 'EdDSA', 'RS256')),
      public_jwk jsonb not null,
      private_jwk_encrypted text not null,
      created_at timestamptz not null default now(),
      signs_from timestamptz not null,
      retires_at timestamptz
    )`.execute(db)

  await sql`
    create table authorization_code (
      code_hash text primary key,
      client_id text not null,
      account_id uuid not null references diary_account (id) on delete cascade,
      session_id uuid references login_session (id) on delete set null,
      redirect_uri text not null,
      scope text not null,
      nonce text,
      code_challenge text not null,
      auth_time timestamptz not null,
      amr text not null,
      expires_at timestamptz not null,
      used_at timestamptz,
      family_id uuid,
      access_jti text,
      access_expires_at timestamptz
    )`.execute(db)
  await sql`create index authorization_code_expires_idx on authorization_code (expires_at)`.execute(db)

  // One family per code redemption; every rotation stays in it; revoking it revokes them all.
  await sql`
    create table token_family (
      id uuid primary key default gen_random_uuid(),
      client_id text not null,
      account_id uuid not null references diary_account (id) on delete cascade,
      session_id uuid references login_session (id) on delete set null,
      scope text not null,
      auth_time timestamptz not null,
      amr text not null,
      created_at timestamptz not null default now(),
      revoked_at timestamptz,
      revoked_reason text
    )`.execute(db)
  await sql`create index token_family_session_idx on token_family (session_id) where revoked_at is null`.execute(db)
  await sql`create index token_family_account_idx on token_family (account_id) where revoked_at is null`.execute(db)

  await sql`
    create table refresh_token (
      token_hash text primary key,
      family_id uuid not null references token_family (id) on delete cascade,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      used_at timestamptz
    )`.execute(db)
  await sql`create index refresh_token_family_idx on refresh_token (family_id)`.execute(db)

  // Access tokens are verified offline; this list only answers introspection after a revocation.
  await sql`
    create table revoked_access_token (
      jti text primary key,
      expires_at timestamptz not null
    )`.execute(db)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table revoked_access_token`.execute(db)
  await sql`drop table refresh_token`.execute(db)
  await sql`drop table token_family`.execute(db)
  await sql`drop table authorization_code`.execute(db)
  await sql`drop table signing_key`.execute(db)
}
