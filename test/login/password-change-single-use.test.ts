/*
 * The forced password change is one step of the login like the others: a copied login cookie cannot
 * take it once the browser it was copied from has used it (each attempt consumes the step's id in the
 * database; a refused attempt hands a new id to that browser only).
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { importAccounts } from '../../src/accounts/import/import-accounts.js'
import { createPasswordHasher } from '../../src/accounts/password-hash.js'
import { Browser, csrfToken, type Page } from '../helpers/browser.js'
import { publicUrl } from '../helpers/demo-world.js'
import { startOAuthWorld } from '../helpers/oauth-world.js'
import { buildTestApp } from '../helpers/test-app.js'

const world = await startOAuthWorld(t)
const { app, db, config } = world
const second = await buildTestApp(t, config, db, { now: world.now })
const hasher = createPasswordHasher({ workers: 1, maxQueue: 4 })
t.teardown(() => hasher.close())
const csv = join(t.testdir(), 'temporary.csv')
writeFileSync(
  csv,
  'login,password,role,family_name,given_name,birth_date\nnovikov.i,Temp-1234,pupil,Новиков,Иван,2013-02-01\nvolkova.a,Temp-5678,parent,Волкова,Анна,1985-06-30\n',
)
await importAccounts(db, {
  file: csv,
  format: 'csv',
  region: '29',
  snilsPepper: config.secrets.snilsPepper.reveal(),
  hasher,
})

async function atPasswordChange(login: string, password: string): Promise<{ browser: Browser; page: Page }> {
  const browser = new Browser(app, publicUrl)
  const form = await browser.go('GET', '/login?region=29')
  const page = await browser.go('POST', '/login/password', { _csrf: csrfToken(form), login, password })
  if (page.url.pathname !== '/password/change') throw new Error(`not at the password change: ${page.url.href}`)
  return { browser, page }
}

/** A second browser holding a copy of every cookie of `browser`, sending to `target`. */
function copyOf(browser: Browser, target = app): Browser {
  const copy = new Browser(target, publicUrl)
  for (const [origin, jar] of browser.jars) copy.jars.set(origin, new Map(jar))
  return copy
}

const mustChange = async (login: string) =>
  (
    await db
      .selectFrom('diary_account')
      .select('must_change_password')
      .where('login', '=', login)
      .executeTakeFirstOrThrow()
  ).must_change_password

t.test('a copied cookie cannot take the step once the original browser has tried it', async (t) => {
  const { browser, page } = await atPasswordChange('novikov.i', 'Temp-1234')
  const thief = copyOf(browser)
  const refused = await browser.go('POST', '/password/change', {
    _csrf: csrfToken(page),
    password: 'short',
    repeat: 'short',
  })
  t.equal(refused.status, 400, 'a password the rules refuse: the form again')
  const replay = await thief.go('POST', '/password/change', {
    _csrf: csrfToken(page),
    password: 'Чужой-пароль-1',
    repeat: 'Чужой-пароль-1',
  })
  t.equal(replay.status, 400)
  t.match(replay.body, /login_expired/, 'the copy is refused')
  t.equal(await mustChange('novikov.i'), true, 'the copy changed nothing')
  const done = await browser.go('POST', '/password/change', {
    _csrf: csrfToken(refused),
    password: 'Северное-сияние',
    repeat: 'Северное-сияние',
  })
  t.equal(done.url.pathname, '/account', 'the original browser goes on')
  t.equal(await mustChange('novikov.i'), false)
})

t.test('on another instance too, and the copy is refused before its password is looked at', async (t) => {
  const { browser, page } = await atPasswordChange('volkova.a', 'Temp-5678')
  const thief = copyOf(browser, second.app)
  const done = await browser.go('POST', '/password/change', {
    _csrf: csrfToken(page),
    password: 'Северное-сияние',
    repeat: 'Северное-сияние',
  })
  t.equal(done.url.pathname, '/account')
  const replay = await thief.go('POST', '/password/change', {
    _csrf: csrfToken(page),
    password: 'short',
    repeat: 'short',
  })
  t.equal(replay.status, 400)
  t.match(replay.body, /login_expired/, 'expired, not a hint about the password rules')
})
