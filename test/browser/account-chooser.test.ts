/*
 * Several diaries per State Services person in a real browser (Debian's Chromium, playwright-core):
 * Мария has a diary in region 78 and two in region 29 (two schools); regions 29 and 78 sign in
 * through one provider. She links her second school's diary from the account page; afterwards the 29
 * login asks which diary, the 78 one does not. Skipped, with the reason printed, without Chromium.
 */
import { schoolId } from '../helpers/schools.js'
import t from 'tap'
import type { Page } from 'playwright-core'
import { requireChromium, startChromiumWorld } from '../helpers/chromium-world.js'

if (requireChromium(t)) await run()

async function run() {
  const world = await startChromiumWorld(t, { stateServicesIn78: true })
  const { diaryUrl, db, newPage } = world
  const { password_hash } = await db
    .selectFrom('diary_account')
    .select('password_hash')
    .where('login', '=', 'ivanova.m')
    .where('region', '=', '29')
    .executeTakeFirstOrThrow()
  const gym6 = await db
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
    .returning('id')
    .executeTakeFirstOrThrow()

  /** From the diary module through the region's page and State Services as Мария. */
  async function signInFromDiary(page: Page, region: string) {
    await page.goto(diaryUrl)
    await page.getByRole('link', { name: 'Войти' }).click()
    await page.getByRole('link', { name: region }).click()
    await page.getByRole('link', { name: 'Войти через Госуслуги' }).click()
    await page.locator('button[name="person"][value="maria"]').click()
  }
  const signedInAs = async (page: Page) => {
    await page.waitForURL(`${diaryUrl}/`)
    return page.locator('body').innerText()
  }

  t.test('one diary per region: straight in, in 29 and in 78', async (t) => {
    const page = await newPage()
    await signInFromDiary(page, 'Архангельская область')
    t.match(await signedInAs(page), /Вы вошли как Иванова Мария Петровна.*Регион: 29/s)
    const other = await newPage()
    await signInFromDiary(other, 'Санкт-Петербург')
    t.match(await signedInAs(other), /Регион: 78/s, 'the 78 page signs in to the 78 diary, not the 29 one')
  })

  t.test('the account page lists her diaries and links the second school’s', async (t) => {
    const page = await newPage()
    await signInFromDiary(page, 'Архангельская область')
    await signedInAs(page)
    await page.getByRole('link', { name: 'Вход и привязка Госуслуг' }).click()
    await page.getByRole('heading', { name: 'Дневники, привязанные к вашим Госуслугам' }).waitFor()
    const before = await page.locator('main').innerText()
    t.match(before, /Школа № 1 · ученик · Мария П\. И\. этот дневник/)
    t.match(before, /Санкт-Петербург/)
    await page.getByRole('button', { name: 'Привязать ещё один дневник' }).click()
    await page.locator('button[name="person"][value="maria"]').click()
    await page.getByRole('heading', { name: 'Привяжите дневник к Госуслугам' }).waitFor()
    await page.getByLabel('Логин или СНИЛС').fill('ivanova.m.gym6')
    await page.getByLabel('Пароль от дневника').fill('diary-demo')
    await page.getByRole('button', { name: 'Привязать дневник' }).click()
    await page.getByText('Дневник привязан к вашей учётной записи Госуслуг.').waitFor()
    t.match(await page.locator('main').innerText(), /Гимназия № 6 · ученик · Мария П\. И\./)
    await world.shot(page, 'chooser-01-account-page')
  })

  t.test('two diaries in 29: the chooser, the last choice first next time; 78 stays straight in', async (t) => {
    const page = await newPage()
    await signInFromDiary(page, 'Архангельская область')
    await page.getByRole('heading', { name: 'Выберите дневник' }).waitFor()
    const buttons = page.locator('main form button')
    t.same(await buttons.allInnerTexts(), [
      'Школа № 1, 7А · ученик · Мария П. И.',
      'Гимназия № 6, 7В · ученик · Мария П. И.',
    ])
    await world.shot(page, 'chooser-02-first-time')
    await page.getByRole('button', { name: /Гимназия № 6/ }).click()
    t.match(await signedInAs(page), new RegExp(`Идентификатор \\(sub\\): ${gym6.id}`), 'signed in to the chosen diary')

    const again = await newPage()
    await signInFromDiary(again, 'Архангельская область')
    await again.getByRole('heading', { name: 'Выберите дневник' }).waitFor()
    t.same(
      (await again.locator('main form button').allInnerTexts())[0],
      'Гимназия № 6, 7В · ученик · Мария П. И.',
      'the last choice first',
    )
    t.match(await again.locator('main').innerText(), /выбран в прошлый раз/)
    await world.shot(again, 'chooser-03-remembered')

    const spb = await newPage()
    await signInFromDiary(spb, 'Санкт-Петербург')
    t.match(await signedInAs(spb), /Регион: 78/s, 'no chooser where there is one diary')
  })
}
