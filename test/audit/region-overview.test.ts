import { sql } from 'kysely'
import t from 'tap'
import { readRegionOverview } from '../../src/console/region-overview.js'
import { openTestDatabase } from '../helpers/test-database.js'

const { db } = await openTestDatabase(t)

const now = new Date('2026-12-07T10:30:00Z')
const from = new Date('2026-11-30T11:00:00Z')
const to = new Date('2026-12-07T11:00:00Z')
const hours = (n: number) => n * 3_600_000
const at = (ms: number) => new Date(from.getTime() + ms)

interface Row {
  type: string
  outcome: string
  at: Date
  region?: string | null
  reason?: string
  times?: number
}

async function insert(rows: Row[]) {
  for (const row of rows) {
    const details = JSON.stringify(row.reason === undefined ? {} : { issuer: 'https://esia', reason: row.reason })
    await sql`insert into audit_event (at, type, outcome, region, details)
      select ${row.at}, ${row.type}, ${row.outcome}, ${row.region === undefined ? '29' : row.region}, ${details}::jsonb
      from generate_series(1, ${row.times ?? 1})`.execute(db)
  }
}

const region29: Row[] = [
  { type: 'password_sign_in', outcome: 'success', at: at(0), times: 1 },
  { type: 'password_sign_in', outcome: 'success', at: at(hours(167) + 5 * 60_000), times: 2 },
  { type: 'password_sign_in', outcome: 'success', at: at(-1) },
  { type: 'password_sign_in', outcome: 'success', at: at(-hours(24)), times: 4 },
  { type: 'password_sign_in', outcome: 'success', at: to },
  { type: 'password_sign_in', outcome: 'failure', at: at(hours(3)), times: 3 },
  { type: 'password_sign_in', outcome: 'failure', at: at(-hours(2)), times: 9 },
  { type: 'password_sign_in', outcome: 'closed', at: at(hours(50)) },
  { type: 'link_decision', outcome: 'linked', at: at(hours(100) + 59 * 60_000), reason: undefined },
  { type: 'link_decision', outcome: 'needs_password', at: at(hours(10)), reason: 'not_verified', times: 2 },
  { type: 'link_decision', outcome: 'needs_password', at: at(hours(11)), reason: 'no_snils' },
  { type: 'link_decision', outcome: 'needs_password', at: at(-hours(30)), reason: 'no_snils', times: 5 },
  { type: 'link_decision', outcome: 'conflict', at: at(hours(12)), reason: 'account_linked_elsewhere' },
  { type: 'link_decision', outcome: 'several', at: at(hours(12)) },
  { type: 'link_binding', outcome: 'linked', at: at(hours(100)) },
  { type: 'account_choice', outcome: 'chosen', at: at(hours(101)) },
  { type: 'second_factor', outcome: 'success', at: at(hours(100)), times: 2 },
  { type: 'second_factor', outcome: 'failure', at: at(hours(100)) },
  { type: 'passkey_sign_in', outcome: 'success', at: at(hours(167)) },
  { type: 'passkey_sign_in', outcome: 'failure', at: at(hours(20)), times: 2 },
  { type: 'password_binding', outcome: 'failure', at: at(hours(20)) },
  { type: 'logout', outcome: 'success', at: at(hours(20)) },
]
const elsewhere: Row[] = [
  ...['77', '290', null].flatMap((region) =>
    region29.map((row) => ({ ...row, region, at: at(hours(40)), reason: row.reason ?? 'other_region' })),
  ),
]

await insert([...region29, ...elsewhere])
await sql`insert into login_throttle (key, failures, window_started_at, blocked_until) values
  ('account:29:aaa', 5, ${now}, ${new Date(now.getTime() + 60_000)}),
  ('account:29:bbb', 5, ${now}, ${new Date(now.getTime() + 1)}),
  ('account:29:ccc', 5, ${now}, ${now}),
  ('account:29:ddd', 2, ${now}, null),
  ('account:290:aaa', 5, ${now}, ${new Date(now.getTime() + 60_000)}),
  ('account:77:aaa', 5, ${now}, ${new Date(now.getTime() + 60_000)}),
  ('ip:10.0.0.29', 20, ${now}, ${new Date(now.getTime() + 60_000)})`.execute(db)

const overview = await readRegionOverview(db, '29', now)

