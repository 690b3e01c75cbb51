/*
 * `npm run bench:overview`: the region operator's overview (console/region-overview.ts) on a throw-away
 * PostgreSQL database whose region 29 wrote OVERVIEW_ROWS (1,000,000) audit events in the last 7 days,
 * 70 % of them sign-in events (the rest authorization codes, refreshes, logouts), beside 200,000 of four
 * other regions. Measures readRegionOverview:
 * - the first reads after the upgrade, each counting 24 past hours of every region (audit/hourly-counts.ts),
 *   until the week is counted
 * - the steady state, 10 runs (after one unmeasured): the counts, plus the events of the hour not over
 * - a read that counts a newly finished hour first (what one read an hour pays), 10 runs
 * against the target (≤ 300 ms); writes bench/overview-results.md.
 */
import { availableParallelism, cpus, totalmem } from 'node:os'
import { performance } from 'node:perf_hooks'
import { writeFileSync } from 'node:fs'
import { type Kysely, sql } from 'kysely'
import { readRegionOverview } from '../src/console/region-overview.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { openDatabase } from '../src/db/open-database.js'
import type { Database } from '../src/db/schema.js'
import { createBenchDatabase } from './lib.js'

const rows = Number(process.env.OVERVIEW_ROWS ?? 1_000_000)
const otherRows = 200_000
const targetMs = 300
const now = new Date()

// type|outcome|reason, one entry per percent of the region's events.
const mix = [
  ...repeat('password_sign_in|success|', 30),
  ...repeat('password_sign_in|failure|', 6),
  'password_sign_in|closed|',
  ...repeat('link_decision|linked|', 15),
  ...repeat('link_decision|needs_password|not_verified', 2),
  'link_decision|needs_password|no_snils',
  'link_decision|needs_password|no_match',
  'link_decision|conflict|account_linked_elsewhere',
  'account_choice|chosen|',
  ...repeat('second_factor|success|', 8),
  'second_factor|failure|',
  ...repeat('passkey_sign_in|success|', 2),
  'passkey_sign_in|failure|',
  ...repeat('authorization_code|issued|', 15),
  ...repeat('token_refresh|success|', 10),
  ...repeat('logout|success|', 5),
]

function repeat(entry: string, times: number): string[] {
  return Array.from({ length: times }, () => entry)
}

async function seed(db: Kysely<Database>, region: string, count: number, entries: string[]) {
  await sql`insert into audit_event (at, type, outcome, account_id, region, details)
    select ${now}::timestamptz - random() * interval '7 days',
      split_part(e, '|', 1), split_part(e, '|', 2), gen_random_uuid(), ${region},
      case when split_part(e, '|', 3) = '' then '{}'::jsonb
        else jsonb_build_object('issuer', 'https://esia.gosuslugi.ru/', 'reason', split_part(e, '|', 3)) end
    from generate_series(1, ${count}) g,
      lateral (select (${entries}::text[])[1 + (g::bigint * 7919) % ${entries.length}] as e) picked`.execute(db)
}

async function measure(
  db: Kysely<Database>,
  region: string,
  before: () => Promise<void> = async () => {},
): Promise<{ median: number; max: number }> {
  await readRegionOverview(db, region, now)
  const times: number[] = []
  for (let run = 0; run < 10; run++) {
    await before()
    const started = performance.now()
    await readRegionOverview(db, region, now)
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  return { median: ((times[4] as number) + (times[5] as number)) / 2, max: times[9] as number }
}

const database = await createBenchDatabase()
const db = await openDatabase({ databaseUrl: database.url, statementTimeoutMs: 600_000 })
const lines: string[] = []
const say = (line = '') => {
  lines.push(line)
  process.stdout.write(`${line}\n`)
}
const verdict = (result: { median: number; max: number }) =>
  `median ${result.median.toFixed(1)} ms, max ${result.max.toFixed(1)} ms (target ≤ ${targetMs} ms ${result.max <= targetMs ? '✔' : '✘'})`
try {
  await migrateToLatest(db)
  let started = performance.now()
  await seed(db, '29', rows, mix)
  for (const region of ['77', '30', '42', '290']) await seed(db, region, otherRows / 4, mix)
  await sql`analyze audit_event`.execute(db)
  say(
    `Seeded ${rows.toLocaleString('en')} events of region 29 and ${otherRows.toLocaleString('en')} of four others in ${((performance.now() - started) / 1000).toFixed(1)} s.`,
  )
  const catchUp: string[] = []
  const hoursCounted = async () =>
    Number((await sql<{ n: string }>`select count(*) as n from audit_hour_rolled`.execute(db)).rows[0]?.n)
  for (let counted = -1; counted !== (counted = await hoursCounted());) {
    started = performance.now()
    await readRegionOverview(db, '29', now)
    catchUp.push(`${(performance.now() - started).toFixed(0)} ms`)
  }
  catchUp.pop()
  say(`- the first reads after the upgrade, counting 24 hours of every region each: ${catchUp.join(', ')}`)
  const overview = await readRegionOverview(db, '29', now)
  const signIns = overview.signInsPerHour.reduce(
    (sum, hour) => sum + hour.password + hour.stateServices + hour.secondFactor,
    0,
  )
  say(`- steady state: ${verdict(await measure(db, '29'))}`)
  const lastHour = sql`(select max(hour) from audit_hour_rolled)`
  const recount = async () => {
    await sql`delete from audit_hourly_count where hour = ${lastHour}`.execute(db)
    await sql`delete from audit_hour_rolled where hour = ${lastHour}`.execute(db)
  }
  say(`- a read that counts the hour just over first: ${verdict(await measure(db, '29', recount))}`)
  say()
  say(
    `The week of region 29: ${signIns.toLocaleString('en')} sign-ins in ${overview.signInsPerHour.length} hours; failures ${overview.failuresByReason.map((row) => `${row.reason} ${row.count.toLocaleString('en')}`).join(', ')}; State Services refusals ${overview.stateServicesErrorsByCode.map((row) => `${row.code} ${row.count.toLocaleString('en')}`).join(', ')}.`,
  )
} finally {
  await db.destroy()
  await database.drop()
}
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, PostgreSQL on the same machine`
writeFileSync(
  'bench/overview-results.md',
  `# Region overview\n\nMachine: ${machine}. Run: ${new Date().toISOString()}. \`npm run bench:overview\` (bench/overview.ts): readRegionOverview, 10 runs each.\n\n${lines.join('\n')}\n`,
)
