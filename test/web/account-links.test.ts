/*
 * The owner's account page and their State Services links, through the real pages with the demo's
 * state-services simulator: seeing links, unlinking at once after signing in, confirming first (diary
 * password or State Services) when the sign-in is older than 5 minutes.
 */
import t from 'tap'
import { Browser, csrfToken, type Page } from '../helpers/browser.js'
import { demoPassword, publicUrl, startDemoWorld } from '../helpers/demo-world.js'

const world = await startDemoWorld(t)
const { app, database } = world
const db = database.db
t.afterEach(() => {
  world.clock.offsetMs = 0
})

async function loginAs(browser: Browser, person: string): Promise<Page> {
  await browser.go('GET', '/login?region=29')
  return choosePerson(browser, await browser.go('GET', '/login/state-services'), person)
}

/** At the simulator: picks `person`, unless it answers at once from its own session. */
async function choosePerson(browser: Browser, page: Page, person: string): Promise<Page> {
  const action = /action="(\/interaction\/[^"]+\/login)"/.exec(page.body)?.[1]
  return action === undefined ? page : browser.go('POST', new URL(action, page.url), { person })
}

const linksOf = async (login: string) =>
  db
    .selectFrom('identity_link')
    .innerJoin('diary_account', 'diary_account.id', 'identity_link.account_id')
    .select(['identity_link.id', 'identity_link.subject'])
    .where('diary_account.login', '=', login)
    .execute()

