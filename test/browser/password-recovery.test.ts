/*
 * "Forgot your password?" in a real browser (Debian's Chromium driven by playwright-core), from a
 * diary module back to the diary page, through each way: the e-mail received by a real SMTP server and
 * its link opened in the browser, the SMS code delivered to a local HTTP gateway, and State Services.
 * Skipped, with the reason printed, where no Chromium is installed (.ci/run installs it).
 */
import { sql } from 'kysely'
import type { Page } from 'playwright-core'
import t from 'tap'
import { createHttpSmsGateway } from '../../src/notify/http-sms.js'
import { createSmtpMailer } from '../../src/notify/smtp-mailer.js'
import { requireChromium, startChromiumWorld } from '../helpers/chromium-world.js'
import { startSmsGateway, startSmtpCatcher } from '../helpers/mail-world.js'

if (requireChromium(t)) await run()

async function run() {
  const smtp = await startSmtpCatcher()
  t.teardown(() => smtp.close())
  const gateway = await startSmsGateway({ authorization: 'Bearer gateway-test-key' })
  t.teardown(() => gateway.close())
  const mail = createSmtpMailer({
    host: '127.0.0.1',
    port: smtp.port,
    secure: false,
    from: 'Дневник <no-reply@diary.example>',
    timeoutMs: 5000,
  })
  t.teardown(() => mail.close?.())
  const sms = createHttpSmsGateway({ url: gateway.url, authorization: 'Bearer gateway-test-key', timeoutMs: 5000 })
  const world = await startChromiumWorld(t, { senders: { mail, sms } })
  const { diaryUrl, newPage, db } = world
  await sql`update diary_account set email = 'maria.ivanova@example.ru', email_verified_at = now(), phone = '+79001234567', phone_verified_at = now() where login = 'ivanova.m'`.execute(
    db,
  )

  /** From the diary module to region 29's "Forgot your password?" page. */
  async function toRecovery(page: Page) {
    await page.goto(diaryUrl)
    await page.getByRole('link', { name: 'Войти' }).click()
    await page.getByRole('link', { name: 'Архангельская область' }).click()
    await page.getByRole('link', { name: 'Забыли пароль?' }).click()
    await page.getByRole('heading', { name: 'Восстановление пароля' }).waitFor()
  }

  /** The new-password step, then signing in with it, which ends on the diary page. */
  async function setAndSignIn(
    t: { match(found: unknown, wanted: RegExp): void },
    page: Page,
    login: string,
    password: string,
    shot: string,
  ) {
    await page.getByRole('heading', { name: 'Новый пароль' }).waitFor()
    await world.shot(page, `${shot}-new-password`)
    await page.getByLabel('Новый пароль', { exact: true }).fill(password)
    await page.getByLabel('Повторите пароль', { exact: true }).fill(password)
    await page.getByRole('button', { name: 'Сохранить пароль' }).click()
    await page.getByText('Пароль изменён').waitFor()
    await page.getByLabel('Логин или СНИЛС').fill(login)
    await page.getByLabel('Пароль от дневника').fill(password)
    await page.getByRole('button', { name: 'Войти', exact: true }).click()
    await page.waitForURL(`${diaryUrl}/`)
    t.match(await page.locator('body').innerText(), /Вы вошли как/)
  }

  t.test('by e-mail: the letter arrives at the SMTP server, its link opens in the browser', async (t) => {
    const page = await newPage()
    await toRecovery(page)
    await world.shot(page, 'recovery-01-ways')
    await page.getByLabel('Логин или СНИЛС').fill('ivanova.m')
    await page.getByRole('button', { name: 'Прислать ссылку на почту' }).click()
    await page.getByRole('heading', { name: 'Проверьте почту' }).waitFor()
    const letter = await smtp.next((message) => message.to === 'maria.ivanova@example.ru')
    t.match(letter.subject, /Восстановление пароля/)
    const link = /(http:\/\/localhost:\d+\/password\/reset\?token=[A-Za-z0-9_-]+)/.exec(letter.text)?.[1]
    if (link === undefined) throw new Error('no link in the letter')
    await page.goto(link)
    t.notMatch(page.url(), /token=/, 'the token left the address bar')
    await setAndSignIn(t, page, 'ivanova.m', 'Письмо-дошло-2026', 'recovery-02-email')
  })

  t.test('by SMS: the code arrives at the gateway and is typed in', async (t) => {
    const page = await newPage()
    await toRecovery(page)
    await page.getByLabel('Логин или СНИЛС').fill('112-233-445 95')
    await page.getByRole('button', { name: 'Прислать код по СМС' }).click()
    await page.getByRole('heading', { name: 'Введите код из СМС' }).waitFor()
    // The e-mail reset above was told to this phone first (an alert: no code in it).
    const alert = await gateway.next((sms) => sms.to === '+79001234567')
    t.equal(alert.text, 'Пароль от дневника изменён. Если это были не вы, обратитесь в школу')
    const message = await gateway.next((sms) => sms.to === '+79001234567')
    t.equal(message.authorization, 'Bearer gateway-test-key')
    const code = /\b(\d{6})\b/.exec(message.text)?.[1] ?? ''
    await page.getByLabel('Код из СМС').fill(code)
    await world.shot(page, 'recovery-03-sms-code')
    await page.getByRole('button', { name: 'Продолжить' }).click()
    await setAndSignIn(t, page, 'ivanova.m', 'Код-дошёл-2026', 'recovery-03-sms')
  })

  t.test('through State Services: the linking rules say whose diary it is', async (t) => {
    const page = await newPage()
    await toRecovery(page)
    await page.getByRole('link', { name: 'Войти через Госуслуги' }).click()
    await page.locator('button[name="person"][value="alexey"]').click()
    await setAndSignIn(t, page, 'smirnov.a', 'Госуслуги-2026', 'recovery-04-state-services')
  })
}
