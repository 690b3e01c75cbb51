/* The request counts every instance shares (ops/request-rate.ts): one statement per sync. */
import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/schema.js'

/** Adds counts of one window to request_rate; answers the totals of those keys over all instances. */
export async function addRequestCounts(
  db: Kysely<Database>,
  windowStart: Date,
  counts: readonly (readonly [string, number])[],
): Promise<{ key: string; count: number }[]> {
  // Arrays keep it to three parameters however many keys (a VALUES list would hit the 65,535 limit);
  // keys in one order on every instance, so that two concurrent syncs cannot deadlock on their rows.
  const sorted = [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const { rows } = await sql<{ key: string; count: number }>`
    insert into request_rate (key, window_start, count)
    select sent.key, ${windowStart}, sent.count from unnest(${sorted.map(([key]) => key)}::text[], ${sorted.map(([, count]) => count)}::integer[]) as sent(key, count)
    on conflict (key, window_start) do update set count = request_rate.count + excluded.count
    returning key, count`.execute(db)
  return rows
}
