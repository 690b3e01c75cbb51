/*
 * Several diary accounts per State Services person (issue 16), through the real pages with the demo's
 * state-services simulator, which serves regions 29 and 78 as one provider (one issuer): links are per
 * region, the chooser shows where a region has several, "link another diary" on the account page.
 */
import { schoolId } from '../helpers/schools.js'
import t from 'tap'
import { Browser, csrfToken, type Page } from '../helpers/browser.js'
import { demoPassword, publicUrl, startDemoWorld } from '../helpers/demo-world.js'

const world = await startDemoWorld(t, {}, { stateServicesIn78: true })
const { app, database } = world
const db = database.db
const diary = 'https://diary.example'

/** A second diary of Мария in region 29, at another school, without SNILS (so SNILS still finds one). */
const { password_hash } = await db
  .selectFrom('diary_account')
  .select('password_hash')
  .where('login', '=', 'ivanova.m')
  .executeTakeFirstOrThrow()
await db
  .insertInto('diary_account')
  .values({
    region: '29',
    login: 'ivanova.m.gym6',
    role: 'pupil',
    family_name: 'Иванова',
    given_name: 'Мария',
    patronymic: 'Петровна',
    birth_date: '2012-03-14',
    school_id: await schoolId(db, '29', 'Гимназия № 6'),
    class_name: '7В',
    password_hash,
  })
  .execute()
const idOf = async (region: string, login: string) =>
  (
    await db
      .selectFrom('diary_account')
      .select('id')
      .where('region', '=', region)
      .where('login', '=', login)
      .executeTakeFirstOrThrow()
  ).id

const authorize = (region: string, extra: Record<string, string> = {}) =>
  `/authorize?${new URLSearchParams({ client_id: 'web-diary', redirect_uri: `${diary}/callback`, response_type: 'code', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', region, ...extra }).toString()}`

/** At the simulator: picks `person`. */
async function atSimulator(browser: Browser, page: Page, person: string): Promise<Page> {
  const action = /action="(\/interaction\/[^"]+\/login)"/.exec(page.body)?.[1]
  if (action === undefined) throw new Error(`no person page at the simulator: ${page.url.href} answered ${page.status}`)
  return browser.go('POST', new URL(action, page.url), { person })
}

/** From a diary module waiting for region `region`, through State Services as `person`. */
async function fromDiary(
  region: string,
  person: string,
  extra: Record<string, string> = {},
): Promise<{ browser: Browser; page: Page }> {
  const browser = new Browser(app, publicUrl)
  browser.stopOrigins.add(diary)
  await browser.go('GET', authorize(region, extra))
  return { browser, page: await atSimulator(browser, await browser.go('GET', '/login/state-services'), person) }
}

const codeOf = (page: Page) => new URL(String(page.headers.location)).searchParams.get('code')
const chooserButtons = (page: Page) =>
  [...page.body.matchAll(/name="account" value="([^"]+)">\s*<button[^>]*>([^<]*)/g)].map((match) => ({
    id: match[1] as string,
    text: match[2] as string,
  }))
const sessionOf = async (accountId: string) =>
  db
    .selectFrom('login_session')
    .select(['upstream_issuer', 'upstream_subject'])
    .where('account_id', '=', accountId)
    .orderBy('created_at', 'desc')
    .executeTakeFirstOrThrow()

t.test(
  'the exact bug: a link in region 29 no longer signs in to 29 from the 78 page; 78 links its own diary',
  async (t) => {
    const first = await fromDiary('29', 'maria')
    t.match(codeOf(first.page), /^[\w-]{43}$/, 'linked by SNILS in 29, straight in')
    const in29 = await idOf('29', 'ivanova.m')
    const in78 = await idOf('78', 'ivanova.m')
    t.same(
      await sessionOf(in29),
      { upstream_issuer: world.issuer, upstream_subject: 'maria' },
      'the session knows its State Services person',
    )

    const second = await fromDiary('78', 'maria')
    t.match(codeOf(second.page), /^[\w-]{43}$/, 'straight in on the 78 page too')
    const links = await db
      .selectFrom('identity_link')
      .select('account_id')
      .where('subject', '=', 'maria')
      .orderBy('created_at')
      .execute()
    t.same(
      links.map((link) => link.account_id),
      [in29, in78],
      'a second link, to the 78 diary',
    )
    const sessions = await db
      .selectFrom('login_session')
      .select('account_id')
      .where('upstream_subject', '=', 'maria')
      .orderBy('created_at')
      .execute()
    t.same(
      sessions.map((session) => session.account_id),
      [in29, in78],
      'the 78 login signed in to the 78 diary',
    )
  },
)

