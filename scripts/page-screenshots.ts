/*
 * Full-page screenshots of the pages a parent reads, for comparing wording and layout before and after
 * a change: `node --import tsx scripts/page-screenshots.ts <prefix>` writes test-results/<prefix>-<page>.png.
 * It starts the browser-test world (the bridge on a free port, the demo accounts, the state-services
 * simulator, Debian's Chromium) and clicks through: the region page, a failed sign-in (and its language
 * switch), the binding page (first diary, and "link another diary"), the account page after a password
 * sign-in (with a confirmed e-mail and a link, and without a link), and the error page of a cancelled
 * State Services login.
 */
import type { Page } from 'playwright-core'
import { createMailbox } from '../demo/mailbox.js'
import { chromiumInstalled, chromiumPath, startChromiumWorld } from '../test/helpers/chromium-world.js'

const prefix = process.argv[2] ?? 'pages'
if (!chromiumInstalled()) {
  process.stderr.write(`no Chromium at ${chromiumPath}\n`)
  process.exit(1)
}

const teardowns: (() => unknown)[] = []
const t = { teardown: (fn: () => unknown) => void teardowns.push(fn) }
const mailbox = createMailbox()

try {
  const world = await startChromiumWorld(t, { senders: { mail: mailbox, sms: mailbox } })
  const { bridgeUrl, db } = world
  const shot = async (page: Page, name: string) => {
    await world.shot(page, `${prefix}-${name}`)
    process.stdout.write(`test-results/${prefix}-${name}.png\n`)
  }
  const passwordSignIn = async (page: Page, login: string, password: string) => {
    await page.goto(`${bridgeUrl}/login?region=29`)
    await page.locator('#login').fill(login)
    await page.locator('#password').fill(password)
    await page.locator('form[action="/login/password"] button[type="submit"]').click()
    await page.waitForLoadState()
  }
  const toSimulator = async (page: Page) => {
    await page.goto(`${bridgeUrl}/login?region=29`)
    await page.locator('a.state-services').click()
    await page.locator('button[name="person"]').first().waitFor()
  }

  const regionPage = await world.newPage()
  await regionPage.goto(`${bridgeUrl}/login?choose=1`)
  await shot(regionPage, 'region')

  const failed = await world.newPage()
  await passwordSignIn(failed, 'ivanova.m', 'not-the-password')
  await shot(failed, 'failed-sign-in')
  await failed.locator('header a.lang').click()
  await failed.waitForLoadState()
  await shot(failed, 'failed-sign-in-en')

  const binding = await world.newPage()
  await toSimulator(binding)
  await binding.locator('button[name="person"][value="elena"]').click()
  await binding.locator('#login').waitFor()
  await shot(binding, 'binding')
  await binding.locator('#login').fill('kuznetsova.e')
  await binding.locator('#password').fill('diary-demo')
  await binding.locator('form[action="/link"] button[type="submit"]').click()
  await binding.waitForURL(/\/account/)

  await db
    .updateTable('diary_account')
    .set({ email: 'elena.kuznetsova@example.ru', email_verified_at: new Date() })
    .where('login', '=', 'kuznetsova.e')
    .execute()
  const account = await world.newPage()
  await passwordSignIn(account, 'kuznetsova.e', 'diary-demo')
  await account.waitForURL(/\/account/)
  await shot(account, 'account')

  const unlinked = await world.newPage()
  await passwordSignIn(unlinked, 'smirnov.a', 'diary-demo')
  await unlinked.waitForURL(/\/account/)
  await shot(unlinked, 'account-without-link')

  const another = await world.newPage()
  await toSimulator(another)
  await another.locator('button[name="person"][value="maria"]').click()
  await another.waitForURL(/\/account/)
  await another.locator('form[action="/account/link-another"] button').click()
  await another.locator('button[name="person"][value="maria"]').click()
  await another.locator('#login').waitFor()
  await shot(another, 'binding-another')

  const error = await world.newPage()
  await toSimulator(error)
  await error.locator('form[action$="/abort"] button').click()
  await error.locator('[role="alert"]').waitFor()
  await shot(error, 'error')
} finally {
  for (const teardown of teardowns.reverse()) await teardown()
}
