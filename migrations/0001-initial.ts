// Frozen: this migration imports nothing from src/ and never changes once released.
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table diary_account (
      id uuid primary key default gen_random_uuid(),
      region text not null,
      login text not null,
      password_hash text,
      must_change_password boolean not null default false,
      role text not null check (role in ('pupil', 'parent', 'teacher', 'staff')),
      family_name text not null,
      given_name text not null,
      patronymic text,
      birth_date date,
      snils_hmac text check (snils_hmac ~ '^[0-9a-f]{64}$'),
      snils_last4 text check (snils_last4 ~ '^[0-9]{4}$'),
      school text,
      class_name text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint diary_account_login_unique unique (region, login),
      constraint diary_account_login_normalised check (login = lower(btrim(login)) and login <> ''),
      constraint diary_account_snils_pair check ((snils_hmac is null) = (snils_last4 is null))
    )`.execute(db)
  await sql`create index diary_account_snils_idx on diary_account (region, snils_hmac) where snils_hmac is not null`.execute(
    db,
  )

  await sql`
    create table identity_link (
      id uuid primary key default gen_random_uuid(),
      issuer text not null,
      subject text not null,
      account_id uuid not null references diary_account (id) on delete cascade,
      method text not null check (method in ('auto_snils', 'password')),
      evidence jsonb not null default '{}',
      created_at timestamptz not null default now(),
      constraint identity_link_subject_unique unique (issuer, subject),
      constraint identity_link_account_issuer_unique unique (account_id, issuer)
    )`.execute(db)

  await sql`
    create table audit_event (
      id bigint generated always as identity primary key,
      at timestamptz not null default now(),
      type text not null,
      outcome text not null,
      account_id uuid,
      region text,
      client_id text,
      request_id text,
      details jsonb not null default '{}'
    )`.execute(db)
  await sql`create index audit_event_account_idx on audit_event (account_id, at) where account_id is not null`.execute(
    db,
  )
  await sql`create index audit_event_at_idx on audit_event (at)`.execute(db)
  await sql`
    create function audit_event_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_event is append-only';
    end
    $$`.execute(db)
  await sql`
    create trigger audit_event_append_only before update or delete on audit_event
    for each row execute function audit_event_append_only()`.execute(db)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table audit_event`.execute(db)
  await sql`drop function audit_event_append_only()`.execute(db)
  await sql`drop table identity_link`.execute(db)
  await sql`drop table diary_account`.execute(db)
}
