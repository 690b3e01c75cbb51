/*
 * `npm run bench:console`: the console's account search (accounts/account.repository.ts searchAccounts,
 * limit 50, scope SQL from console/operator.repository.ts accountInScopeSql) on a throw-away PostgreSQL
 * database with 100,000 accounts of region 29 in 100 schools (1,000 each, classes 1А…11Б) and 50,000 of
 * two other regions, Russian family names from a few hundred (about 1 % of the region Иванов/Иванова).
 * For a school admin (one school) and a region operator (region 29): a family-name prefix («Ив»), a full
 * name («Иванова Мария»), a login, a class; median and p95 of 25 runs (after one unmeasured) against the
 * target (≤ 50 ms, issue 27), and the plan's top node and indexes (EXPLAIN (ANALYZE, BUFFERS)).
 * Writes bench/console-results.md.
 */
import { writeFileSync } from 'node:fs'
import { availableParallelism, cpus, totalmem } from 'node:os'
import { performance } from 'node:perf_hooks'
import { type CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { type AccountSearch, searchAccounts } from '../src/accounts/account.repository.js'
import { accountInScopeSql, type OperatorScope } from '../src/console/operator.repository.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { openDatabase } from '../src/db/open-database.js'
import type { Database } from '../src/db/schema.js'
import { createBenchDatabase } from './lib.js'

const targetMs = 50
const runs = 25
const limit = 50
const schoolsPerRegion = { '29': 100, '77': 25, '30': 25 }
const accountsPerSchool = 1000

// Family-name stems (male form; the female form adds «а»). Иванов is there three times: about 1 % of the
// accounts are Иванов or Иванова, and «Ив» begins a few more (Ивашов, Ивлев, Ивин, Ивкин).
const stems = `Иванов Иванов Иванов Ивашов Ивлев Ивин Ивкин Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов
Новиков Федоров Морозов Волков Алексеев Лебедев Семенов Егоров Павлов Козлов Степанов Николаев Орлов Андреев
Макаров Никитин Захаров Зайцев Соловьев Борисов Яковлев Григорьев Романов Воробьев Сергеев Кузьмин Фролов
Александров Дмитриев Королев Гусев Киселев Ильин Максимов Поляков Сорокин Виноградов Ковалев Белов Медведев
Антонов Тарасов Жуков Баранов Филиппов Комаров Давыдов Беляев Герасимов Богданов Осипов Сидоров Матвеев Титов
Марков Миронов Крылов Куликов Карпов Власов Мельников Денисов Гаврилов Тихонов Казаков Афанасьев Данилов Савельев
Тимофеев Фомин Чернов Абрамов Мартынов Ефимов Федотов Щербаков Назаров Калинин Исаев Чернышев Быков Маслов
Родионов Коновалов Лазарев Воронин Климов Филатов Пономарев Голубев Кудрявцев Прохоров Наумов Потапов Журавлев
Овчинников Трофимов Леонов Соболев Ермаков Колесников Гончаров Емельянов Никифоров Грачев Котов Гришин Ефремов
Архипов Громов Кириллов Малышев Панов Моисеев Румянцев Акимов Кондратьев Бирюков Горбунов Анисимов Еремин Тихомиров
Галкин Лукьянов Михеев Скворцов Юдин Белоусов Нестеров Симонов Прокофьев Харитонов Князев Цветков Левин Митрофанов
Воронов Аксенов Софронов Мальцев Логинов Горшков Савин Краснов Майоров Демидов Елисеев Рыбаков Сафонов Плотников
Демин Хохлов Жданов Руднев Сысоев Шубин Муравьев Шестаков Минин Крюков Зуев Третьяков Широков Шашков Рожков
Шилов Лаптев Сазонов Носков Кулагин Жаров Суханов Ершов Бобров Шарапов Блинов Сурков Лыткин Шаров Ширяев Дроздов
Ёлкин Ёжиков Сёмин Пестов Пахомов Зимин Носов Рябов Куприянов Чистяков Дьячков Зубов Овчинов Терентьев Корнилов`
  .split(/\s+/u)
  .filter(Boolean)
const familyNames = stems.flatMap((stem) => [stem, `${stem}а`])
const male = `Александр Алексей Андрей Артём Борис Вадим Валентин Виктор Владимир Владислав Глеб Григорий Даниил Денис
Дмитрий Евгений Егор Иван Игорь Илья Кирилл Константин Лев Максим Матвей Михаил Никита Николай Олег Павел Роман
Сергей Степан Тимофей Фёдор Юрий Ярослав`.split(/\s+/u)
const female = `Александра Алина Алёна Алиса Анастасия Анна Валерия Варвара Вера Виктория Дарья Евгения Екатерина Елена
Елизавета Ксения Любовь Маргарита Марина Мария Милана Надежда Наталья Ольга Полина Светлана Софья Таисия Ульяна
Юлия Яна`.split(/\s+/u)
const patronymicStems = `Александров Алексеев Андреев Борисов Викторов Владимиров Дмитриев Евгеньев Иванов Игорев
Константинов Максимов Михайлов Николаев Олегов Павлов Петров Романов Сергеев Юрьев`.split(/\s+/u)
const classes = Array.from({ length: 11 }, (_, grade) => [`${grade + 1}А`, `${grade + 1}Б`]).flat()

async function seed(db: Kysely<Database>): Promise<void> {
  for (const [region, schools] of Object.entries(schoolsPerRegion)) {
    await sql`insert into school (region, diary_id, name)
      select ${region}, 'bench-' || s, 'Школа № ' || s from generate_series(1, ${schools}) s`.execute(db)
    // Account g of the region: school (g - 1) / 1000, a class of it, a name picked by coprime strides (so
    // that family and given names combine); every 20th account a teacher, every 10th a parent.
    await sql`insert into diary_account (region, login, role, family_name, given_name, patronymic, school_id, class_name)
      select ${region}, 'u' || ${region} || '-' || g,
        case when g % 20 = 0 then 'teacher' when g % 10 = 0 then 'parent' else 'pupil' end,
        (${familyNames}::text[])[1 + (g * 7919 / 2) % ${familyNames.length / 2} * 2 + g % 2],
        case when g % 2 = 0 then (${male}::text[])[1 + (g * 104729) % ${male.length}]
          else (${female}::text[])[1 + (g * 104729) % ${female.length}] end,
        (${patronymicStems}::text[])[1 + (g * 31) % ${patronymicStems.length}] || case when g % 2 = 0 then 'ич' else 'на' end,
        school.id,
        case when g % 20 = 0 then null else (${classes}::text[])[1 + g % ${classes.length}] end
      from generate_series(1::bigint, ${schools * accountsPerSchool}) g
      join school on school.region = ${region} and school.diary_id = 'bench-' || (1 + (g - 1) / ${accountsPerSchool})`.execute(
      db,
    )
  }
  await sql`analyze school`.execute(db)
  await sql`analyze diary_account`.execute(db)
}

interface PlanNode {
  'Node Type': string
  'Index Name'?: string
  'Relation Name'?: string
  Plans?: PlanNode[]
}

/** The plan's top nodes down to the first scan of diary_account, and the indexes it uses. */
function describePlan(plan: PlanNode): string {
  const chain: string[] = []
  const indexes = new Set<string>()
  const walk = (node: PlanNode) => {
    if (node['Index Name'] !== undefined && node['Relation Name'] !== 'school') indexes.add(node['Index Name'])
    for (const child of node.Plans ?? []) walk(child)
  }
  walk(plan)
  let node: PlanNode | undefined = plan
  while (node !== undefined && chain.length < 4) {
    chain.push(
      node['Relation Name'] === undefined ? node['Node Type'] : `${node['Node Type']} on ${node['Relation Name']}`,
    )
    if (node['Relation Name'] === 'diary_account') break
    node =
      node.Plans?.find((child) => child['Relation Name'] !== 'school' || child.Plans !== undefined) ?? node.Plans?.[0]
  }
  return `${chain.join(' → ')}${indexes.size === 0 ? ' (no index)' : ` (${[...indexes].join(', ')})`}`
}

const database = await createBenchDatabase()
const db = await openDatabase({ databaseUrl: database.url, statementTimeoutMs: 600_000 })
// A second connection that logs the statements searchAccounts sends, to EXPLAIN them.
const explainPool = new pg.Pool({ connectionString: database.url, max: 1 })
let captured: CompiledQuery | undefined
const logged = new Kysely<Database>({
  dialect: new PostgresDialect({ pool: explainPool }),
  log: (event) => {
    if (event.level === 'query') captured = event.query
  },
})
const lines: string[] = []
const say = (line = '') => {
  lines.push(line)
  process.stdout.write(`${line}\n`)
}
try {
  await migrateToLatest(db)
  const started = performance.now()
  await seed(db)
  const counts = (
    await sql<{ region: string; accounts: string; ivanov: string }>`
      select region, count(*) as accounts, count(*) filter (where family_name in ('Иванов', 'Иванова')) as ivanov
      from diary_account group by region order by region`.execute(db)
  ).rows
  say(
    `Seeded ${counts.map((row) => `${Number(row.accounts).toLocaleString('en')} accounts of region ${row.region} (${row.ivanov} Иванов/Иванова)`).join(', ')} in ${((performance.now() - started) / 1000).toFixed(1)} s.`,
  )
  const school = (
    await sql<{ id: string }>`select id from school where region = '29' and diary_id = 'bench-42'`.execute(db)
  ).rows[0]?.id as string
  const schoolLogin = 'u29-41500' // account 41,500: of school 42
  const scopes: [string, OperatorScope][] = [
    [
      'school admin (1 school)',
      { accountId: '', schools: [{ id: school, region: '29' }], regions: [], supportRegions: [] },
    ],
    ['region operator (region 29)', { accountId: '', schools: [], regions: ['29'], supportRegions: [] }],
  ]
  const searches: [string, AccountSearch][] = [
    ['family-name prefix «Ив»', { text: 'Ив' }],
    ['full name «Иванова Мария»', { text: 'Иванова Мария' }],
    [`login «${schoolLogin}»`, { text: schoolLogin }],
    ['class 5А of the school', { schoolId: school, className: '5А' }],
  ]
  say()
  say('| scope | search | found | median ms | p95 ms | ≤ 50 ms | plan (top nodes, indexes) |')
  say('| --- | --- | ---: | ---: | ---: | :---: | --- |')
  let missed = 0
  for (const [scopeName, scope] of scopes) {
    for (const [searchName, search] of searches) {
      const scopeSql = accountInScopeSql(scope, 'diary_account')
      const found = (await searchAccounts(db, scopeSql, search, limit)).length
      const times: number[] = []
      for (let run = 0; run < runs; run++) {
        const runStarted = performance.now()
        await searchAccounts(db, scopeSql, search, limit)
        times.push(performance.now() - runStarted)
      }
      times.sort((a, b) => a - b)
      const median = times[Math.floor(runs / 2)] as number
      const p95 = times[Math.ceil(runs * 0.95) - 1] as number
      await searchAccounts(logged, scopeSql, search, limit)
      const query = captured as CompiledQuery
      const { rows } = await explainPool.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        `explain (analyze, buffers, format json) ${query.sql}`,
        query.parameters as unknown[],
      )
      const plan = describePlan((rows[0] as { 'QUERY PLAN': [{ Plan: PlanNode }] })['QUERY PLAN'][0].Plan)
      if (p95 > targetMs) missed++
      say(
        `| ${scopeName} | ${searchName} | ${found} | ${median.toFixed(1)} | ${p95.toFixed(1)} | ${p95 <= targetMs ? '✔' : '✘'} | ${plan} |`,
      )
    }
  }
  say()
  say(missed === 0 ? `Every case within ${targetMs} ms at p95.` : `${missed} case(s) over ${targetMs} ms at p95.`)
} finally {
  await logged.destroy()
  await db.destroy()
  await database.drop()
}
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, PostgreSQL on the same machine`
writeFileSync(
  'bench/console-results.md',
  `# Console account search\n\nMachine: ${machine}. Run: ${new Date().toISOString()}. \`npm run bench:console\` (bench/console-search.ts): searchAccounts, limit ${limit}, ${runs} runs each (after one unmeasured), target ≤ ${targetMs} ms (issue 27).\n\n${lines.join('\n')}\n`,
)
