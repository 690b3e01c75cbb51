/*
 * "Log in through State Services" through ESIA in a real browser (Debian's Chromium driven by
 * playwright-core), region 29 on the ESIA simulator: from the demo diary module through the bridge and
 * ESIA's person page back to the diary signed in, and out again through ESIA's logout; an ESIA error
 * chosen on ESIA's page shows the bridge's page with its next step.
 * Skipped, with the reason printed, where no Chromium is installed (.ci/run installs it).
 */
import t, { type Test } from 'tap'
import type { Page } from 'playwright-core'
import { stateServicesCallbackPath } from '../../src/regions/registry.js'
import { requireChromium, startChromiumWorld } from '../helpers/chromium-world.js'

if (requireChromium(t)) await run()

async function run() {
  const world = await startChromiumWorld(t, { stateServices: 'esia' })
  const { bridgeUrl, diaryUrl, db, newPage } = world
  const { esia } = world
  if (esia === undefined) throw new Error('the world has no ESIA simulator')
  const esiaOrigin = new URL(esia.url).origin
  const shot = (page: Page, name: string) => world.shot(page, `esia-${name}`)
  const originOf = (page: Page) => new URL(page.url()).origin

  /** From the region page of 29, the State Services button; answers on ESIA's person page. */
  async function toEsia(t: Test, page: Page): Promise<void> {
    await page.getByRole('link', { name: 'Войти через Госуслуги' }).click()
    await page.getByRole('heading', { name: 'Госуслуги — симулятор ЕСИА' }).waitFor()
    t.equal(originOf(page), esiaOrigin, 'on ESIA’s page')
  }

  t.test('from the diary module through ESIA as maria, back signed in; out again through ESIA’s logout', async (t) => {
    const page = await newPage()
    await page.goto(diaryUrl)
    await page.getByRole('link', { name: 'Войти' }).click()
    await page.getByRole('link', { name: 'Архангельская область' }).click()
    t.equal(originOf(page), bridgeUrl, 'the bridge’s region page')
    await toEsia(t, page)
    await shot(page, '01-person-page')
    await page.locator('button[name="person"][value="maria"]').click()
    await page.waitForURL(`${diaryUrl}/`)
    const body = await page.locator('body').innerText()
    t.match(body, /Вы вошли как Иванова Мария Петровна/)
    t.match(body, /Регион: 29/)
    await shot(page, '02-diary-page')
    const link = await db
      .selectFrom('identity_link')
      .innerJoin('diary_account', 'diary_account.id', 'identity_link.account_id')
      .select(['identity_link.issuer', 'identity_link.subject', 'identity_link.method'])
      .where('diary_account.login', '=', 'ivanova.m')
      .executeTakeFirst()
    t.same(link, { issuer: esia.issuer, subject: '1000300001', method: 'auto_snils' }, 'linked by ESIA’s OID')

    const visited: string[] = []
    page.on('request', (request) => {
      if (request.isNavigationRequest())
        visited.push(
          new URL(request.url()).origin === esiaOrigin
            ? `ESIA ${new URL(request.url()).pathname}`
            : new URL(request.url()).pathname,
        )
    })
    await page.getByRole('link', { name: 'Выйти' }).click()
    await page.waitForURL(`${diaryUrl}/`)
    await page.getByText('Вы не вошли.').waitFor()
    t.same(
      visited,
      ['/logout', '/logout', 'ESIA /idp/ext/Logout', '/logout/done', '/'],
      'the diary, the bridge, ESIA, the bridge, the diary',
    )
    await page.goto(`${bridgeUrl}/account`)
    t.equal(new URL(page.url()).pathname, '/login', 'signed out of the bridge too')
  })

  t.test('an ESIA error chosen on ESIA’s page: the bridge’s page says what happened and what to do next', async (t) => {
    const page = await newPage()
    await page.goto(`${bridgeUrl}/login?region=29`)
    await toEsia(t, page)
    await page.locator('select[name="fail"]').selectOption('007055')
    const callback = page.waitForResponse((response) => new URL(response.url()).pathname === stateServicesCallbackPath)
    await page.getByRole('button', { name: 'Ответить ошибкой' }).click()
    t.equal((await callback).status(), 403)
    await page.waitForLoadState()
    t.equal(originOf(page), bridgeUrl, 'back at the bridge')
    t.match(await page.getByRole('alert').innerText(), /Ваша учётная запись на Госуслугах не подтверждена/)
    const main = await page.locator('main').innerText()
    t.match(main, /Подтвердите её в центре обслуживания с паспортом и СНИЛС/, 'the next step')
    t.match(main, /Для службы поддержки: код ошибки provider_account_unconfirmed/)
    t.notMatch(main, /ESIA-|Login with an unconfirmed account/, 'not ESIA’s own text')
    await shot(page, '03-unconfirmed')
    await page.getByRole('link', { name: 'Начать вход заново' }).click()
    await page.getByRole('link', { name: 'Войти через Госуслуги' }).waitFor()
    t.equal(new URL(page.url()).searchParams.get('region'), '29', 'back at the region’s login page')
    t.ok(await page.getByLabel('Логин или СНИЛС').isVisible(), 'with the password form as the other way in')
  })
}
