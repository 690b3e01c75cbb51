// Frozen: this migration imports nothing from src/ and never changes once released.
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Requests to the machine endpoints per key ('client:<id>', 'address:<ip>') and fixed window, added
  // to by every instance once a second (insert … on conflict do update … returning the total). The
  // maintenance job deletes windows long over by window_start.
  await sql`
    create table request_rate (
      key text not null,
      window_start timestamptz not null,
      count integer not null,
      primary key (key, window_start)
    )`.execute(db)
  await sql`create index request_rate_window_start_idx on request_rate (window_start)`.execute(db)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table request_rate`.execute(db)
}
