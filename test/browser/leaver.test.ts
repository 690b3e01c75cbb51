/*
 * A leaver in a real browser: a pupil signed in to two diary modules (one bridge session) is deactivated
 * by the diary system over SCIM; within 5 seconds both modules received a logout token and show her
 * signed out, her old access token is refused by /userinfo, /introspect and a module's own verifier
 * (the revocation list), her refresh token is refused, and the sign-in page says the school closed
 * access, for the password and for State Services; reactivated over SCIM, she signs in again.
 * Skipped, with the reason printed, where no Chromium is installed (.ci/run installs it).
 */
import t from 'tap'
import type { Page } from 'playwright-core'
import { createVerifier, type TokenVerificationError } from '../../src/verify/index.js'
import { requireChromium, scimSecret, startChromiumWorld } from '../helpers/chromium-world.js'
import { waitUntil } from '../helpers/spawn.js'

if (requireChromium(t)) await run()

interface ScimAnswer {
  active?: boolean
  Resources?: { id: string }[]
}

async function run() {
  const world = await startChromiumWorld(t, { secondDiary: true })
  const { bridgeUrl, diaryUrl, newPage } = world
  const second = world.secondDiary!
  const scim = 'application/scim+json'

  const token = await (async () => {
    const response = await fetch(`${bridgeUrl}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`diary-sync:${scimSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=scim',
    })
    return ((await response.json()) as { access_token: string }).access_token
  })()
  const scimCall = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${bridgeUrl}/scim/v2${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': scim, accept: scim },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: response.status, body: (await response.json().catch(() => ({}))) as ScimAnswer }
  }
  const setActive = (id: string, active: boolean) =>
    scimCall('PATCH', `/Users/${id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'active', value: active }],
    })

  async function signInTo(page: Page, moduleUrl: string, viaStateServices: boolean) {
    await page.goto(moduleUrl)
    await page.getByRole('link', { name: 'Войти' }).click()
    if (new URL(page.url()).origin === moduleUrl) return // signed in at the bridge already: straight back
    await page.getByRole('link', { name: 'Архангельская область' }).click()
    if (viaStateServices) {
      await page.getByRole('link', { name: 'Войти через Госуслуги' }).click()
      await page.locator('button[name="person"][value="maria"]').click()
    } else {
      await page.getByLabel('Логин или СНИЛС').fill('ivanova.m')
      await page.getByLabel('Пароль').fill('diary-demo')
      await page.getByRole('button', { name: 'Войти', exact: true }).click()
    }
  }

  t.test(
    'deactivated over SCIM: both modules signed out within 5 s, every token refused, the pages say so',
    async (t) => {
      const page = await newPage()
      await signInTo(page, diaryUrl, true)
      await page.waitForURL(`${diaryUrl}/`)
      await signInTo(page, second.url, true)
      await page.waitForURL(`${second.url}/`)
      t.same([world.diarySignedIn(), second.signedIn()], [1, 1], 'signed in to both modules')
      const [webTokens] = world.tokens['demo-diary']!
      const [secondTokens] = world.tokens['demo-diary-2']!
      const verifier = createVerifier({
        issuer: bridgeUrl,
        audience: 'https://diary.example/api',
        revocations: { refreshMs: 200 },
      })
      t.teardown(() => verifier.close())
      await verifier.verify(secondTokens!.accessToken)

      const found = await scimCall('GET', `/Users?filter=${encodeURIComponent('userName eq "ivanova.m"')}`)
      t.equal(found.status, 200)
      const id = found.body.Resources?.[0]?.id ?? ''
      const started = Date.now()
      const patched = await setActive(id, false)
      t.equal(patched.status, 200)
      t.equal(patched.body.active, false)

      await waitUntil(() => world.diarySignedIn() === 0 && second.signedIn() === 0, 'both modules signed out', 10_000)
      t.ok(Date.now() - started < 5000, `both modules got their logout token in ${Date.now() - started} ms (< 5 s)`)
      await page.goto(diaryUrl)
      await page.getByText('Вы не вошли.').waitFor()
      await page.goto(second.url)
      await page.getByText('Вы не вошли.').waitFor()

      const userinfo = await fetch(`${bridgeUrl}/userinfo`, {
        headers: { authorization: `Bearer ${webTokens!.accessToken}` },
      })
      t.equal(userinfo.status, 401, '/userinfo refuses the access token')
      const introspection = await fetch(`${bridgeUrl}/introspect`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from('demo-diary:browser-test-diary-secret').toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token: webTokens!.accessToken }).toString(),
      })
      t.same(await introspection.json(), { active: false }, '/introspect says inactive')
      let refused: TokenVerificationError | undefined
      await waitUntil(
        async () => {
          refused = await verifier.verify(secondTokens!.accessToken).then(
            () => undefined,
            (error: TokenVerificationError) => error,
          )
          return refused !== undefined
        },
        'the verifier to refuse the token',
        5000,
      )
      t.equal(refused?.code, 'token_revoked', "the module's verifier refuses it (the revocation list)")
      const refresh = await fetch(`${bridgeUrl}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from('demo-diary:browser-test-diary-secret').toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: webTokens!.refreshToken! }).toString(),
      })
      t.equal(refresh.status, 400, 'the refresh token is refused')

      for (const viaStateServices of [false, true]) {
        const fresh = await newPage()
        await signInTo(fresh, diaryUrl, viaStateServices)
        await fresh.getByText('Доступ к дневнику закрыт школой.').waitFor()
        t.match(
          await fresh.locator('body').innerText(),
          /обратитесь к ответственному сотруднику школы/,
          `the ${viaStateServices ? 'State Services' : 'password'} sign-in says who to ask`,
        )
        await world.shot(fresh, `leaver-closed-${viaStateServices ? 'state-services' : 'password'}`)
      }

      t.equal((await setActive(id, true)).status, 200, 'reactivated over SCIM')
      const back = await newPage()
      await signInTo(back, diaryUrl, true)
      await back.waitForURL(`${diaryUrl}/`)
      t.match(await back.locator('body').innerText(), /Вы вошли как Иванова Мария Петровна/, 'she signs in again')
    },
  )
}
