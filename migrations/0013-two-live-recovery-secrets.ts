// Frozen: this migration imports nothing from src/ and never changes once released.
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // A recovery link or code stays valid when a newer one is sent: at most two live per owner and
  // purpose, one in each `slot` (0, 1); a new one takes the free slot or the older one's. A
  // confirmation of a new contact keeps one live (slot 0 only). The unique index and the check are
  // what enforce "at most two", whatever requests run at once.
  await sql`
    alter table recovery_secret
      add column slot smallint not null default 0,
      add constraint recovery_secret_slot check (slot = 0 or (slot = 1 and purpose in ('reset_email', 'reset_sms')))`.execute(
    db,
  )
  await sql`drop index recovery_secret_one_live_idx`.execute(db)
  await sql`create unique index recovery_secret_live_idx on recovery_secret (lookup_key, purpose, slot)`.execute(db)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  // Back to one live secret per owner and purpose: the second ones go.
  await sql`delete from recovery_secret where slot = 1`.execute(db)
  await sql`drop index recovery_secret_live_idx`.execute(db)
  await sql`create unique index recovery_secret_one_live_idx on recovery_secret (lookup_key, purpose)`.execute(db)
  await sql`alter table recovery_secret drop constraint recovery_secret_slot, drop column slot`.execute(db)
}
