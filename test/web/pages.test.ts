import t from 'tap'
import { Browser, csrfToken } from '../helpers/browser.js'
import { demoPassword, publicUrl, startDemoWorld } from '../helpers/demo-world.js'

const { app, database } = await startDemoWorld(t)

t.test('region selection lists every region, in the language asked for', async (t) => {
  const ru = await new Browser(app, publicUrl).go('GET', '/login')
  t.equal(ru.status, 200)
  t.match(ru.body, /<html lang="ru">/)
  t.match(ru.body, /Выберите регион/)
  t.match(ru.body, /href="\/login\?region=29">Архангельская область/)
  t.match(ru.body, /href="\/login\?region=78">Санкт-Петербург/)
  t.equal(ru.headers['cache-control'], 'no-store')

  const en = await new Browser(app, publicUrl, { 'accept-language': 'en-GB,en;q=0.9,ru;q=0.5' }).go('GET', '/login')
  t.match(en.body, /<html lang="en">/)
  t.match(en.body, /Select your region/)
  t.match(en.body, /Arkhangelsk Oblast/)

  const browser = new Browser(app, publicUrl)
  const switched = await browser.go('GET', '/login?region=29&lang=en')
  t.match(switched.body, /Log in through State Services/)
  t.match(switched.body, /href="\/login\?region=29&amp;lang=ru"/, 'the switch leads back to Russian')
  t.match((await browser.go('GET', '/login?region=29')).body, /Login or SNILS/, 'the choice is remembered')
})

t.test('an unknown region is a page with a code and a way back', async (t) => {
  const page = await new Browser(app, publicUrl).go('GET', '/login?region=99')
  t.equal(page.status, 404)
  t.match(page.body, /<code>region_unknown<\/code>/)
  t.match(page.body, /href="\/login"/)
})

t.test('diary password sign-in: one generic error, then the account page', async (t) => {
  const browser = new Browser(app, publicUrl)
  const form = await browser.go('GET', '/login?region=29')
  const unknown = await browser.go('POST', '/login/password', {
    _csrf: csrfToken(form),
    login: 'nobody',
    password: 'whatever-1',
  })
  const wrong = await browser.go('POST', '/login/password', {
    _csrf: csrfToken(unknown),
    login: 'ivanova.m',
    password: 'whatever-1',
  })
  t.equal(unknown.status, 401)
  t.equal(wrong.status, 401)
  const message = (body: string) => /<p class="error" role="alert">([^<]+)</.exec(body)?.[1]
  t.equal(message(unknown.body), message(wrong.body), 'the same message for an unknown login and a wrong password')
  t.match(wrong.body, /value="ivanova.m"/, 'the login is kept in the form')
  const done = await browser.go('POST', '/login/password', {
    _csrf: csrfToken(wrong),
    login: 'IVANOVA.M ',
    password: demoPassword,
  })
  t.equal(done.url.pathname, '/account')
  t.match(done.body, /Иванова Мария Петровна/)
  t.match(done.body, /логин и пароль дневника/)
})

t.test('forms without a valid CSRF token are refused', async (t) => {
  const browser = new Browser(app, publicUrl)
  await browser.go('GET', '/login?region=29')
  const page = await browser.go('POST', '/login/password', { login: 'ivanova.m', password: demoPassword })
  t.equal(page.status, 403)
  t.match(page.body, /<code>form_expired<\/code>/)
  const forged = await browser.go('POST', '/login/password', {
    _csrf: 'forged',
    login: 'ivanova.m',
    password: demoPassword,
  })
  t.equal(forged.status, 403)
  t.notOk(browser.jars.get(publicUrl)?.has('__Host-bridge-session'))
})

t.test('cookies are __Host-, Secure, HttpOnly, SameSite=Lax', async (t) => {
  const response = await app.inject({ url: '/login?region=29' })
  const cookies = [response.headers['set-cookie'] ?? []].flat()
  t.ok(cookies.length >= 2)
  for (const cookie of cookies.filter((c) => c.startsWith('__Host-'))) {
    t.match(cookie, /; Path=\/(;|$)/)
    t.match(cookie, /; HttpOnly/)
    t.match(cookie, /; Secure/)
    t.match(cookie, /; SameSite=Lax/)
    t.notMatch(cookie, /Domain=/)
  }
})

t.test('signing out ends the session: a copy of the old cookie no longer works', async (t) => {
  const browser = new Browser(app, publicUrl)
  const form = await browser.go('GET', '/login?region=29')
  await browser.go('POST', '/login/password', { _csrf: csrfToken(form), login: 'smirnov.a', password: demoPassword })
  const copy = new Browser(app, publicUrl)
  copy.jars.set(publicUrl, new Map(browser.jars.get(publicUrl)))
  t.equal((await copy.go('GET', '/account')).url.pathname, '/account', 'the copy works while the session lives')
  const out = await browser.go('POST', '/logout/confirm', { _csrf: csrfToken(await browser.go('GET', '/account')) })
  t.equal(out.url.pathname, '/login')
  t.equal((await copy.go('GET', '/account')).url.pathname, '/login', 'the copy is useless after sign-out')
  const ended = await database.db
    .selectFrom('login_session')
    .select('ended_at')
    .where('ended_at', 'is not', null)
    .execute()
  t.ok(ended.length >= 1)
})

t.test('JSON clients get JSON errors', async (t) => {
  const response = await app.inject({ url: '/nowhere', headers: { accept: 'application/json' } })
  t.equal(response.statusCode, 404)
  t.equal(response.json().error, 'not_found')
  const page = await app.inject({ url: '/nowhere', headers: { accept: 'text/html' } })
  t.match(page.body, /<code>not_found<\/code>/)
})

t.test('responses that carry state are never cached', async (t) => {
  const login = await app.inject({ url: '/login?region=29' })
  t.equal(login.headers['cache-control'], 'no-store')
  const redirect = await app.inject({
    url: '/login/state-services',
    headers: {
      cookie: [login.headers['set-cookie']]
        .flat()
        .map((c) => String(c).split(';')[0])
        .join('; '),
    },
  })
  t.equal(redirect.statusCode, 302)
  t.equal(redirect.headers['cache-control'], 'no-store')
  t.equal(
    (await app.inject('/assets/bridge.css')).headers['cache-control'],
    'public, max-age=3600',
    'the stylesheet may be cached',
  )
})
