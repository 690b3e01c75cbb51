/*
 * `maintenance run`: the maintenance job once, against the support desk's database, with the rows it
 * deleted per table (the job itself, and its lock, are tested in test/ops/maintenance.test.ts).
 */
import t from 'tap'
import { openCliWorld } from '../helpers/cli-world.js'
import { seedExpiringRows, seededRowsLeft } from '../helpers/expiring-rows.js'

const { db, cli, accountOf } = await openCliWorld(t)

t.test('maintenance run deletes the expired rows and prints how many per table', async (t) => {
  const now = new Date()
  const seeded = await seedExpiringRows(db, (await accountOf('ivanova.m')).id, now, 365)
  const run = await cli(['maintenance', 'run'], { now })
  t.equal(run.code, 0, run.all)
  t.same(run.stderr, [])
  const printed = Object.fromEntries(
    run.stdout.map((line) => line.split(/\s+/)).map(([table, rows]) => [table, Number(rows)]),
  )
  t.same(printed, seeded.deleted)
  t.match(run.stdout[0], /^login_transaction_use {2,}1$/, 'aligned: the table, then the count')
  t.same(await seededRowsLeft(db, seeded), seeded.kept)
})

t.test('maintenance run --help says what it does', async (t) => {
  const run = await cli(['maintenance', 'run', '--help'])
  t.equal(run.code, 0)
  t.match(run.stdout.join('\n'), /Usage: diary-bridge maintenance run\n\nDeletes expired rows once/)
})