t.test('the week is the 168 whole hours up to the end of the hour of now', async (t) => {
  t.same({ region: overview.region, from: overview.from, to: overview.to }, { region: '29', from, to })
  t.equal(overview.signInsPerHour.length, 168)
  t.same(
    overview.signInsPerHour.map((hour) => hour.hour.getTime() - from.getTime()),
    Array.from({ length: 168 }, (_, index) => hours(index)),
    'one bucket per hour, in order, every hour present',
  )
})

t.test("sign-ins per hour count the region's successes of the week, by way", async (t) => {
  const nonZero = overview.signInsPerHour
    .map((hour, index) => ({ index, password: hour.password, ss: hour.stateServices, second: hour.secondFactor }))
    .filter((hour) => hour.password + hour.ss + hour.second > 0)
  t.same(nonZero, [
    { index: 0, password: 1, ss: 0, second: 0 },
    { index: 100, password: 0, ss: 2, second: 2 },
    { index: 101, password: 0, ss: 1, second: 0 },
    { index: 167, password: 2, ss: 0, second: 1 },
  ])
})

t.test('failures by reason, most frequent first, only of the week', async (t) => {
  t.same(overview.failuresByReason, [
    { reason: 'state_services_refused', count: 4 },
    { reason: 'wrong_password', count: 3 },
    { reason: 'passkey_refused', count: 2 },
    { reason: 'account_closed', count: 1 },
    { reason: 'second_factor_wrong', count: 1 },
  ])
})

t.test('State Services refusals by the recorded reason', async (t) => {
  t.same(overview.stateServicesErrorsByCode, [
    { code: 'not_verified', count: 2 },
    { code: 'account_linked_elsewhere', count: 1 },
    { code: 'no_snils', count: 1 },
  ])
})

t.test("blocked now: the region's account keys whose block runs past now", async (t) => {
  t.equal(overview.blockedNow, 2)
})

t.test('another region sees only its own rows', async (t) => {
  const other = await readRegionOverview(db, '77', now)
  const total = other.signInsPerHour.reduce(
    (sum, hour) => sum + hour.password + hour.stateServices + hour.secondFactor,
    0,
  )
  t.equal(other.signInsPerHour[40]?.password, 1 + 2 + 1 + 4 + 1, 'every password success of 77 fell in hour 40')
  t.equal(total, 9 + 3 + 2 + 1, 'password, State Services (linked, binding, choice), second factor, passkey')
  t.same(other.stateServicesErrorsByCode, [
    { code: 'no_snils', count: 6 },
    { code: 'not_verified', count: 2 },
    { code: 'account_linked_elsewhere', count: 1 },
  ])
  t.equal(other.blockedNow, 1)
  const empty = await readRegionOverview(db, '42', now)
  t.same(
    { failures: empty.failuresByReason, codes: empty.stateServicesErrorsByCode, blocked: empty.blockedNow },
    { failures: [], codes: [], blocked: 0 },
  )
  t.ok(empty.signInsPerHour.every((hour) => hour.password + hour.stateServices + hour.secondFactor === 0))
})

t.test('the hours are counted 24 at a time, and the answer is the same at every step', async (t) => {
  const rolled = async () =>
    Number((await sql<{ n: string }>`select count(*) as n from audit_hour_rolled`.execute(db)).rows[0]?.n)
  t.equal(await rolled(), 72, 'the three reads above counted the first 72 hours, oldest first')
  for (let read = 0; read < 6; read++) {
    t.same(await readRegionOverview(db, '29', now), overview)
  }
  t.equal(await rolled(), 167, 'every hour that was over 5 minutes ago, and no other')
  const counted = await sql<{ n: string }>`select coalesce(sum(count), 0) as n from audit_hourly_count
    where region = '29' and hour = ${at(hours(100))}`.execute(db)
  t.equal(Number(counted.rows[0]?.n), 5, 'hour 100 of region 29: linked, binding, two second factors, one failed')
  await insert([{ type: 'password_sign_in', outcome: 'success', at: at(hours(167) + 1) }])
  await insert([{ type: 'password_sign_in', outcome: 'success', at: at(hours(1)) }])
  const later = await readRegionOverview(db, '29', now)
  t.equal(later.signInsPerHour[167]?.password, 3, 'the hour not over yet is read from the events')
  t.equal(later.signInsPerHour[1]?.password, 0, 'an event written into an hour already counted is missed')
})
