// Frozen: this migration imports nothing from src/ and never changes once released.
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // An account's second factors: passkeys (WebAuthn credentials) and one-time code apps (TOTP).
  // A TOTP factor is made unconfirmed when its QR code is shown and counts once its first code was
  // right (confirmed_at); a passkey is confirmed when it is made. totp_last_step is the time step of
  // the last code accepted: a code counts only for a later step, so it is spent on every instance.
  await sql`
    create table account_factor (
      id uuid primary key default gen_random_uuid(),
      account_id uuid not null references diary_account (id) on delete cascade,
      kind text not null check (kind in ('passkey', 'totp')),
      name text not null check (name = btrim(name) and name <> '' and length(name) <= 64),
      created_at timestamptz not null default now(),
      confirmed_at timestamptz,
      last_used_at timestamptz,
      credential_id bytea unique,
      public_key bytea,
      sign_count bigint check (sign_count >= 0),
      transports text[],
      multi_device boolean,
      backed_up boolean,
      totp_secret_encrypted text,
      totp_last_step bigint,
      constraint account_factor_shape check (
        (kind = 'passkey' and credential_id is not null and public_key is not null and sign_count is not null
          and confirmed_at is not null and totp_secret_encrypted is null and totp_last_step is null)
        or (kind = 'totp' and totp_secret_encrypted is not null
          and credential_id is null and public_key is null and sign_count is null))
    )`.execute(db)
  await sql`create index account_factor_account_idx on account_factor (account_id)`.execute(db)

  // Recovery codes: ten single-use codes shown once, kept as keyed hashes; a new set replaces the old.
  await sql`
    create table account_recovery_code (
      account_id uuid not null references diary_account (id) on delete cascade,
      code_hash text not null,
      created_at timestamptz not null default now(),
      used_at timestamptz,
      primary key (account_id, code_hash)
    )`.execute(db)

  // How a session was signed in, in RFC 8176 values ('pwd', 'fed', 'otp', 'hwk', 'swk', 'mfa', space
  // separated; null: what its method alone says) and the level the bridge vouches for (acr: 'password'
  // or 'mfa'; null: 'password'). A step-up raises both. Codes and token families carry the acr they were
  // issued with, as they carry amr.
  // A session may also start with a passkey alone (a discoverable credential, user verified).
  await sql`
    alter table login_session
      drop constraint login_session_method_check,
      add constraint login_session_method_check check (method in ('password', 'state_services', 'passkey')),
      add column amr text check (amr <> ''),
      add column acr text check (acr in ('password', 'mfa'))`.execute(db)
  await sql`
    alter table authorization_code
      add column acr text not null default 'password' check (acr in ('password', 'mfa'))`.execute(db)
  await sql`
    alter table token_family
      add column acr text not null default 'password' check (acr in ('password', 'mfa'))`.execute(db)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table token_family drop column acr`.execute(db)
  await sql`alter table authorization_code drop column acr`.execute(db)
  await sql`update login_session set method = 'password' where method = 'passkey'`.execute(db)
  await sql`
    alter table login_session
      drop column acr,
      drop column amr,
      drop constraint login_session_method_check,
      add constraint login_session_method_check check (method in ('password', 'state_services'))`.execute(db)
  await sql`drop table account_recovery_code`.execute(db)
  await sql`drop table account_factor`.execute(db)
}
