/*
 * The help page: the shipped answers in both languages, a region's own answers (escaped, reloaded with
 * the region file), the school's contact card only for a school of that region, and the links to it
 * from the login, error and temporary-password pages — with the school only where the person is
 * identified already (pages/help.ts).
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { findAccountByLogin } from '../../src/accounts/account.repository.js'
import { importAccounts } from '../../src/accounts/import/import-accounts.js'
import { createPasswordHasher } from '../../src/accounts/password-hash.js'
import { setSchoolContact } from '../../src/accounts/school.repository.js'
import { loadConfig } from '../../src/config/load.js'
import { deactivateAccount } from '../../src/lifecycle/account-state.js'
import { connectors } from '../../src/upstream/connectors.js'
import { Browser, csrfToken, type Page } from '../helpers/browser.js'
import { publicUrl } from '../helpers/demo-world.js'
import { schoolId } from '../helpers/schools.js'
import { buildTestApp } from '../helpers/test-app.js'
import { passwordOnlyRegion, validClient, validEnv, writeConfigDir } from '../helpers/test-config.js'
import { openTestDatabase } from '../helpers/test-database.js'

const files = (help: unknown) => ({
  'bridge.json': { publicUrl },
  'regions/29.json': { ...passwordOnlyRegion, name: { ru: 'Архангельская область', en: 'Arkhangelsk Oblast' }, help },
  'regions/78.json': passwordOnlyRegion,
  'clients/web-diary.json': validClient,
})
const configOf = (help: unknown) => {
  const dir = writeConfigDir(t, files(help))
  return loadConfig({ connectors, env: { ...validEnv, BRIDGE_CONFIG_DIR: dir, DATA_DIR: join(dir, 'data') } }).config
}
const config = configOf({
  ru: {
    getLogin: {
      title: 'Логин выдаёт классный руководитель',
      answer: ['Первый абзац региона.', 'Второй абзац <script>alert(1)</script> & «кавычки»'],
    },
    accessClosed: { answer: ['Закрыт — звоните в управление образования.'] },
  },
})
const { db } = await openTestDatabase(t)
const hasher = createPasswordHasher({ workers: 1, maxQueue: 8 })
t.teardown(() => hasher.close())
const { app } = await buildTestApp(t, config, db, { hasher })

const csv = join(t.testdir(), 'accounts.csv')
writeFileSync(
  csv,
  'login,password,role,family_name,given_name,birth_date,school\n' +
    'novikov.i,Temp-1234,pupil,Новиков,Иван,2013-02-01,Школа № 1\n' +
    'closed.k,Temp-5678,pupil,Козлов,Кирилл,2012-03-04,Школа № 1\n',
)
await importAccounts(db, {
  file: csv,
  format: 'csv',
  region: '29',
  snilsPepper: config.secrets.snilsPepper.reveal(),
  hasher,
})
const school29 = await schoolId(db, '29', 'Школа № 1')
await setSchoolContact(
  db,
  '29',
  school29,
  { name: 'Петрова Анна Сергеевна', room: 'каб. 12', phone: '+7 818 200-00-00', hours: 'пн–пт 9:00–16:00' },
  new Date(),
)
const school78 = await schoolId(db, '78', 'Лицей на Неве')
await setSchoolContact(db, '78', school78, { name: 'Сидоров Пётр', room: '7', phone: null, hours: null }, new Date())

const get = (path: string, headers: Record<string, string> = {}) => new Browser(app, publicUrl, headers).go('GET', path)
const card = (page: Page) => /<div class="card" id="school-card">[\s\S]*?<\/div>/.exec(page.body)?.[0]

t.test('without a region: the regions, each leading to its help page', async (t) => {
  const page = await get('/help')
  t.equal(page.status, 200)
  t.match(page.body, 'href="/help?region=29"')
  t.match(page.body, 'href="/help?region=78"')
})

t.test('the shipped answers in Russian and English, every question', async (t) => {
  const ru = await get('/help?region=78')
  t.equal(ru.status, 200)
  for (const title of [
    'Как получить логин и пароль?',
    'Первый вход: временный пароль',
    'Забыли пароль',
    'Вход через Госуслуги: дневник не находится или не привязывается',
    'Дневник родителя и дневник ребёнка',
    'Что значит «Доступ к дневнику закрыт школой»',
  ])
    t.match(ru.body, `>${title}</h2>`, title)
  t.match(ru.body, '<html lang="ru">')
  const en = await get('/help?region=78&lang=en')
  t.match(en.body, '<html lang="en">')
  t.match(en.body, '>How do I get a login and password?</h2>')
  t.match(en.body, '>What “The school has closed access to this diary” means</h2>')
  t.match(en.body, 'href="/help?region=78&amp;lang=ru"', 'the language switch stays on the page')
})

t.test("a region's own answers replace the shipped ones, question by question, escaped", async (t) => {
  const ru = await get('/help?region=29')
  t.match(ru.body, '>Логин выдаёт классный руководитель</h2>\n<p>Первый абзац региона.</p><p>Второй абзац')
  t.notMatch(ru.body, 'Как получить логин и пароль?', 'the overridden title is gone')
  t.match(ru.body, '&lt;script&gt;alert(1)&lt;/script&gt; &amp; «кавычки»', 'the text is shown as text')
  t.notMatch(ru.body, '<script', 'no markup from the configuration')
  t.match(
    ru.body,
    '>Что значит «Доступ к дневнику закрыт школой»</h2>\n<p>Закрыт — звоните в управление образования.</p>',
    'an answer without a title keeps the shipped title',
  )
  t.match(ru.body, '>Забыли пароль</h2>', 'a question the region does not answer keeps the shipped text')
  const en = await get('/help?region=29&lang=en')
  t.match(en.body, '>How do I get a login and password?</h2>', 'no English override: the shipped English')
})

t.test('the school: a chooser of the region’s schools, and the card of a school of that region', async (t) => {
  const chooser = await get('/help?region=29')
  t.match(chooser.body, `<option value="${school29}">Школа № 1</option>`)
  t.notMatch(chooser.body, 'Лицей на Неве', "another region's schools are not listed")
  t.equal(card(chooser), undefined, 'no school chosen: no card')

  const chosen = await get(`/help?region=29&school=${school29}`)
  t.equal(chosen.status, 200)
  const shown = card(chosen) ?? ''
  for (const part of ['Школа № 1', 'Петрова Анна Сергеевна', 'каб. 12', '+7 818 200-00-00', 'пн–пт 9:00–16:00'])
    t.match(shown, part, part)
  t.match(chosen.body, `<option value="${school29}" selected>`)
})

t.test("another region's school id, or no school id at all, shows no card and no name", async (t) => {
  for (const school of [school78, 'not-a-uuid', '00000000-0000-4000-8000-000000000000']) {
    const page = await get(`/help?region=29&school=${school}`)
    t.equal(page.status, 200, school)
    t.equal(card(page), undefined, `${school}: no card`)
    t.notMatch(page.body, 'Лицей на Неве', `${school}: not the name`)
    t.notMatch(page.body, 'Сидоров', `${school}: not the contact`)
  }
  const own = await get(`/help?region=78&school=${school78}`)
  t.match(card(own) ?? '', 'Сидоров Пётр', 'in its own region the card shows')
})

t.test('an unknown region is the 404 of /login?region=…', async (t) => {
  const page = await get('/help?region=99')
  t.equal(page.status, 404)
  t.match(page.body, '<code>region_unknown</code>')
  t.match(page.body, 'href="/help"')
})

t.test('the login page, a wrong password and an error page link to the region’s help, without a school', async (t) => {
  const browser = new Browser(app, publicUrl)
  const login = await browser.go('GET', '/login?region=29')
  t.match(login.body, 'href="/help?region=29"')
  const wrong = await browser.go('POST', '/login/password', {
    _csrf: csrfToken(login),
    login: 'novikov.i',
    password: 'not-the-password',
  })
  t.equal(wrong.status, 401)
  t.match(wrong.body, 'href="/help?region=29"')
  t.notMatch(wrong.body, 'school=', 'a wrong password says nothing about the account')
  const missing = await browser.go('GET', '/no-such-page')
  t.equal(missing.status, 404)
  t.match(missing.body, 'href="/help?region=29">')
})

t.test("a pupil who came by her school's link and failed to sign in finds the school's card", async (t) => {
  const browser = new Browser(app, publicUrl)
  const login = await browser.go('GET', `/login?region=29&school=${school29}`)
  t.match(login.body, `href="/help?region=29&amp;school=${school29}"`, "the login page names the link's school")
  const wrong = await browser.go('POST', '/login/password', {
    _csrf: csrfToken(login),
    login: 'novikov.i',
    password: 'not-the-password',
  })
  t.equal(wrong.status, 401)
  const link = /href="(\/help\?region=29&amp;school=[^"]+)"/.exec(wrong.body)?.[1]
  t.ok(link, 'after a wrong password the help link still names the school of the link')
  const help = await browser.go('GET', String(link).replaceAll('&amp;', '&'))
  t.match(help.body, 'Петрова', "the school's contact card")
  const other = await browser.go('GET', '/login?region=78')
  t.notMatch(other.body, 'school=', 'another region forgets the school')
  const stranger = await browser.go('GET', `/login?region=29&school=not-a-uuid`)
  t.equal(stranger.status, 400, 'a malformed school id is refused at the edge')
})

t.test('"access closed" links to the region’s help, never to the school (any password gets it)', async (t) => {
  const closed = (await findAccountByLogin(db, '29', 'closed.k'))!
  await deactivateAccount(db, {
    region: '29',
    accountId: closed.id,
    by: { kind: 'scim', clientId: 'web-diary' },
    now: new Date(),
  })
  const browser = new Browser(app, publicUrl)
  const login = await browser.go('GET', '/login?region=29')
  const page = await browser.go('POST', '/login/password', {
    _csrf: csrfToken(login),
    login: 'closed.k',
    password: 'any-password-at-all',
  })
  t.equal(page.status, 403)
  t.match(page.body, 'Доступ к дневнику закрыт школой')
  t.match(page.body, 'href="/help?region=29"')
  t.notMatch(page.body, school29)
})

t.test(
  'the temporary password’s change and the account page, shown to the identified owner, name the school',
  async (t) => {
    const browser = new Browser(app, publicUrl)
    const login = await browser.go('GET', '/login?region=29')
    const change = await browser.go('POST', '/login/password', {
      _csrf: csrfToken(login),
      login: 'novikov.i',
      password: 'Temp-1234',
    })
    t.equal(change.url.pathname, '/password/change')
    t.match(change.body, `href="/help?region=29&amp;school=${school29}"`)
    const account = await browser.go('POST', '/password/change', {
      _csrf: csrfToken(change),
      password: 'Own-password-2026',
      repeat: 'Own-password-2026',
    })
    t.equal(account.url.pathname, '/account', 'signed in')
    t.match(account.body, `href="/help?region=29&amp;school=${school29}"`, 'the account page names the school too')
  },
)

t.test('a reloaded region file changes the answers at once', async (t) => {
  app.reloadConfig(configOf({ ru: { forgotPassword: { answer: ['Новый ответ после перезагрузки.'] } } }))
  const page = await get('/help?region=29')
  t.match(page.body, '>Забыли пароль</h2>\n<p>Новый ответ после перезагрузки.</p>')
  t.match(page.body, '>Как получить логин и пароль?</h2>', 'the earlier override is gone with its file')
})

t.test('a help override that is not plain text paragraphs is refused by the loader', async (t) => {
  t.throws(() => configOf({ ru: { getLogin: { answer: '<b>one string</b>' } } }), /help\/ru\/getLogin\/answer/)
  t.throws(() => configOf({ ru: { unknownQuestion: { answer: ['x'] } } }), /help\/ru/)
})
