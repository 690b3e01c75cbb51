/*
 * The school console in a real browser (issue 27). Кузнецова Е. В. (a teacher of Школа № 1, region 29) is
 * made the school admin of her school; she signs in with her password alone, and the console asks
 * «Подтвердите, что это вы»: she sets up a code app there (the test computes the codes, as her phone
 * would) and is back in the console. Then, in that one console session: she finds the pupil Иванова,
 * issues a temporary password as a login slip (the PDF download is read back with pdftotext and a page
 * drawn with pdftoppm), prints the slips of class 7А, lifts the block of a parent who mistyped his
 * password, removes a wrong State Services link, cannot open another school's pupil (404), and, made a
 * region operator too, sees the region overview's charts. Screenshots and PDFs go to
 * test-results/console/. Skipped, with the reason printed, where Chromium or poppler-utils is missing.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import * as OTPAuth from 'otpauth'
import type { Page } from 'playwright-core'
import t, { type Test } from 'tap'
import { findAccountByLogin } from '../../src/accounts/account.repository.js'
import { grantOperatorRole } from '../../src/console/operator.repository.js'
import { requireChromium, startChromiumWorld } from '../helpers/chromium-world.js'

const dir = join('test-results', 'console')
const pdftotext = '/usr/bin/pdftotext'

if (!existsSync(pdftotext)) {
  t.comment(`console browser tests skipped: no ${pdftotext} (apt-get install -y poppler-utils)`)
  t.plan(0, 'no poppler-utils installed')
} else if (requireChromium(t)) await run()

const codeAt = (secret: string, at: number) =>
  new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({
    timestamp: at,
  })

/** A file written by the test and big enough to hold something: a screenshot, a PDF, a page image. */
const assertFile = (t: Test, file: string, minBytes: number) => {
  const size = statSync(file, { throwIfNoEntry: false })?.size ?? 0
  t.ok(size >= minBytes, `${file}: ${size} bytes (at least ${minBytes})`)
}