const unlinkForm = (page: Page) => {
  const match =
    /<form method="post" action="\/account\/unlink" class="inline"><input type="hidden" name="_csrf" value="([^"]+)"><input type="hidden" name="link" value="([^"]+)">/.exec(
      page.body,
    )
  if (match === null) throw new Error('no unlink button on the page')
  return { _csrf: match[1] as string, link: match[2] as string }
}

t.test('the account page lists the link; unlinking right after signing in needs no confirmation', async (t) => {
  const browser = new Browser(app, publicUrl)
  const page = await loginAs(browser, 'maria')
  t.equal(page.url.pathname, '/account')
  t.match(page.body, /Госуслуги · Архангельская область/)
  t.match(page.body, /привязаны автоматически по СНИЛС/)
  t.match(page.body, /Иванова Мария Петровна/)
  t.match(page.body, /Школа № 1/)
  const done = await browser.go('POST', '/account/unlink', unlinkForm(page))
  t.equal(done.url.pathname, '/account')
  t.match(done.body, /Учётная запись Госуслуг отвязана/)
  t.match(done.body, /Госуслуги к этому дневнику не привязаны/)
  t.same(await linksOf('ivanova.m'), [])
  const event = await db
    .selectFrom('audit_event')
    .select(['account_id', 'details'])
    .where('type', '=', 'link_removed')
    .executeTakeFirstOrThrow()
  t.match(event.details, { by: 'owner', subject: 'maria', method: 'auto_snils' })
  t.equal((await browser.go('GET', '/account')).url.pathname, '/account', 'the owner stays signed in')
})

t.test('after 5 minutes unlinking asks for the diary password first; a wrong one changes nothing', async (t) => {
  const browser = new Browser(app, publicUrl)
  const page = await loginAs(browser, 'petr')
  t.equal((await linksOf('ivanov.p')).length, 1)
  world.clock.offsetMs = 6 * 60_000
  const confirm = await browser.go('POST', '/account/unlink', unlinkForm(page))
  t.equal(confirm.status, 200)
  t.match(confirm.body, /Подтвердите, что это вы/)
  t.match(confirm.body, /Подтвердить через Госуслуги/)
  t.equal((await linksOf('ivanov.p')).length, 1, 'nothing removed yet')
  const link = unlinkForm(page).link
  const wrong = await browser.go('POST', '/account/unlink', {
    _csrf: csrfToken(confirm),
    link,
    password: 'wrong-password',
  })
  t.equal(wrong.status, 401)
  t.match(wrong.body, /Неверный пароль/)
  t.equal((await linksOf('ivanov.p')).length, 1)
  const done = await browser.go('POST', '/account/unlink', { _csrf: csrfToken(wrong), link, password: demoPassword })
  t.equal(done.url.pathname, '/account')
  t.same(await linksOf('ivanov.p'), [])
  const confirmations = await db
    .selectFrom('audit_event')
    .select('outcome')
    .where('type', '=', 'password_confirmation')
    .execute()
  t.same(
    confirmations.map((event) => event.outcome),
    ['failure', 'success'],
  )
})

t.test(
  'after 5 minutes a State Services login of the linked person confirms, and the unlink goes through',
  async (t) => {
    const browser = new Browser(app, publicUrl)
    const page = await loginAs(browser, 'alexey')
    world.clock.offsetMs = 6 * 60_000
    const link = unlinkForm(page)
    const confirm = await browser.go('POST', '/account/unlink', link)
    const simulatorPage = await browser.go('POST', '/account/unlink/state-services', {
      _csrf: csrfToken(confirm),
      link: link.link,
    })
    const done = await choosePerson(browser, simulatorPage, 'alexey')
    t.equal(done.url.pathname, '/account')
    t.match(done.body, /Учётная запись Госуслуг отвязана/)
    t.same(await linksOf('smirnov.a'), [])
  },
)

t.test('confirming with another State Services person is refused and unlinks nothing', async (t) => {
  const browser = new Browser(app, publicUrl)
  const page = await loginAs(browser, 'alexey')
  t.equal(page.url.pathname, '/account', 'linked again automatically')
  world.clock.offsetMs = 6 * 60_000
  const link = unlinkForm(page)
  const confirm = await browser.go('POST', '/account/unlink', link)
  browser.jars.delete(world.issuer)
  const simulatorPage = await browser.go('POST', '/account/unlink/state-services', {
    _csrf: csrfToken(confirm),
    link: link.link,
  })
  const refused = await choosePerson(browser, simulatorPage, 'petr')
  t.equal(refused.status, 403)
  t.match(refused.body, /<code>confirmation_mismatch<\/code>/)
  t.equal((await linksOf('smirnov.a')).length, 1)
  t.equal((await browser.go('GET', '/account')).url.pathname, '/account', 'still signed in as before')
})

t.test('forms without a CSRF token or without a session change nothing', async (t) => {
  const browser = new Browser(app, publicUrl)
  const page = await loginAs(browser, 'alexey')
  const { link } = unlinkForm(page)
  const forged = await browser.go('POST', '/account/unlink', { link })
  t.equal(forged.status, 403)
  t.match(forged.body, /form_expired/)
  const stranger = await new Browser(app, publicUrl).go('POST', '/account/unlink', { link })
  t.equal(stranger.status, 403, 'no CSRF cookie either')
  const malformed = await browser.go('POST', '/account/unlink', { _csrf: csrfToken(page), link: 'not-a-link-id' })
  t.equal(malformed.status, 400)
  t.equal((await linksOf('smirnov.a')).length, 1)
})

t.test('another account’s link cannot be removed through one’s own page', async (t) => {
  const owner = new Browser(app, publicUrl)
  const ownerPage = await loginAs(owner, 'alexey')
  const other = new Browser(app, publicUrl)
  await other.go('POST', '/login/password', {
    _csrf: csrfToken(await other.go('GET', '/login?region=29')),
    login: 'kuznetsova.e',
    password: demoPassword,
  })
  const otherPage = await other.go('GET', '/account')
  const attempt = await other.go('POST', '/account/unlink', {
    _csrf: csrfToken(otherPage),
    link: unlinkForm(ownerPage).link,
  })
  t.equal(attempt.status, 404)
  t.equal((await linksOf('smirnov.a')).length, 1)
})
