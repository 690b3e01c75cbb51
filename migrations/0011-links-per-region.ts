// Frozen: this migration imports nothing from src/ and never changes once released.
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // One State Services identity may be linked to several diary accounts (several schools, regions,
  // roles): one link per (issuer, subject, account) instead of one per (issuer, subject). An account
  // still has at most one identity per provider. `last_chosen_at`: when the person last chose this
  // account on the chooser page (the chooser lists it first).
  await sql`
    alter table identity_link
      drop constraint identity_link_subject_unique,
      add constraint identity_link_subject_account_unique unique (issuer, subject, account_id),
      add column last_chosen_at timestamptz`.execute(db)

  // The State Services subject a session signed in through (with upstream_issuer): the account page
  // lists the other diaries of that person.
  await sql`alter table login_session add column upstream_subject text`.execute(db)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table login_session drop column upstream_subject`.execute(db)
  // Back to one account per identity: every link but the oldest of an identity goes.
  await sql`
    delete from identity_link l using identity_link older
    where older.issuer = l.issuer and older.subject = l.subject and (older.created_at, older.id) < (l.created_at, l.id)`.execute(
    db,
  )
  await sql`
    alter table identity_link
      drop column last_chosen_at,
      drop constraint identity_link_subject_account_unique,
      add constraint identity_link_subject_unique unique (issuer, subject)`.execute(db)
}
