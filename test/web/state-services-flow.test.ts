import { sql } from 'kysely'
import t from 'tap'
import { simulatorPersons } from '../../demo/state-services-simulator.js'
import { Browser, csrfToken, type Page } from '../helpers/browser.js'
import { demoPassword, publicUrl, startDemoWorld } from '../helpers/demo-world.js'

const world = await startDemoWorld(t)
const { app, database } = world
const db = database.db

/**
 * Opens region 29, clicks the button and picks `person` at the simulator, which asks at every login
 * (also when it remembers this browser from an earlier one).
 */
async function loginAs(browser: Browser, person: string): Promise<Page> {
  const login = await browser.go('GET', '/login?region=29')
  t.match(login.body, /Войти через Госуслуги/)
  const simulatorPage = await browser.go('GET', '/login/state-services')
  const action = /action="(\/interaction\/[^"]+\/login)"/.exec(simulatorPage.body)?.[1]
  if (action === undefined)
    throw new Error(`no person page at the simulator: ${simulatorPage.url.href} answered ${simulatorPage.status}`)
  return browser.go('POST', new URL(action, simulatorPage.url), { person })
}

async function linkOf(login: string) {
  return db
    .selectFrom('identity_link')
    .innerJoin('diary_account', 'diary_account.id', 'identity_link.account_id')
    .select(['identity_link.subject', 'identity_link.method', 'identity_link.evidence'])
    .where('diary_account.login', '=', login)
    .execute()
}

const automatic: [person: string, login: string, name: string][] = [
  ['maria', 'ivanova.m', 'Иванова Мария Петровна'],
  ['petr', 'ivanov.p', 'Иванов Пётр Сергеевич'],
  ['alexey', 'smirnov.a', 'Смирнов Алексей'],
]
for (const [person, login, name] of automatic) {
  t.test(`${person}: linked automatically by SNILS and full name, lands on the account page`, async (t) => {
    const browser = new Browser(app, publicUrl)
    const page = await loginAs(browser, person)
    t.equal(page.status, 200)
    t.equal(page.url.pathname, '/account')
    t.match(page.body, name)
    t.match(page.body, /привязаны автоматически по СНИЛС/)
    t.match(await linkOf(login), [
      { subject: person, method: 'auto_snils', evidence: { snils: 'match', name: 'exact', verified: true } },
    ])
  })
}

const binding: [person: string, login: string, reason: RegExp, masked: string][] = [
  ['elena', 'kuznetsova.e', /не подтверждена.*центре обслуживания/, 'Елена В. К.'],
  ['olga', 'novikova.o', /не передали ваш СНИЛС/, 'Ольга А. Н.'],
]
for (const [person, login, reason, masked] of binding) {
  t.test(`${person}: asked for the diary password, binds, lands on the account page`, async (t) => {
    const browser = new Browser(app, publicUrl)
    const page = await loginAs(browser, person)
    t.equal(page.url.pathname, '/link')
    t.match(page.body, reason)
    t.notMatch(page.body, /Кузнецова|Новикова/, 'the full name is not shown, only a masked one')
    t.ok(
      page.body.includes(`как <strong>${masked}</strong></p>`),
      'the masked name ends the sentence with one full stop',
    )
    const wrong = await browser.go('POST', '/link', { _csrf: csrfToken(page), login, password: 'wrong-password' })
    t.equal(wrong.status, 401)
    t.match(wrong.body, /Неверный логин или пароль/)
    t.same(await linkOf(login), [], 'no link after a wrong password')
    const done = await browser.go('POST', '/link', {
      _csrf: csrfToken(wrong),
      login: ` ${login.toUpperCase()} `,
      password: demoPassword,
    })
    t.equal(done.url.pathname, '/account')
    t.match(done.body, /привязаны паролем от дневника/)
    t.match(await linkOf(login), [{ subject: person, method: 'password', evidence: { password: 'verified' } }])
  })
}

