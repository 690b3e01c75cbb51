import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config/load.js'
import { connectors } from '../../src/upstream/connectors.js'
import type { RunningEsiaSimulator } from '../../demo/esia-simulator.js'
import type { Logger } from 'pino'
import { reloadConfig } from '../../src/service.js'
import { Browser } from '../helpers/browser.js'
import { esiaKeys, esiaRegionFile } from '../helpers/esia-world.js'
import { publicUrl, regionWithProvider } from '../helpers/demo-world.js'
import { buildTestApp } from '../helpers/test-app.js'
import { passwordOnlyRegion, validClient, validEnv, writeConfigDir } from '../helpers/test-config.js'
import { openTestDatabase } from '../helpers/test-database.js'

const inFiveDays = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10)
const dir = writeConfigDir(t, {
  'bridge.json': { publicUrl },
  'regions/29.json': {
    ...regionWithProvider('http://127.0.0.1:9'),
    passwordLogin: { enabled: true, until: inFiveDays },
    noticeDays: 14,
  },
  'regions/78.json': passwordOnlyRegion,
  'clients/web-diary.json': validClient,
})
const env = { ...validEnv, BRIDGE_CONFIG_DIR: dir, DATA_DIR: join(dir, 'data') }
const { config } = loadConfig({ connectors, env })
const { db } = await openTestDatabase(t)
const { app } = await buildTestApp(t, config, db)

t.test('a scheduled switch is announced on the region page, in both languages', async (t) => {
  const ru = await new Browser(app, publicUrl).go('GET', '/login?region=29')
  const date = inFiveDays.split('-').reverse().join('.')
  t.match(
    ru.body,
    new RegExp(
      `<p class="notice" role="status"><strong>С ${date.replaceAll('.', '\\.')}</strong> вход в дневник будет только через Госуслуги`,
    ),
  )
  const en = await new Browser(app, publicUrl).go('GET', '/login?region=29&lang=en')
  t.match(en.body, new RegExp(`From ${inFiveDays}</strong> the diary can be entered only through State Services`))
  const other = await new Browser(app, publicUrl).go('GET', '/login?region=78')
  t.notMatch(other.body, /role="status"/, 'no banner where nothing changes')
})

t.test('regions can be searched by name in either language or by code', async (t) => {
  const browser = new Browser(app, publicUrl)
  for (const [query, expected] of [
    ['арх', '29'],
    ['petersburg', '78'],
    ['78', '78'],
  ] as const) {
    const page = await browser.go('GET', `/login?choose=1&q=${encodeURIComponent(query)}`)
    const codes = [...page.body.matchAll(/href="\/login\?region=(\w+)"/g)].map((m) => m[1])
    t.same(codes, [expected], query)
  }
  const none = await browser.go('GET', '/login?choose=1&q=атлантида')
  t.match(none.body, /Такой регион не найден/)
})

t.test('the chosen region is remembered; "change region" still offers the list', async (t) => {
  const browser = new Browser(app, publicUrl)
  await browser.go('GET', '/login?region=78')
  const back = await browser.go('GET', '/login')
  t.equal(back.url.search, '?region=78')
  const list = await browser.go('GET', '/login?choose=1')
  t.match(list.body, /Выберите регион/)
})

t.test('a reload adds a region and changes a policy; an invalid one is refused and the old stays', async (t) => {
  writeFileSync(
    join(dir, 'regions', '35.json'),
    JSON.stringify({ name: { ru: 'Вологодская область', en: 'Vologda Oblast' } }),
  )
  writeFileSync(
    join(dir, 'regions', '78.json'),
    JSON.stringify({
      ...passwordOnlyRegion,
      passwordLogin: { enabled: false },
      stateServices: regionWithProvider('http://127.0.0.1:9').stateServices,
    }),
  )
  const changes = app.reloadConfig(loadConfig({ connectors, env }).config)
  t.same(changes, { regions: ['78', '35'], clients: [], restartNeeded: [] })
  const list = await new Browser(app, publicUrl).go('GET', '/login?choose=1')
  t.match(list.body, /Вологодская область/)
  const required = await new Browser(app, publicUrl).go('GET', '/login?region=78')
  t.match(required.body, /Войти через Госуслуги/)
  t.notMatch(required.body, /Логин или СНИЛС/, 'state services required: no password form')

  writeFileSync(join(dir, 'regions', '35.json'), '{ "name": ')
  t.throws(
    () => loadConfig({ connectors, env }),
    { problems: [{ file: join(dir, 'regions', '35.json') }] } as unknown as Error,
    'the broken file is named',
  )
  t.match(
    (await new Browser(app, publicUrl).go('GET', '/login?choose=1')).body,
    /Вологодская область/,
    'still served from the old configuration',
  )
})

t.test(
  "a reload with an ESIA key that is not its certificate's is refused, naming the region file; the old configuration stays",
  async (t) => {
    const keys = esiaKeys(t.testdir())
    writeFileSync(
      join(dir, 'regions', '35.json'),
      JSON.stringify({ name: { ru: 'Вологодская область', en: 'Vologda Oblast' } }),
    )
    const broken = esiaRegionFile(
      {
        url: 'https://esia-portal1.test.gosuslugi.ru/',
        issuer: 'http://esia-portal1.test.gosuslugi.ru/',
      } as RunningEsiaSimulator,
      keys,
      {
        signer: { type: 'openssl-gost', privateKeyFile: join(keys.dir, 'stranger.key.pem') },
      },
    )
    writeFileSync(
      join(dir, 'regions', '36.json'),
      JSON.stringify({ ...broken, name: { ru: 'Регион 36', en: 'Region 36' } }),
    )
    const logs: string[] = []
    const logger = {
      error: (...args: unknown[]) => logs.push(JSON.stringify(args)),
      info: () => {},
      warn: () => {},
    } as unknown as Logger
    t.equal(reloadConfig(app, env, logger), false)
    t.match(
      logs.join('\n'),
      /regions\/36.json: \/stateServices\/provider: the ESIA private key does not belong to the system certificate/,
    )
    t.notMatch(
      (await new Browser(app, publicUrl).go('GET', '/login?choose=1')).body,
      /Регион 36/,
      'the old configuration stays',
    )
    writeFileSync(
      join(dir, 'regions', '36.json'),
      JSON.stringify({
        ...esiaRegionFile(
          {
            url: 'https://esia-portal1.test.gosuslugi.ru/',
            issuer: 'http://esia-portal1.test.gosuslugi.ru/',
          } as RunningEsiaSimulator,
          keys,
        ),
        name: { ru: 'Регион 36', en: 'Region 36' },
      }),
    )
    t.equal(reloadConfig(app, env, logger), true, 'with the right key the reload goes through')
    t.match((await new Browser(app, publicUrl).go('GET', '/login?choose=1')).body, /Регион 36/)
  },
)