t.test('link another diary from the account page: State Services again, then the diary password', async (t) => {
  const browser = new Browser(app, publicUrl)
  await browser.go('GET', '/login?region=29')
  const account = await atSimulator(browser, await browser.go('GET', '/login/state-services'), 'maria')
  t.equal(account.url.pathname, '/account')
  t.match(account.body, /Дневники, привязанные к вашим Госуслугам/)
  t.match(account.body, /Школа № 1<\/strong> · ученик · Мария П\. И\. <span class="tag">этот дневник/)
  t.match(account.body, /Лицей № 239|Гимназия № 56/, 'the 78 diary is listed too')
  t.match(account.body, /Санкт-Петербург/)
  t.notMatch(account.body, /Иванова Мария Петровна<\/strong> · /, 'the other diaries show masked names only')

  const start =
    /<form method="post" action="\/account\/link-another"><input type="hidden" name="_csrf" value="([^"]+)">/.exec(
      account.body,
    )
  t.ok(start, 'the account page offers to link another diary')
  const binding = await atSimulator(
    browser,
    await browser.go('POST', '/account/link-another', { _csrf: start?.[1] as string }),
    'maria',
  )
  t.equal(binding.url.pathname, '/link')
  t.match(binding.body, /привязываете ещё один дневник/)
  t.match(binding.body, /Привязать дневник/)
  const wrong = await browser.go('POST', '/link', {
    _csrf: csrfToken(binding),
    login: 'ivanova.m.gym6',
    password: 'wrong-password',
  })
  t.equal(wrong.status, 401)
  const done = await browser.go('POST', '/link', {
    _csrf: csrfToken(wrong),
    login: 'ivanova.m.gym6',
    password: demoPassword,
  })
  t.equal(done.url.pathname, '/account')
  t.match(done.body, /Дневник привязан к вашей учётной записи Госуслуг/)
  t.match(done.body, /Гимназия № 6<\/strong> · ученик · Мария П\. И\./)
  t.match(
    done.body,
    /Школа № 1<\/strong> · ученик · Мария П\. И\. <span class="tag">этот дневник/,
    'still signed in to the first diary',
  )
  const link = await db
    .selectFrom('identity_link')
    .select(['method', 'evidence'])
    .where('subject', '=', 'maria')
    .where('account_id', '=', await idOf('29', 'ivanova.m.gym6'))
    .executeTakeFirstOrThrow()
  t.match(link, {
    method: 'password',
    evidence: { password: 'verified', name: 'exact', snils: 'absent', birthDate: 'match' },
  })
  t.ok(
    await db
      .selectFrom('audit_event')
      .select('id')
      .where('type', '=', 'link_another')
      .where('outcome', '=', 'success')
      .executeTakeFirst(),
    'an audit event',
  )

  const other =
    /<form method="post" action="\/account\/link-another"><input type="hidden" name="_csrf" value="([^"]+)">/.exec(
      done.body,
    )?.[1] as string
  const mismatch = await atSimulator(
    browser,
    await browser.go('POST', '/account/link-another', { _csrf: other }),
    'petr',
  )
  t.equal(mismatch.status, 403, 'another State Services person cannot link diaries to this one')
  t.match(mismatch.body, /<code>confirmation_mismatch<\/code>/)
})

t.test('two diaries in 29: the chooser; the choice is checked against the links, single use, remembered', async (t) => {
  const school1 = await idOf('29', 'ivanova.m')
  const gym6 = await idOf('29', 'ivanova.m.gym6')
  const { browser, page } = await fromDiary('29', 'maria')
  t.equal(page.url.pathname, '/login/choose-account')
  t.match(page.body, /Выберите дневник/)
  t.same(
    chooserButtons(page).map((button) => button.id),
    [school1, gym6],
    'never chosen: the oldest link first',
  )
  t.match(chooserButtons(page)[1]?.text, /Гимназия № 6, 7В · ученик · Мария П\. И\./)
  t.notMatch(page.body, /выбран в прошлый раз/)

  const foreign = await browser.go('POST', '/login/choose-account', {
    _csrf: csrfToken(page),
    account: await idOf('29', 'ivanov.p'),
  })
  t.equal(foreign.status, 404, 'an account that is not one of the links is refused')
  const chooser = await browser.go('GET', '/login/choose-account')
  t.equal(chooser.status, 200, 'and the person may still choose')
  const copiedJar = new Map(browser.jars.get(publicUrl))
  const chosen = await browser.go('POST', '/login/choose-account', { _csrf: csrfToken(chooser), account: gym6 })
  t.match(codeOf(chosen), /^[\w-]{43}$/, 'the diary module gets its code')
  t.same(await sessionOf(gym6), { upstream_issuer: world.issuer, upstream_subject: 'maria' })
  const event = await db
    .selectFrom('audit_event')
    .select(['account_id', 'details'])
    .where('type', '=', 'account_choice')
    .executeTakeFirstOrThrow()
  t.match(event, { account_id: gym6, details: { accounts: 2 } })

  const replay = new Browser(app, publicUrl)
  replay.jars.set(publicUrl, copiedJar)
  const again = await replay.go('POST', '/login/choose-account', { _csrf: csrfToken(chooser), account: school1 })
  t.equal(again.status, 400)
  t.match(again.body, /<code>login_expired<\/code>/, 'a copied cookie cannot choose twice')

  const next = await fromDiary('29', 'maria')
  t.same(
    chooserButtons(next.page).map((button) => button.id),
    [gym6, school1],
    'the last choice comes first',
  )
  t.match(
    next.page.body,
    /Гимназия № 6, 7В · ученик · Мария П\. И\.<\/button>\s*<span class="tag">выбран в прошлый раз/,
  )
})

t.test('prompt=select_account shows the chooser even for one diary; without it 78 stays straight in', async (t) => {
  const asked = await fromDiary('78', 'maria', { prompt: 'select_account' })
  t.equal(asked.page.url.pathname, '/login/choose-account')
  const buttons = chooserButtons(asked.page)
  t.same(
    buttons.map((button) => button.id),
    [await idOf('78', 'ivanova.m')],
  )
  const chosen = await asked.browser.go('POST', '/login/choose-account', {
    _csrf: csrfToken(asked.page),
    account: buttons[0]?.id as string,
  })
  t.match(codeOf(chosen), /^[\w-]{43}$/)
  const plain = await fromDiary('78', 'maria')
  t.match(codeOf(plain.page), /^[\w-]{43}$/, 'no prompt: no chooser')
})
