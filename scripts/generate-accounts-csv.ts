/*
 * Writes a synthetic accounts CSV for load tests of `accounts import`:
 *   node --import tsx scripts/generate-accounts-csv.ts ROWS FILE [--bad N] [--hashed]
 * Every row has a unique login and a unique valid SNILS; `--bad N` spoils every N-th row (wrong SNILS
 * check number, impossible date, or no role, in turn); `--hashed` gives rows a password_hash instead of
 * an initial password (one precomputed hash, so generation stays fast).
 */
import { createWriteStream } from 'node:fs'
import { parseArgs } from 'node:util'
import { createPasswordHasher } from '../src/accounts/password-hash.js'
import { snilsCheckNumber } from '../src/person/snils.js'

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { bad: { type: 'string' }, hashed: { type: 'boolean' } },
})
const rows = Number(positionals[0])
const file = positionals[1]
if (!Number.isInteger(rows) || rows <= 0 || file === undefined) {
  process.stderr.write('usage: generate-accounts-csv.ts ROWS FILE [--bad N] [--hashed]\n')
  process.exit(1)
}
const badEvery = values.bad === undefined ? 0 : Number(values.bad)
const hasher = createPasswordHasher({ workers: 1 })
const hash = values.hashed ? await hasher.hash('load-test-password') : undefined
await hasher.close()
const families = ['Иванов', 'Смирнов', 'Кузнецов', 'Попов', 'Васильев', 'Петров', 'Соколов', 'Михайлов']
const given = ['Алексей', 'Мария', 'Дмитрий', 'Анна', 'Иван', 'Елена', 'Сергей', 'Ольга']

const out = createWriteStream(file)
out.write(
  `login,${hash ? 'password_hash' : 'password'},role,family_name,given_name,patronymic,birth_date,snils,school,class\n`,
)
for (let i = 0; i < rows; i++) {
  const nine = String(2_000_000 + i * 7).padStart(9, '0')
  let snils = `${nine}${String(snilsCheckNumber(nine)).padStart(2, '0')}`
  let birth = `20${String(5 + (i % 12)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 10}`
  let role = i % 5 === 0 ? 'parent' : 'pupil'
  if (badEvery > 0 && i % badEvery === badEvery - 1) {
    const kind = Math.floor(i / badEvery) % 3
    if (kind === 0) snils = `${nine}${String((snilsCheckNumber(nine) + 1) % 100).padStart(2, '0')}`
    if (kind === 1) birth = '2012-02-30'
    if (kind === 2) role = ''
  }
  const secret = hash ? `"${hash}"` : `initial-${i}`
  const line = `user${i},${secret},${role},${families[i % 8]},${given[i % 8]},,${birth},${snils},Школа № ${1 + (i % 40)},${1 + (i % 11)}А\n`
  if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
}
out.end()
