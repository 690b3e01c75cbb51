/*
 * The pages as a parent reads them (issue 24, item 5), through the real pages with the demo's
 * state-services simulator: the account page's heading, order and "Sign out" at the top; linking State
 * Services after a password sign-in; the binding page's way back; error codes small, for the support
 * desk; regions as the region page's buttons; a refused sign-in kept across the language switch.
 */
import t from 'tap'
import { Browser, csrfToken, type Page } from '../helpers/browser.js'
import { demoPassword, publicUrl, startDemoWorld } from '../helpers/demo-world.js'

const world = await startDemoWorld(t)
const { app, database, clock } = world
const db = database.db

/** At the simulator: picks `person`. */
async function atSimulator(browser: Browser, page: Page, person: string): Promise<Page> {
  const action = /action="(\/interaction\/[^"]+\/login)"/.exec(page.body)?.[1]
  if (action === undefined) throw new Error(`no person page at the simulator: ${page.url.href} answered ${page.status}`)
  return browser.go('POST', new URL(action, page.url), { person })
}

async function passwordSignIn(
  login: string,
  headers: Record<string, string> = {},
): Promise<{ browser: Browser; account: Page }> {
  const browser = new Browser(app, publicUrl, headers)
  const form = await browser.go('GET', '/login?region=29')
  return {
    browser,
    account: await browser.go('POST', '/login/password', { _csrf: csrfToken(form), login, password: demoPassword }),
  }
}

const formToken = (page: Page, action: string) =>
  new RegExp(`<form method="post" action="${action}"[^>]*><input type="hidden" name="_csrf" value="([^"]+)">`).exec(
    page.body,
  )?.[1] as string
const text = (page: Page) => page.body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ')
const linksOf = (login: string) =>
  db
    .selectFrom('identity_link')
    .innerJoin('diary_account', 'diary_account.id', 'identity_link.account_id')
    .select(['identity_link.method'])
    .where('diary_account.login', '=', login)
    .execute()

t.test(
  'the account page: what it is, "Sign out" first, then the sections in the order people look for them',
  async (t) => {
    const { account } = await passwordSignIn('smirnov.a')
    t.equal(account.url.pathname, '/account')
    t.match(account.body, /<h1>Ваша учётная запись в дневнике<\/h1>/)
    const main = account.body.slice(account.body.indexOf('<main>'))
    t.match(
      main,
      /^<main>\s*<h1>[^<]+<\/h1>\s*<div class="who"><p>Вы вошли как <strong>Смирнов Алексей<\/strong><\/p>\s*<form method="post" action="\/logout\/confirm">.*?>Выйти<\/button>/s,
      'who you are and "Выйти" right under the heading',
    )
    const headings = [...main.matchAll(/<h2[^>]*>([^<]+)<\/h2>/g)].map((match) => match[1])
    t.same(headings, [
      'Сменить пароль',
      'Второй шаг входа',
      'Почта и телефон',
      'Вход через Госуслуги',
      'Где выполнен вход',
    ])
    t.equal(main.match(/>Выйти<\/button>/g)?.length, 1, 'one "Выйти"')
  },
)

t.test('e-mail and phone: each state agrees with its field', async (t) => {
  const rows: [string, Date | null, string, string][] = [
    // login, e-mail confirmed at, what the e-mail line says, what the phone line says
    ['smirnov.a', null, 'Почта не указана', 'Телефон +7 *** ***-45-03 (не подтверждён)'],
    ['ivanov.p', null, 'Почта i***@example.ru (не подтверждена)', 'Телефон'],
    ['kuznetsova.e', new Date(), 'Почта k***@example.ru подтверждена', 'Телефон'],
  ]
  for (const [login, confirmedAt, email, phone] of rows) {
    await db.updateTable('diary_account').set({ email_verified_at: confirmedAt }).where('login', '=', login).execute()
    const { account } = await passwordSignIn(login)
    t.match(text(account), email, `${login}: ${email}`)
    t.match(text(account), phone, `${login}: ${phone}`)
    t.notMatch(text(account), /Почта [^Т]*(не указан |подтверждён)/, `${login}: no masculine form for the e-mail`)
  }
})

