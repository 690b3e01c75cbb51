// Frozen: this migration imports nothing from src/ and never changes once released.
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Contact details for password recovery: normalised (e-mail lower-cased, phone +<digits>), and
  // verified only once the owner proved they receive mail or SMS there (or the import said so).
  await sql`
    alter table diary_account
      add column email text,
      add column email_verified_at timestamptz,
      add column phone text,
      add column phone_verified_at timestamptz,
      add constraint diary_account_email_normalised check (email is null or (email = lower(btrim(email)) and email like '_%@_%')),
      add constraint diary_account_phone_normalised check (phone is null or phone ~ '^\\+[0-9]{8,15}$'),
      add constraint diary_account_email_verified check (email is not null or email_verified_at is null),
      add constraint diary_account_phone_verified check (phone is not null or phone_verified_at is null)`.execute(db)

  // One-time secrets sent to a contact: a recovery link or code, a confirmation of a new contact.
  // Only a hash of the secret is kept. One live secret per owner and purpose: `lookup_key` names the
  // owner (a keyed hash of the typed login, or of the account), and a new secret replaces the old one by
  // the unique index. A row without an account answers a request for a login that has no such contact:
  // it is stored and replaced exactly like a real one, and can never be met.
  await sql`
    create table recovery_secret (
      id uuid primary key default gen_random_uuid(),
      lookup_key text not null,
      account_id uuid references diary_account (id) on delete cascade,
      purpose text not null,
      secret_hash text not null,
      destination text,
      attempts integer not null default 0,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      constraint recovery_secret_purpose check (purpose in ('reset_email', 'reset_sms', 'verify_email', 'verify_phone')),
      constraint recovery_secret_destination check ((destination is null) = (purpose in ('reset_email', 'reset_sms')))
    )`.execute(db)
  await sql`create unique index recovery_secret_one_live_idx on recovery_secret (lookup_key, purpose)`.execute(db)
  await sql`create index recovery_secret_account_idx on recovery_secret (account_id) where account_id is not null`.execute(
    db,
  )
  await sql`create index recovery_secret_expires_at_idx on recovery_secret (expires_at)`.execute(db)
  await sql`create index recovery_secret_hash_idx on recovery_secret (secret_hash)`.execute(db)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table recovery_secret`.execute(db)
  await sql`
    alter table diary_account
      drop column phone_verified_at,
      drop column phone,
      drop column email_verified_at,
      drop column email`.execute(db)
}