async function run() {
  const world = await startChromiumWorld(t)
  const { bridgeUrl, db, newPage } = world
  mkdirSync(dir, { recursive: true })
  const account = async (login: string) => {
    const found = await findAccountByLogin(db, '29', login)
    if (found === undefined) throw new Error(`the demo account ${login} is missing`)
    return found
  }
  const admin = await account('kuznetsova.e')
  if (admin.schoolId === null) throw new Error('the demo teacher has no school')
  const school = admin.schoolId

  const shot = async (t: Test, page: Page, name: string) => {
    const file = join(dir, `${name}.png`)
    // Headless Chromium under load (tap runs the browser files side by side) now and then answers
    // "Unable to capture screenshot" right after a navigation: one more try after a moment.
    await page
      .screenshot({ path: file, fullPage: true })
      .catch(() => page.waitForTimeout(500).then(() => page.screenshot({ path: file, fullPage: true })))
    assertFile(t, file, 5_000)
  }
  const passwordStep = async (page: Page, login: string, password = 'diary-demo') => {
    await page.goto(`${bridgeUrl}/login?region=29`)
    await page.getByLabel('Логин или СНИЛС').fill(login)
    await page.getByLabel('Пароль').fill(password)
    await page.getByRole('button', { name: 'Войти', exact: true }).click()
    await page.waitForLoadState()
  }
  /** The action form whose button says `button`: its reason, its confirmation box, its button. */
  const act = async (page: Page, button: string, reason: string) => {
    const form = page.locator('form', { has: page.getByRole('button', { name: button, exact: true }) }).first()
    await form.getByLabel('Причина (попадает в журнал)').fill(reason)
    await form.getByLabel('Да, я проверил(а), что это нужный человек').check()
    return form.getByRole('button', { name: button, exact: true })
  }

  // The school admin's one console session, opened by the first test and used by the others.
  let consolePage = undefined as unknown as Page

  t.test('a password-only session is asked to confirm; she sets up a code app there and is back', async (t) => {
    const granted = await grantOperatorRole(db, {
      accountId: admin.id,
      role: 'school-admin',
      region: '29',
      schoolId: school,
      grantedBy: 'test',
    })
    t.equal(granted.kind, 'granted', 'kuznetsova.e is the school admin of Школа № 1')
    consolePage = await newPage()
    const page = consolePage
    await passwordStep(page, 'kuznetsova.e')
    t.notMatch(page.url(), /\/login/, 'her password alone signs her in to the bridge')
    const refused = await page.goto(`${bridgeUrl}/console`)
    t.equal(refused?.status(), 401, 'the console does not open')
    t.match(await page.textContent('h1'), /Подтвердите, что это вы/)
    t.match(await page.textContent('main'), /только после надёжного входа/, 'the page says why')
    t.notMatch(await page.textContent('main'), /Иванова|7А/, 'and shows nothing of the school')
    await shot(t, page, 'confirm')
    await page.getByRole('button', { name: 'Подтвердить вход' }).click()
    await page.waitForURL(/\/login\/factor\/enrol$/)
    await page.getByRole('link', { name: 'Приложение для одноразовых кодов' }).click()
    const secret = (await page.locator('code[data-secret]').getAttribute('data-secret')) ?? ''
    await page.getByLabel('Код из приложения').fill(codeAt(secret, Date.now()))
    await page.getByRole('button', { name: 'Подтвердить' }).click()
    await page.waitForSelector('ol.codes')
    await page.getByRole('button', { name: 'Продолжить' }).click()
    await page.waitForURL(`${bridgeUrl}/console`)
    t.match(await page.textContent('main'), /Школа № 1/, 'the console of her school')
    await shot(t, page, 'home')
  })

  t.test('she finds Иванова, opens her card and downloads her login slip', async (t) => {
    const page = consolePage
    await page.getByLabel('Фамилия, имя или логин').fill('Иванова')
    await page.getByRole('button', { name: 'Найти' }).click()
    await page.waitForURL(/\/console\/accounts\?/)
    await shot(t, page, 'search')
    await page.getByRole('link', { name: 'Иванова Мария Петровна' }).click()
    await page.waitForURL(/\/console\/accounts\/[0-9a-f-]{36}$/)
    t.match(await page.textContent('dl.card'), /ivanova\.m/)
    await shot(t, page, 'card')
    const button = await act(page, 'Выдать временный пароль и скачать памятку (PDF)', 'потеряла памятку')
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()])
    t.equal(download.suggestedFilename(), 'slip-ivanova.m.pdf')
    const pdf = join(dir, 'slip.pdf')
    await download.saveAs(pdf)
    assertFile(t, pdf, 5_000)
    const text = execFileSync(pdftotext, ['-layout', pdf, '-'], { encoding: 'utf8' })
    t.match(text, /ivanova\.m/, 'the login is printed')
    t.match(text, /Иванова/, 'and the Cyrillic name')
    execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', '-singlefile', pdf, join(dir, 'slip-page')])
    assertFile(t, join(dir, 'slip-page.png'), 5_000)
    t.equal((await account('ivanova.m')).mustChangePassword, true, 'she chooses her own password next time')
  })

  t.test("she prints the slips of class 7А: the new password's pupil is on them", async (t) => {
    const page = consolePage
    await page.goto(`${bridgeUrl}/console/schools/${school}`)
    const item = page.locator('li', { hasText: '7А' })
    await item.getByLabel('Причина (попадает в журнал)').fill('начало года')
    await item.getByLabel('Да, я проверил(а), что это нужный человек').check()
    await shot(t, page, 'school')
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      item.getByRole('button', { name: 'Памятки для класса' }).click(),
    ])
    t.equal(download.suggestedFilename(), 'slips-7А.pdf', 'the class in the file name, in Cyrillic')
    const pdf = join(dir, 'class-slips.pdf')
    await download.saveAs(pdf)
    assertFile(t, pdf, 5_000)
    t.match(execFileSync(pdftotext, ['-layout', pdf, '-'], { encoding: 'utf8' }), /ivanova\.m/)
  })

  t.test('she lifts the block of a parent who mistyped his password', async (t) => {
    const parent = await account('ivanov.p')
    const attempts = await newPage()
    for (let i = 0; i < world.config.bridge.throttling.accountFailures; i++)
      await passwordStep(attempts, 'ivanov.p', 'wrong-password')
    const page = consolePage
    await page.goto(`${bridgeUrl}/console/accounts/${parent.id}`)
    t.match(await page.textContent('dl.card'), /заблокировано до [^\n]*\d{1,2}:\d{2}/, 'the card says until when')
    await shot(t, page, 'blocked')
    await (await act(page, 'Снять блокировку', 'позвонил родитель')).click()
    await page.waitForLoadState()
    t.match(await page.textContent('.notice'), /Блокировка снята/)
    t.match(await page.textContent('dl.card'), /Вход не заблокирован/)
    await shot(t, page, 'unblocked')
    await passwordStep(attempts, 'ivanov.p')
    t.notMatch(attempts.url(), /\/login/, 'the parent signs in again')
  })

  t.test('she removes a wrong State Services link', async (t) => {
    const parent = await account('ivanov.p')
    await db
      .insertInto('identity_link')
      .values({
        issuer: 'https://esia.example/',
        subject: 'wrong-person',
        account_id: parent.id,
        method: 'password',
        evidence: JSON.stringify({}),
        verified: false,
      })
      .execute()
    const page = consolePage
    await page.goto(`${bridgeUrl}/console/accounts/${parent.id}`)
    t.match(await page.textContent('main'), /по паролю дневника/, 'the card shows the link')
    await (await act(page, 'Удалить эту связь', 'чужая учётная запись Госуслуг')).click()
    await page.waitForLoadState()
    t.match(await page.textContent('.notice'), /Связь удалена/)
    t.match(await page.textContent('main'), /не связана/)
    await shot(t, page, 'link-removed')
    const left = await db.selectFrom('identity_link').select('id').where('account_id', '=', parent.id).execute()
    t.same(left, [], 'no link left')
  })

  t.test("another school's pupil is a 404 page", async (t) => {
    const other = await account('smirnov.a')
    const response = await consolePage.goto(`${bridgeUrl}/console/accounts/${other.id}`)
    t.equal(response?.status(), 404)
    t.notMatch(await consolePage.textContent('body'), /Смирнов|smirnov|Гимназия/, 'nothing of him')
    await shot(t, consolePage, 'other-school-404')
  })

  t.test('made a region operator too, she sees the region overview', async (t) => {
    const operator = await grantOperatorRole(db, {
      accountId: admin.id,
      role: 'region-operator',
      region: '29',
      schoolId: null,
      grantedBy: 'test',
    })
    t.equal(operator.kind, 'granted')
    const page = consolePage
    await page.goto(`${bridgeUrl}/console`)
    await page.getByRole('link', { name: 'Обзор региона 29' }).click()
    await page.waitForURL(/\/console\/overview\?region=29$/)
    t.ok((await page.locator('svg[role=img]').count()) >= 3, 'the charts are drawn')
    t.match(await page.textContent('main'), /Заблокировано сейчас: 0/, 'nobody blocked now')
    await shot(t, page, 'overview')
  })
}
