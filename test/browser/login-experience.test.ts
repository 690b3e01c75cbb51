/*
 * The login experience in a real browser (Debian's Chromium driven by playwright-core): what a parent
 * clicks through, from a diary module to the diary page. Skipped, with the reason printed, where no
 * Chromium is installed (.ci/run installs it).
 */
import t from 'tap'
import type { Page } from 'playwright-core'
import { requireChromium, startChromiumWorld } from '../helpers/chromium-world.js'

if (requireChromium(t)) await run()

async function run() {
  const world = await startChromiumWorld(t)
  const { bridgeUrl, diaryUrl, newPage } = world
  const shot = (page: Page, name: string) => world.shot(page, `${name}`)

  t.test('from a diary module through State Services and a binding to the diary page', async (t) => {
    const page = await newPage()
    await page.goto(diaryUrl)
    await page.getByRole('link', { name: 'Войти' }).click()
    await t.resolves(page.getByRole('heading', { name: 'Выберите регион' }).waitFor())
    await shot(page, '01-select-region')
    await page.getByRole('link', { name: 'Архангельская область' }).click()
    await shot(page, '02-region-29-login')
    await page.getByRole('link', { name: 'Войти через Госуслуги' }).click()
    await page.locator('button[name="person"][value="elena"]').click()
    await page.getByRole('heading', { name: 'Привяжите дневник к Госуслугам' }).waitFor()
    t.match(
      await page.locator('main').innerText(),
      /не подтверждена.*центре обслуживания/s,
      'the page says why and what to do',
    )
    t.match(await page.locator('main').innerText(), /как Елена В\. К\.(?!\.)/, 'the masked name, with one full stop')
    await shot(page, '03-binding')
    await page.getByLabel('Логин или СНИЛС').fill('kuznetsova.e')
    await page.getByLabel('Пароль от дневника').fill('diary-demo')
    await page.getByRole('button', { name: 'Привязать и войти' }).click()
    await page.waitForURL(`${diaryUrl}/`)
    t.match(await page.locator('body').innerText(), /Вы вошли как Кузнецова Елена Викторовна/)
    await shot(page, '04-diary-page')
  })

  t.test(
    'the simulator asks for the person every time, and its sign-out goes straight back to the diary',
    async (t) => {
      const page = await newPage()
      const toStateServices = async () => {
        await page.goto(diaryUrl)
        await page.getByRole('link', { name: 'Войти' }).click()
        const region = page.getByRole('link', { name: 'Архангельская область' })
        const button = page.getByRole('link', { name: 'Войти через Госуслуги' })
        await region.or(button).first().waitFor()
        if (await region.isVisible()) await region.click()
        await button.click()
        await page.getByRole('heading', { name: 'Госуслуги — симулятор' }).waitFor()
      }
      await toStateServices()
      await page.locator('button[name="person"][value="sergey"]').click()
      await page.getByRole('heading', { name: 'Привяжите дневник к Госуслугам' }).waitFor()

      await toStateServices()
      t.pass('after an abandoned binding the simulator asks again')
      await page.locator('button[name="person"][value="petr"]').click()
      await page.waitForURL(`${diaryUrl}/`)
      t.match(
        await page.locator('body').innerText(),
        /Вы вошли как Иванов Пётр Сергеевич/,
        'the person picked this time',
      )

      const visited: string[] = []
      page.on('request', (request) => {
        if (!request.isNavigationRequest()) return
        const url = new URL(request.url())
        visited.push([bridgeUrl, diaryUrl].includes(url.origin) ? url.pathname : `simulator ${url.pathname}`)
      })
      await page.getByRole('link', { name: 'Выйти' }).click()
      await page.waitForURL(`${diaryUrl}/`)
      await page.getByText('Вы не вошли.').waitFor()
      t.same(
        visited,
        ['/logout', '/logout', 'simulator /session/end', 'simulator /session/end/confirm', '/logout/done', '/'],
        'no question at the simulator: its page submits itself',
      )

      await toStateServices()
      t.pass('after signing out the simulator asks again')
      await shot(page, 'simulator-person-page-again')
    },
  )

  t.test('a region without State Services shows no button, only the password form', async (t) => {
    const page = await newPage()
    await page.goto(`${bridgeUrl}/login?region=78`)
    t.equal(await page.getByRole('link', { name: /Госуслуг/ }).count(), 0, 'no State Services button')
    t.notMatch(await page.content(), /Госуслуг/, 'no mention of another region’s provider')
    t.ok(await page.getByLabel('Логин или СНИЛС').isVisible())
    await shot(page, '05-region-78')
  })

  t.test('the password form: a wrong password, then the right one', async (t) => {
    const page = await newPage()
    await page.goto(`${bridgeUrl}/login?region=29`)
    await page.getByLabel('Логин или СНИЛС').fill('ivanova.m')
    await page.getByLabel('Пароль от дневника').fill('not-the-password')
    await page.getByRole('button', { name: 'Войти', exact: true }).click()
    const alert = page.getByRole('alert')
    t.match(await alert.innerText(), /Неверный логин или пароль/)
    t.equal(await page.getByLabel('Логин или СНИЛС').inputValue(), 'ivanova.m', 'the login stays filled in')
    await shot(page, '06-wrong-password')
    await page.getByRole('link', { name: 'English' }).click()
    t.match(
      await page.getByRole('alert').innerText(),
      /Wrong login or password/,
      'the refusal stays in the other language',
    )
    t.equal(await page.getByLabel('Login or SNILS').inputValue(), 'ivanova.m', 'and so does the login')
    t.notMatch(page.url(), /ivanova|not-the-password/, 'neither is in the address')
    await page.getByRole('link', { name: 'Русский' }).click()
    await page.getByLabel('Пароль от дневника').fill('diary-demo')
    await page.getByRole('button', { name: 'Войти', exact: true }).click()
    await page.getByRole('heading', { name: 'Ваша учётная запись в дневнике' }).waitFor()
    t.match(await page.locator('main').innerText(), /Иванова Мария Петровна/)
  })

  t.test('after a password sign-in, "Привязать Госуслуги" on the account page links them', async (t) => {
    const page = await newPage()
    await page.goto(`${bridgeUrl}/login?region=29`)
    await page.getByLabel('Логин или СНИЛС').fill('smirnov.a')
    await page.getByLabel('Пароль от дневника').fill('diary-demo')
    await page.getByRole('button', { name: 'Войти', exact: true }).click()
    await page.getByRole('heading', { name: 'Ваша учётная запись в дневнике' }).waitFor()
    t.match(await page.locator('main').innerText(), /Госуслуги к этому дневнику не привязаны\./)
    await page.getByRole('button', { name: 'Привязать Госуслуги' }).click()
    await page.locator('button[name="person"][value="alexey"]').click()
    await page.getByText('Госуслуги привязаны к дневнику: теперь можно входить через них.').waitFor()
    t.equal(await page.getByRole('button', { name: 'Привязать Госуслуги' }).count(), 0, 'no button once linked')
    await shot(page, '09-state-services-linked')
  })

  t.test('switching the language', async (t) => {
    const page = await newPage()
    await page.goto(`${bridgeUrl}/login?region=29`)
    await page.getByRole('link', { name: 'English' }).click()
    await page.getByRole('heading', { name: 'Sign in to the diary' }).waitFor()
    t.ok(await page.getByRole('link', { name: 'Log in through State Services' }).isVisible())
    await page.goto(`${bridgeUrl}/login?choose=1`)
    t.ok(await page.getByRole('heading', { name: 'Select your region' }).isVisible(), 'the language is remembered')
    await shot(page, '07-english')
  })

  t.test('320 px wide, keyboard only, strict CSP', async (t) => {
    const page = await newPage({ width: 320 })
    const violations: string[] = []
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text())
    })
    const response = await page.goto(`${bridgeUrl}/login?region=29`)
    t.match(response?.headers()['content-security-policy'], /default-src 'none'/)
    t.ok(await page.evaluate('document.documentElement.scrollWidth <= 320'), 'no horizontal scrolling')
    const reached: string[] = []
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab')
      reached.push(
        String(await page.evaluate("document.activeElement?.id || document.activeElement?.textContent?.trim() || ''")),
      )
    }
    t.ok(reached.includes('login') && reached.includes('password'), `Tab reaches the fields: ${reached.join(' → ')}`)
    t.same(violations, [], 'the page loads nothing the policy forbids')
    await shot(page, '08-narrow')
  })
}