t.test(
  'binding rules: another person is refused with the reason, and may bind their own diary right away',
  async (t) => {
    const browser = new Browser(app, publicUrl)
    const page = await loginAs(browser, 'sergey')
    t.match(page.body, /не найден по СНИЛС/)
    const refused = await browser.go('POST', '/link', {
      _csrf: csrfToken(page),
      login: 'smirnov.a',
      password: demoPassword,
    })
    t.equal(refused.status, 409)
    t.match(refused.body, /<code>binding_other_person<\/code>/)
    t.match(refused.body, /принадлежит другому человеку/)
    t.notMatch(refused.body, /Смирнов|Алексей/, 'nothing of the account is shown')
    t.same(
      (await linkOf('smirnov.a')).map((link) => link.subject),
      ['alexey'],
      'the owner’s link stays',
    )
    const wrong = await browser.go('POST', '/link', {
      _csrf: csrfToken(refused),
      login: 'smirnov.a',
      password: 'wrong-password',
    })
    t.equal(wrong.status, 401, 'the binding page stays usable after a refusal')
  },
)

t.test(
  'a mother without SNILS binding her child’s diary (another name) with the right password gets the parents’ message',
  async (t) => {
    const browser = new Browser(app, publicUrl)
    const page = await loginAs(browser, 'anna')
    t.equal(page.url.pathname, '/link')
    const refused = await browser.go('POST', '/link', {
      _csrf: csrfToken(page),
      login: 'ivanova.m',
      password: demoPassword,
    })
    t.equal(refused.status, 409)
    t.match(refused.body, /Родители входят со своим родительским логином/)
    t.match(refused.body, /name="login"/, 'the form stays, for the parent’s own login')
    const events = await db
      .selectFrom('audit_event')
      .select(['outcome', 'details'])
      .where('type', '=', 'link_binding')
      .where('outcome', '=', 'refused')
      .execute()
    t.ok(
      events.some((event) => (event.details as { reason?: string }).reason === 'other_person'),
      'the refusal is an audit event with its reason',
    )
    t.notOk((await linkOf('ivanova.m')).some((link) => link.subject === 'anna'))
  },
)

t.test('one typo in the diary’s patronymic and the same birth date: bound', async (t) => {
  const browser = new Browser(app, publicUrl)
  const page = await loginAs(browser, 'tatiana')
  t.equal(page.url.pathname, '/link')
  t.match(page.body, /ФИО в нём отличается/, 'automatic linking stays exact: the typo asks for the password')
  const done = await browser.go('POST', '/link', {
    _csrf: csrfToken(page),
    login: 'morozova.t',
    password: demoPassword,
  })
  t.equal(done.url.pathname, '/account')
  t.match(await linkOf('morozova.t'), [
    { subject: 'tatiana', method: 'password', evidence: { name: 'typo', snils: 'match', birthDate: 'match' } },
  ])
})

t.test('a binding conflict: the diary is already linked to another identity of the provider', async (t) => {
  // novikova.o was bound by olga above; give it sergey's name so that only the existing link stands in the way.
  await db
    .updateTable('diary_account')
    .set({ family_name: 'Соколов', given_name: 'Сергей', patronymic: 'Олегович', birth_date: null })
    .where('login', '=', 'novikova.o')
    .execute()
  const browser = new Browser(app, publicUrl)
  const page = await loginAs(browser, 'sergey')
  const conflict = await browser.go('POST', '/link', {
    _csrf: csrfToken(page),
    login: 'novikova.o',
    password: demoPassword,
  })
  t.equal(conflict.status, 409)
  t.match(conflict.body, /<code>account_conflict<\/code>/)
  t.same(
    (await linkOf('novikova.o')).map((l) => l.subject),
    ['olga'],
    'the existing link is not overwritten',
  )
})

t.test('a stranger who bound a diary by password is superseded by the verified owner', async (t) => {
  // Above, the unverified account 'elena' (anyone can open one in her name) bound kuznetsova.e with its password.
  t.match(await linkOf('kuznetsova.e'), [{ subject: 'elena', method: 'password' }])
  const stranger = new Browser(app, publicUrl)
  t.equal((await loginAs(stranger, 'elena')).url.pathname, '/account', 'the stranger signs in through that link')

  const owner = new Browser(app, publicUrl)
  const landed = await loginAs(owner, 'elena-verified')
  t.equal(landed.url.pathname, '/account')
  t.match(landed.body, /привязан паролем к чужой учётной записи Госуслуг/, 'the owner is told')
  t.match(await linkOf('kuznetsova.e'), [{ subject: 'elena-verified', method: 'auto_snils' }])
  t.equal((await stranger.go('GET', '/account')).url.pathname, '/login', 'the stranger’s session is over')
  const event = await db
    .selectFrom('audit_event')
    .select('details')
    .where('type', '=', 'link_superseded')
    .executeTakeFirstOrThrow()
  t.match(event.details, { supersededSubject: 'elena', subject: 'elena-verified' })

  const again = await loginAs(new Browser(app, publicUrl), 'elena')
  t.equal(again.url.pathname, '/link', 'the stranger is back at the binding page')
  t.match(again.body, /не подтверждена/)
})

