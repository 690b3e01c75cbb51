/*
 * Who may bind a diary, and how a person takes back control of it, in a real browser (Debian's
 * Chromium driven by playwright-core): bindings refused or allowed by the name rules, a stranger's
 * password binding superseded by the verified owner, unlinking, signing out everywhere and changing
 * the password. Each scenario uses fresh browser contexts and checks the page and the database.
 * Skipped, with the reason printed, where no Chromium is installed (.ci/run installs it).
 */
import t from 'tap'
import type { Page } from 'playwright-core'
import { requireChromium, startChromiumWorld } from '../helpers/chromium-world.js'
import { demoPassword } from '../helpers/demo-world.js'

if (requireChromium(t)) await run()

async function run() {
  const world = await startChromiumWorld(t)
  const { bridgeUrl, diaryUrl, db, newPage } = world
  const shot = (page: Page, name: string) => world.shot(page, `linking-${name}`)
  const pathOf = (page: Page) => new URL(page.url()).pathname
  const mainText = (page: Page) => page.locator('main').innerText()
  const sessionItems = (page: Page) => page.locator('h2:has-text("Где выполнен вход") + ul > li')

  /** Region 29, "Log in through State Services", `person` at the simulator; back at the bridge. */
  async function signInAsPerson(page: Page, person: string): Promise<void> {
    await page.goto(`${bridgeUrl}/login?region=29`)
    await page.getByRole('link', { name: 'Войти через Госуслуги' }).click()
    await page.locator(`button[name="person"][value="${person}"]`).click()
    await page.waitForURL((url) => url.origin === bridgeUrl)
  }

  /** Region 29's password form; answers the status of the form's answer (303 on success, 401 when wrong). */
  async function signInWithPassword(page: Page, login: string, password: string): Promise<number | undefined> {
    await page.goto(`${bridgeUrl}/login?region=29`)
    await page.getByLabel('Логин или СНИЛС').fill(login)
    await page.getByLabel('Пароль от дневника').fill(password)
    const answer = page.waitForResponse((response) => response.request().method() === 'POST')
    await page.getByRole('button', { name: 'Войти', exact: true }).click()
    const status = (await answer).status()
    await page.waitForLoadState()
    return status
  }

  /** On the binding page: the diary's login and password; answers the status of the form's answer. */
  async function bind(page: Page, login: string, password = demoPassword): Promise<number> {
    await page.getByLabel('Логин или СНИЛС').fill(login)
    await page.getByLabel('Пароль от дневника').fill(password)
    const answer = page.waitForResponse(
      (response) => response.request().method() === 'POST' && new URL(response.url()).pathname === '/link',
    )
    await page.getByRole('button', { name: 'Привязать и войти' }).click()
    const status = (await answer).status()
    await page.waitForLoadState()
    return status
  }

  const linksOf = (login: string) =>
    db
      .selectFrom('identity_link')
      .innerJoin('diary_account', 'diary_account.id', 'identity_link.account_id')
      .select(['identity_link.subject', 'identity_link.method', 'identity_link.evidence'])
      .where('diary_account.login', '=', login)
      .execute()
  const sessionsOf = (login: string) =>
    db
      .selectFrom('login_session')
      .innerJoin('diary_account', 'diary_account.id', 'login_session.account_id')
      .select(['login_session.id', 'login_session.ended_at', 'login_session.ended_reason'])
      .where('diary_account.login', '=', login)
      .orderBy('login_session.created_at')
      .execute()
  const familiesOf = (login: string) =>
    db
      .selectFrom('token_family')
      .innerJoin('diary_account', 'diary_account.id', 'token_family.account_id')
      .select(['token_family.revoked_at', 'token_family.revoked_reason'])
      .where('diary_account.login', '=', login)
      .execute()
  const refusalsOtherPerson = async () =>
    (
      await db
        .selectFrom('audit_event')
        .select('details')
        .where('type', '=', 'link_binding')
        .where('outcome', '=', 'refused')
        .execute()
    ).filter((event) => (event.details as { reason?: string }).reason === 'other_person').length

  t.test('no SNILS, and the diary is someone else’s: the binding is refused with the reason', async (t) => {
    const page = await newPage()
    await signInAsPerson(page, 'anna')
    t.equal(pathOf(page), '/link')
    t.match(await mainText(page), /не передали ваш СНИЛС/, 'why the password is asked')
    const refusalsBefore = await refusalsOtherPerson()
    t.equal(await bind(page, 'ivanova.m'), 409)
    const alert = await page.getByRole('alert').innerText()
    t.match(alert, /Этот дневник принадлежит другому человеку/)
    t.match(alert, /Родители входят со своим родительским логином/)
    t.equal(await page.locator('main code').first().innerText(), 'binding_other_person')
    t.notMatch(await mainText(page), /Мария|Петровна/, 'nothing of the diary’s owner is shown')
    await shot(page, 'refused')
    t.notOk(
      (await linksOf('ivanova.m')).some((link) => link.subject === 'anna'),
      'no link for anna',
    )
    t.equal(await refusalsOtherPerson(), refusalsBefore + 1, 'one refusal audited with reason other_person')
  })

  t.test('one typo in the diary’s patronymic and the same birth date: bound', async (t) => {
    const page = await newPage()
    await signInAsPerson(page, 'tatiana')
    t.equal(pathOf(page), '/link')
    t.match(
      await mainText(page),
      /ФИО в нём отличается/,
      'automatic linking stays exact: the typo asks for the password',
    )
    await bind(page, 'morozova.t')
    t.equal(pathOf(page), '/account')
    t.match(await mainText(page), /Морозова Татьяна Никлаевна/)
    t.match(await linksOf('morozova.t'), [{ subject: 'tatiana', method: 'password', evidence: { name: 'typo' } }])
  })

  t.test(
    'a parent binding the child’s diary: a wrong password says only that, the right one gets the parents’ message',
    async (t) => {
      const page = await newPage()
      await signInAsPerson(page, 'anna')
      t.equal(await bind(page, 'ivanova.m', 'not-the-password'), 401)
      t.match(await page.getByRole('alert').innerText(), /Неверный логин или пароль/)
      t.notMatch(await mainText(page), /binding_other_person/, 'nothing about the owner before the password is right')
      const refusalsBefore = await refusalsOtherPerson()
      t.equal(await bind(page, 'ivanova.m'), 409)
      t.match(
        await page.getByRole('alert').innerText(),
        /Родители входят со своим родительским логином, отдельным от логина ребёнка/,
      )
      t.ok(await page.getByLabel('Логин или СНИЛС').isVisible(), 'the form stays, for the parent’s own login')
      t.equal(await refusalsOtherPerson(), refusalsBefore + 1)
      t.notOk((await linksOf('ivanova.m')).some((link) => link.subject === 'anna'))
    },
  )

  t.test('a stranger’s password binding is superseded by the verified owner’s State Services login', async (t) => {
    const stranger = await newPage()
    await signInAsPerson(stranger, 'elena')
    await bind(stranger, 'kuznetsova.e')
    t.equal(pathOf(stranger), '/account', 'the stranger is signed in')
    t.match(await linksOf('kuznetsova.e'), [{ subject: 'elena', method: 'password' }])

    const owner = await newPage()
    await signInAsPerson(owner, 'elena-verified')
    t.equal(pathOf(owner), '/account')
    t.equal(new URL(owner.url()).searchParams.get('notice'), 'link_superseded')
    t.match(await owner.getByRole('status').innerText(), /привязан паролем к чужой учётной записи Госуслуг/)
    t.match(await mainText(owner), /привязаны автоматически по СНИЛС/)
    await shot(owner, 'superseded')
    const links = await linksOf('kuznetsova.e')
    t.equal(links.length, 1, 'one link left')
    t.match(links, [{ subject: 'elena-verified', method: 'auto_snils' }])

    await stranger.reload()
    t.equal(pathOf(stranger), '/login', 'the stranger’s session is over')
    const reasons = (await sessionsOf('kuznetsova.e')).map((session) => session.ended_reason)
    t.same(reasons, ['link_superseded', null], 'the stranger’s session ended; the owner’s is the live one')
    const event = await db
      .selectFrom('audit_event')
      .select('details')
      .where('type', '=', 'link_superseded')
      .executeTakeFirst()
    t.match(event?.details, { supersededSubject: 'elena', subject: 'elena-verified' })
  })

  t.test('the owner unlinks State Services from the account page', async (t) => {
    const page = await newPage()
    await signInAsPerson(page, 'maria')
    t.equal(pathOf(page), '/account')
    t.match(await mainText(page), /Госуслуги · Архангельская область/)
    t.equal(await sessionItems(page).count(), 1, 'this session is listed')
    await shot(page, 'account')
    t.equal((await linksOf('ivanova.m')).length, 1)
    await page.getByRole('button', { name: 'Отвязать' }).click()
    await page.waitForURL((url) => url.searchParams.get('notice') === 'unlinked')
    t.match(await page.getByRole('status').innerText(), /Учётная запись Госуслуг отвязана/)
    t.match(await mainText(page), /Госуслуги к этому дневнику не привязаны/)
    t.equal(await page.getByRole('button', { name: 'Отвязать' }).count(), 0, 'no link left to unlink')
    t.same(await linksOf('ivanova.m'), [])
  })

  t.test('signing out everywhere ends another browser’s session and its diary module’s refresh token', async (t) => {
    const diaryPage = await newPage()
    await diaryPage.goto(diaryUrl)
    await diaryPage.getByRole('link', { name: 'Войти' }).click()
    await diaryPage.getByRole('link', { name: 'Архангельская область' }).click()
    await diaryPage.getByLabel('Логин или СНИЛС').fill('smirnov.a')
    await diaryPage.getByLabel('Пароль от дневника').fill(demoPassword)
    await diaryPage.getByRole('button', { name: 'Войти', exact: true }).click()
    await diaryPage.waitForURL(`${diaryUrl}/`)
    t.match(await diaryPage.locator('body').innerText(), /Вы вошли как Смирнов Алексей/)
    await diaryPage.getByRole('link', { name: 'Обновить токен' }).click()
    await diaryPage.waitForURL(`${diaryUrl}/`)
    t.match(
      await diaryPage.locator('body').innerText(),
      /Вы вошли как Смирнов Алексей/,
      'the refresh token works before',
    )
    t.ok(
      (await familiesOf('smirnov.a')).some((family) => family.revoked_at === null),
      'a live refresh-token family',
    )

    const other = await newPage()
    t.equal(await signInWithPassword(other, 'smirnov.a', demoPassword), 303)
    await other.goto(`${bridgeUrl}/account`)
    t.equal(await sessionItems(other).count(), 2, 'both sessions are listed')
    await other.getByRole('button', { name: 'Выйти на всех устройствах' }).click()
    await other.getByRole('status').waitFor()
    t.match(await other.getByRole('status').innerText(), /Вы вышли на всех устройствах/)

    const refresh = diaryPage.waitForResponse((response) => new URL(response.url()).pathname === '/refresh')
    await diaryPage.getByRole('link', { name: 'Обновить токен' }).click()
    t.equal((await refresh).status(), 400, 'the diary module’s refresh fails')
    t.match(
      await diaryPage.locator('body').innerText(),
      /OAUTH_RESPONSE_BODY_ERROR/,
      'the bridge’s token endpoint answered an OAuth error',
    )
    const families = await familiesOf('smirnov.a')
    t.ok(
      families.length > 0 &&
        families.every((family) => family.revoked_at !== null && family.revoked_reason === 'sign_out_everywhere'),
      'every refresh-token family revoked',
    )
    const sessions = await sessionsOf('smirnov.a')
    t.equal(sessions.length, 2)
    t.ok(
      sessions.every((session) => session.ended_at !== null && session.ended_reason === 'sign_out_everywhere'),
      'every session ended',
    )
    await diaryPage.goto(`${bridgeUrl}/account`)
    t.equal(pathOf(diaryPage), '/login', 'the module’s browser is signed out of the bridge too')
  })

  t.test('changing the password ends the other sessions; the old password stops working', async (t) => {
    const newPassword = 'Северное-сияние-2026'
    const first = await newPage()
    t.equal(await signInWithPassword(first, 'ivanov.p', demoPassword), 303)
    const second = await newPage()
    await signInWithPassword(second, 'ivanov.p', demoPassword)
    await second.goto(`${bridgeUrl}/account`)
    t.equal(await sessionItems(second).count(), 2)
    await second.getByLabel('Текущий пароль').fill(demoPassword)
    t.equal(await second.getByLabel('Новый пароль').count(), 1, 'the label names its field')
    await second.getByLabel('Новый пароль').fill(newPassword)
    await second.getByLabel('Повторите пароль').fill(newPassword)
    await second.getByRole('button', { name: 'Сменить пароль' }).click()
    await second.waitForURL((url) => url.searchParams.get('notice') === 'password_changed')
    t.equal(pathOf(second), '/account', 'this browser stays signed in')
    t.match(await second.getByRole('status').innerText(), /Пароль изменён/)
    t.equal(await sessionItems(second).count(), 1, 'only this session is left')
    await shot(second, 'password-changed')
    t.same(
      (await sessionsOf('ivanov.p')).map((session) => session.ended_reason),
      ['password_change', null],
      'the other session ended',
    )

    await first.reload()
    t.equal(pathOf(first), '/login', 'the other browser is signed out')
    const third = await newPage()
    t.equal(await signInWithPassword(third, 'ivanov.p', demoPassword), 401)
    t.match(await third.getByRole('alert').innerText(), /Неверный логин или пароль/)
    t.equal(await signInWithPassword(third, 'ivanov.p', newPassword), 303)
    t.equal(pathOf(third), '/account')
    t.match(await mainText(third), /Иванов Пётр Сергеевич/)
  })

  t.test(
    'an unconfirmed State Services account that bound a diary by password: no way to reset it, gone at the owner’s password change',
    async (t) => {
      // The owner removed the verified link earlier (above it superseded the stranger's binding).
      await db.deleteFrom('identity_link').where('subject', '=', 'elena-verified').execute()
      const stranger = await newPage()
      await signInAsPerson(stranger, 'elena')
      await bind(stranger, 'kuznetsova.e')
      t.equal(pathOf(stranger), '/account', 'the stranger is signed in through the binding')
      t.match(await mainText(stranger), /Учётная запись Госуслуг не была подтверждена, когда её привязали паролем/)
      await shot(stranger, 'unverified-binding')

      /** "Forgot your password?" → "Through State Services" → `person`: where the bridge lands. */
      const recoverAs = async (page: Page, person: string) => {
        await page.goto(`${bridgeUrl}/login?region=29`)
        await page.getByRole('link', { name: 'Забыли пароль?' }).click()
        await page.getByRole('link', { name: 'Войти через Госуслуги' }).click()
        const answer = page.waitForResponse(
          (response) => new URL(response.url()).pathname === '/login/state-services/callback',
        )
        await page.locator(`button[name="person"][value="${person}"]`).click()
        const status = (await answer).status()
        await page.waitForLoadState()
        return status
      }
      const recovery = await newPage()
      t.equal(
        await recoverAs(recovery, 'elena'),
        403,
        'the binding of an unconfirmed account cannot reset the password',
      )
      t.match(await mainText(recovery), /recovery_not_linked/)
      await shot(recovery, 'unverified-recovery-refused')

      const owner = await newPage()
      t.equal(await signInWithPassword(owner, 'kuznetsova.e', demoPassword), 303)
      await owner.goto(`${bridgeUrl}/account`)
      await owner.getByLabel('Текущий пароль').fill(demoPassword)
      await owner.getByLabel('Новый пароль').fill('Пароль-Елены-2026')
      await owner.getByLabel('Повторите пароль').fill('Пароль-Елены-2026')
      await owner.getByRole('button', { name: 'Сменить пароль' }).click()
      await owner.waitForURL((url) => url.searchParams.get('notice') === 'password_changed')
      t.match(await owner.getByRole('status').innerText(), /Пароль изменён/)
      const ended = owner.locator('h3:has-text("Привязки, отменённые при смене пароля") + ul > li')
      t.equal(await ended.count(), 1, 'the owner sees the link that ended')
      t.match(await ended.first().innerText(), /Госуслуги · Архангельская область, привязаны паролем от дневника/)
      await shot(owner, 'unverified-binding-ended')
      t.same(await linksOf('kuznetsova.e'), [], 'the binding is gone')

      await stranger.reload()
      t.equal(pathOf(stranger), '/login', 'the stranger is signed out')
      t.equal(await recoverAs(await newPage(), 'elena'), 403, 'and State Services recovery still answers "not linked"')
    },
  )
}
