// Frozen: this migration imports nothing from src/ and never changes once released.
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // The console's search (accounts/account.repository.ts searchAccounts) finds family names by their
  // beginning: `translate(lower(family_name), 'ё', 'е') like 'ив%'`. diary_account_family_name_idx (0005)
  // compares by the database's collation, which a LIKE prefix cannot use unless the collation is C; the
  // same expression with text_pattern_ops (byte order) serves it, by region (a region operator) and by
  // school (a school admin). On 100,000 accounts of a region the search goes from about 100 ms (every
  // row of the table read) to a few (bench/console-results.md, `npm run bench:console`).
  // Built inside the migrations' transaction, they hold off account writes (a sync) for a second or so
  // per million accounts; to avoid even that, build them first by hand, concurrently and with these
  // names, and this finds them.
  await sql`create index if not exists diary_account_family_prefix_idx on diary_account (region, translate(lower(family_name), 'ё', 'е') text_pattern_ops)`.execute(
    db,
  )
  await sql`create index if not exists diary_account_school_family_prefix_idx on diary_account (school_id, translate(lower(family_name), 'ё', 'е') text_pattern_ops) where school_id is not null`.execute(
    db,
  )
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index diary_account_school_family_prefix_idx`.execute(db)
  await sql`drop index diary_account_family_prefix_idx`.execute(db)
}