t.test(
  'an abandoned login does not decide the next one: the simulator asks again, another person signs in',
  async (t) => {
    const browser = new Browser(app, publicUrl)
    const abandoned = await loginAs(browser, 'sergey')
    t.equal(abandoned.url.pathname, '/link', 'left at the binding page')
    const again = await loginAs(browser, 'petr')
    t.equal(again.url.pathname, '/account', 'the person picked this time, not the one of the abandoned attempt')
    t.match(again.body, /Иванов Пётр Сергеевич/)
    t.notMatch(again.body, /Соколов/)
  },
)

t.test('an existing link always wins: the second login goes straight in', async (t) => {
  const page = await loginAs(new Browser(app, publicUrl), 'maria')
  t.equal(page.url.pathname, '/account')
  t.equal((await linkOf('ivanova.m')).length, 1)
})

t.test('cancelling at the provider ends on a page that says so', async (t) => {
  const browser = new Browser(app, publicUrl)
  await browser.go('GET', '/login?region=29')
  const simulatorPage = await browser.go('GET', '/login/state-services')
  const abort = /action="(\/interaction\/[^"]+\/abort)"/.exec(simulatorPage.body)?.[1] as string
  const page = await browser.go('POST', new URL(abort, simulatorPage.url), {})
  t.equal(page.status, 400)
  t.match(page.body, /<code>cancelled<\/code>/)
  t.match(page.body, /Вход через Госуслуги отменён/)
})

t.test('a login attempt is single-use: replaying the callback with a copied cookie fails', async (t) => {
  const browser = new Browser(app, publicUrl)
  await browser.go('GET', '/login?region=29')
  const simulatorPage = await browser.go('GET', '/login/state-services')
  const copiedJar = new Map(browser.jars.get(publicUrl))
  const action = /action="(\/interaction\/[^"]+\/login)"/.exec(simulatorPage.body)?.[1] as string
  await browser.go('POST', new URL(action, simulatorPage.url), { person: 'maria' })
  const callback = browser.visited.find((url) => url.pathname === '/login/state-services/callback')
  t.ok(callback, 'went through the callback')
  const replay = new Browser(app, publicUrl)
  replay.jars.set(publicUrl, copiedJar)
  const page = await replay.go('GET', callback as URL)
  t.equal(page.status, 400)
  t.match(page.body, /<code>login_expired<\/code>/)
})

t.test(
  'a diary module waiting for a linked person (the one-statement login): its callback replayed is an expired login attempt',
  async (t) => {
    const authorize = () =>
      `/authorize?${new URLSearchParams({ client_id: 'web-diary', redirect_uri: 'https://diary.example/callback', response_type: 'code', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', region: '29' }).toString()}`
    const codeOf = (page: Page) => new URL(String(page.headers.location)).searchParams.get('code')
    // The first login links maria (if no earlier test did); the second, in a new browser, finds the link.
    for (const round of [1, 2]) {
      const browser = new Browser(app, publicUrl)
      browser.stopOrigins.add('https://diary.example')
      await browser.go('GET', authorize())
      const simulatorPage = await browser.go('GET', '/login/state-services')
      const copiedJar = new Map(browser.jars.get(publicUrl))
      const action = /action="(\/interaction\/[^"]+\/login)"/.exec(simulatorPage.body)?.[1] as string
      const back = await browser.go('POST', new URL(action, simulatorPage.url), { person: 'maria' })
      t.match(codeOf(back), /^[\w-]{43}$/, `round ${round}: the diary module got its code`)
      if (round === 1) continue
      const callback = browser.visited.find((url) => url.pathname === '/login/state-services/callback')
      const replay = new Browser(app, publicUrl)
      replay.jars.set(publicUrl, copiedJar)
      const page = await replay.go('GET', callback as URL)
      t.equal(page.status, 400)
      t.match(page.body, /<code>login_expired<\/code>/, 'refused as a used login attempt, not as a provider failure')
    }
  },
)