t.test('"Link State Services" after a password sign-in: at once while the sign-in is fresh', async (t) => {
  const { browser, account } = await passwordSignIn('ivanov.p')
  t.match(text(account), /Госуслуги к этому дневнику не привязаны\./)
  t.match(
    account.body,
    /<form method="post" action="\/account\/link-state-services">.*?<button type="submit" class="state-services">Привязать Госуслуги<\/button>/s,
  )
  const simulator = await browser.go('POST', '/account/link-state-services', {
    _csrf: formToken(account, '/account/link-state-services'),
  })
  const done = await atSimulator(browser, simulator, 'petr')
  t.equal(`${done.url.pathname}${done.url.search}`, '/account?notice=state_services_linked')
  t.match(text(done), /Госуслуги привязаны к дневнику: теперь можно входить через них\./)
  t.same(await linksOf('ivanov.p'), [{ method: 'password' }], 'one link, made by the binding rules')
  t.notMatch(done.body, /link-state-services/, 'no button once linked')
  t.match(text(done), /Госуслуги · Архангельская область , привязаны паролем от дневника/)
  const evidence = await db
    .selectFrom('identity_link')
    .innerJoin('diary_account', 'diary_account.id', 'identity_link.account_id')
    .select('identity_link.evidence')
    .where('diary_account.login', '=', 'ivanov.p')
    .executeTakeFirstOrThrow()
  t.match(evidence.evidence, { password: 'recent_sign_in' }, 'the evidence says no password was typed for it')
  const audit = await db
    .selectFrom('audit_event')
    .select(['outcome'])
    .where('type', '=', 'link_account')
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow()
  t.equal(audit.outcome, 'recent_sign_in', 'audit link_account says how the diary side was proved')
  const again = await browser.go('POST', '/account/link-state-services', {
    _csrf: formToken(done, '/account/sign-out-everywhere'),
  })
  t.equal(again.url.pathname, '/account', 'a hand-made form once linked: back to the account page')
  t.notMatch(again.url.href, /interaction|simulator/, 'State Services is not asked')
})

t.test(
  '"Link State Services" binds the signed-in diary only: another diary\'s right password is a wrong one',
  async (t) => {
    const { browser, account } = await passwordSignIn('smirnov.a')
    clock.offsetMs = 10 * 60_000
    t.teardown(() => {
      clock.offsetMs = 0
    })
    const simulator = await browser.go('POST', '/account/link-state-services', {
      _csrf: formToken(account, '/account/link-state-services'),
    })
    const binding = await atSimulator(browser, simulator, 'tatiana')
    t.equal(binding.url.pathname, '/link')
    const refused = await browser.go('POST', '/link', {
      _csrf: csrfToken(binding),
      login: 'morozova.t',
      password: demoPassword,
    })
    t.equal(refused.status, 401)
    t.match(text(refused), /Неверный логин или пароль/)
    t.same(await linksOf('morozova.t'), [], 'the other diary got no link')
    t.same(await linksOf('smirnov.a'), [], 'nor did the signed-in one')
  },
)

t.test(
  '"Link State Services" from an older sign-in asks for the diary password on the binding page, with a way back',
  async (t) => {
    const { browser, account } = await passwordSignIn('novikova.o')
    clock.offsetMs = 10 * 60_000
    t.teardown(() => {
      clock.offsetMs = 0
    })
    const simulator = await browser.go('POST', '/account/link-state-services', {
      _csrf: formToken(account, '/account/link-state-services'),
    })
    const binding = await atSimulator(browser, simulator, 'olga')
    t.equal(binding.url.pathname, '/link')
    t.match(
      text(binding),
      /Вы привязываете Госуслуги к дневнику\. Подтвердите, что это вы: введите логин и пароль от дневника\./,
    )
    t.match(binding.body, /<p class="cancel"><a href="\/account">Отменить и вернуться в учётную запись<\/a><\/p>/)
    t.notMatch(text(binding), /в следующий раз/, 'no sentence about the next sign-in')
    const done = await browser.go('POST', '/link', {
      _csrf: csrfToken(binding),
      login: 'novikova.o',
      password: demoPassword,
    })
    t.equal(done.url.pathname, '/account')
    t.equal((await linksOf('novikova.o')).length, 1)
  },
)

t.test('"Link State Services" as another person: the binding rules refuse, nothing is linked', async (t) => {
  const { browser, account } = await passwordSignIn('morozova.t')
  const simulator = await browser.go('POST', '/account/link-state-services', {
    _csrf: formToken(account, '/account/link-state-services'),
  })
  const refused = await atSimulator(browser, simulator, 'maria')
  t.match(refused.body, /<code>binding_other_person<\/code>/)
  t.same(await linksOf('morozova.t'), [])
})

t.test('the binding page of a sign-in: why, what to do, and back to the login page', async (t) => {
  const browser = new Browser(app, publicUrl)
  await browser.go('GET', '/login?region=29')
  const binding = await atSimulator(browser, await browser.go('GET', '/login/state-services'), 'sergey')
  t.equal(binding.url.pathname, '/link')
  t.match(text(binding), /в следующий раз вы войдёте через Госуслуги сразу/)
  t.match(binding.body, /<p class="cancel"><a href="\/login">Отменить и вернуться ко входу<\/a><\/p>/)
})