t.test('the callback without a login attempt, or with a wrong state, is refused', async (t) => {
  const stray = await new Browser(app, publicUrl).go('GET', '/login/state-services/callback?code=x&state=y')
  t.match(stray.body, /<code>login_expired<\/code>/)
  const browser = new Browser(app, publicUrl)
  await browser.go('GET', '/login?region=29')
  await browser.request('GET', '/login/state-services')
  const forged = await browser.go(
    'GET',
    `/login/state-services/callback?code=x&state=forged&iss=${encodeURIComponent(world.issuer)}`,
  )
  t.equal(
    forged.status,
    400,
    "a wrong state is the request's doing, not the provider's (test/web/request-refusals.test.ts)",
  )
  t.match(forged.body, /<code>login_expired<\/code>/)
})

t.test('a region without state-services login shows no button and has no such routes', async (t) => {
  const browser = new Browser(app, publicUrl)
  const page = await browser.go('GET', '/login?region=78')
  t.equal(page.status, 200)
  t.notMatch(page.body, /Госуслуг/)
  t.match(page.body, /Логин или СНИЛС/)
  t.equal((await browser.go('GET', '/login/state-services')).status, 404)
  t.equal((await browser.go('GET', '/login/state-services/callback?code=x&state=y')).status, 404)
})

t.test('no SNILS or full name in logs, audit rows, sessions, links or cookies', async (t) => {
  const secrets = simulatorPersons.flatMap((person) => [
    ...(person.claims.snils ? [person.claims.snils, person.claims.snils.replace(/\D/g, '')] : []),
    person.claims.family_name,
  ])
  const dump = await sql<{ row: string }>`
    select row_to_json(e)::text as row from audit_event e
    union all select row_to_json(l)::text from identity_link l
    union all select row_to_json(s)::text from login_session s`.execute(db)
  const stored = dump.rows.map((r) => r.row).join('\n')
  const logs = world.logText()
  for (const secret of secrets) {
    t.notOk(stored.includes(secret), `not stored: ${secret.length} chars`)
    t.notOk(logs.includes(secret), `not logged: ${secret.length} chars`)
  }
  const events = await db
    .selectFrom('audit_event')
    .select(['type', 'outcome'])
    .where('type', 'like', 'link_%')
    .execute()
  t.ok(events.some((e) => e.type === 'link_decision' && e.outcome === 'linked'))
  t.ok(events.some((e) => e.type === 'link_decision' && e.outcome === 'needs_password'))
  t.ok(events.some((e) => e.type === 'link_binding' && e.outcome === 'refused'))
  t.ok(events.some((e) => e.type === 'link_binding' && e.outcome === 'conflict'))
  t.ok(events.some((e) => e.type === 'link_superseded'))
})

t.test(
  'signing out of a state-services session goes on to the provider and comes back without a question there',
  async (t) => {
    const browser = new Browser(app, publicUrl)
    t.equal((await loginAs(browser, 'maria')).url.pathname, '/account')
    const provider = await browser.go('POST', '/logout/confirm', {
      _csrf: csrfToken(await browser.go('GET', '/account')),
    })
    t.equal(new URL(provider.url).origin, world.issuer, 'on to the provider’s end-session endpoint')
    t.notMatch(provider.body, /Выйти из Госуслуг\?/, 'no confirmation question')
    t.match(
      provider.body,
      /<script>document\.getElementById\('op\.logoutForm'\)\.submit\(\)<\/script>/,
      'the page submits itself',
    )
    const form = /<form id="op\.logoutForm" method="post" action="([^"]+)">(.*?)<\/form>/s.exec(provider.body)
    const fields = Object.fromEntries(
      [...(form?.[2] ?? '').matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)].map(
        ([, name, value]) => [name, value],
      ),
    )
    t.same(Object.keys(fields).sort(), ['logout', 'xsrf'], 'the form answers yes by itself')
    const done = await browser.go('POST', new URL(form?.[1] as string, provider.url), fields as Record<string, string>)
    t.equal(done.url.pathname, '/login', 'back at the bridge, signed out')
    t.ok(browser.visited.some((url) => url.pathname === '/logout/done'))
    t.equal((await browser.go('GET', '/account')).url.pathname, '/login')

    const next = await browser.go('GET', '/login/state-services')
    t.match(
      next.body,
      /Выберите тестового человека/,
      'signed out at the provider too: the next login asks for the person',
    )
  },
)