t.test('the binding page of "link another diary": its instruction once, and back to the account page', async (t) => {
  const browser = new Browser(app, publicUrl)
  await browser.go('GET', '/login?region=29')
  const account = await atSimulator(browser, await browser.go('GET', '/login/state-services'), 'alexey')
  t.equal(account.url.pathname, '/account')
  t.notMatch(account.body, /link-state-services/, 'signed in through State Services: nothing to link')
  const simulator = await browser.go('POST', '/account/link-another', {
    _csrf: formToken(account, '/account/link-another'),
  })
  const binding = await atSimulator(browser, simulator, 'alexey')
  t.equal(text(binding).match(/Введите логин и пароль/g)?.length, 1, 'one sentence asks for the login and password')
  t.notMatch(text(binding), /в следующий раз/)
  t.match(binding.body, /<p class="cancel"><a href="\/account">Отменить и вернуться в учётную запись<\/a><\/p>/)
})

t.test('an error page: what happened, what next, then small, the numbers for the support desk', async (t) => {
  const rows: [string, string][] = [
    ['ru', 'Для службы поддержки: код ошибки'],
    ['en', 'For the support desk: error code'],
  ]
  for (const [lang, label] of rows) {
    const page = await new Browser(app, publicUrl).go('GET', `/login?region=99&lang=${lang}`)
    const main = text(page)
    const next = main.indexOf(lang === 'ru' ? 'Начать вход заново' : 'Start signing in again')
    const support = main.indexOf(label)
    t.ok(next > 0 && support > next, `${lang}: the support line comes after the next step`)
    t.match(
      page.body,
      new RegExp(
        `<p class="support">${label} <code>region_unknown</code>, (номер запроса|request number) <code>[^<]+</code></p>`,
      ),
    )
  }
})

t.test('the region page: the regions are its buttons, the search comes after them', async (t) => {
  const page = await new Browser(app, publicUrl).go('GET', '/login?choose=1')
  t.match(
    page.body,
    /<a class="button" href="\/login\?region=29">Архангельская область <span class="code">29<\/span><\/a>/,
  )
  t.ok(page.body.indexOf('href="/login?region=29"') < page.body.indexOf('role="search"'), 'regions first')
  t.match(page.body, /<button type="submit" class="secondary">Найти<\/button>/, 'the search is secondary')
})

t.test('a refused sign-in stays refused in the other language, without the login or password in any URL', async (t) => {
  const browser = new Browser(app, publicUrl)
  const form = await browser.go('GET', '/login?region=29')
  const refused = await browser.go('POST', '/login/password', {
    _csrf: csrfToken(form),
    login: 'ivanova.m',
    password: 'not-the-password',
  })
  t.equal(refused.status, 401)
  const switchTo = /<a class="lang" href="([^"]+)"/.exec(refused.body)?.[1]?.replaceAll('&amp;', '&') as string
  t.equal(switchTo, '/login?region=29&refused=1&lang=en')
  const english = await browser.go('GET', switchTo)
  t.match(english.body, /<p class="error" role="alert">Wrong login or password\./)
  t.match(english.body, /id="login"[^>]*value="ivanova.m"/, 'the login stays filled in')
  t.notMatch(browser.visited.map((url) => url.href).join(' '), /ivanova|not-the-password/, 'never in a URL')
  const back = /<a class="lang" href="([^"]+)"/.exec(english.body)?.[1]?.replaceAll('&amp;', '&') as string
  t.match((await browser.go('GET', back)).body, /Неверный логин или пароль/, 'and back in Russian')

  t.notMatch(
    (await browser.go('GET', '/login?region=78&refused=1')).body,
    /role="alert"/,
    'not on another region’s page',
  )
  const stranger = await new Browser(app, publicUrl).go('GET', '/login?region=29&refused=1&lang=en')
  t.notMatch(stranger.body, /role="alert"/, 'another browser sees no refusal')
  const again = await browser.go('GET', '/login?region=29&refused=1')
  t.match(again.body, /Неверный логин или пароль/, 'back on its own region’s page, still refused')
  const signedIn = await browser.go('POST', '/login/password', {
    _csrf: csrfToken(again),
    login: 'ivanova.m',
    password: demoPassword,
  })
  t.equal(signedIn.url.pathname, '/account')
  t.notMatch(
    (await browser.go('GET', '/login?region=29&refused=1')).body,
    /role="alert"/,
    'a sign-in forgets the refusal',
  )
})
