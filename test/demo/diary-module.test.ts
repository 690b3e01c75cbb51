/*
 * The demo diary module signs people in through a scripted OpenID provider standing in for the bridge
 * (its ID tokens carry `sid`), and a logout token POSTed to /backchannel-logout ends the session of
 * that sid, only that one.
 */
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { startDiaryModule } from '../../demo/diary-module.js'
import { startFakeIdp } from '../../peers/fake-idp.js'
import { freePort } from '../helpers/spawn.js'

const idp = await startFakeIdp({ clientId: 'demo-diary', clientSecret: 'demo-diary-secret' })
t.teardown(() => idp.close())
const diary = await startDiaryModule({
  port: await freePort(),
  bridgeUrl: idp.issuer,
  clientId: 'demo-diary',
  clientSecret: 'demo-diary-secret',
  host: 'localhost',
})
t.teardown(() => diary.app.close())

/** Signs in without a browser (the provider answers /authorize at once); returns the diary's session cookie. */
async function signIn(sid: string): Promise<string> {
  idp.script({ idTokenClaims: (claims) => ({ ...claims, sid }) })
  const login = await fetch(`${diary.url}/login`, { redirect: 'manual' })
  const authorize = await fetch(login.headers.get('location')!, { redirect: 'manual' })
  const callback = await fetch(authorize.headers.get('location')!, { redirect: 'manual' })
  const cookie = callback.headers.getSetCookie().find((value) => value.startsWith('demo-diary='))
  if (cookie === undefined) throw new Error(`no session: ${callback.status} ${await callback.text()}`)
  return cookie.split(';')[0]!
}

const signedIn = async (cookie: string) =>
  (await (await fetch(`${diary.url}/`, { headers: { cookie } })).text()).includes('Вы вошли как')

const logoutToken = (claims: Record<string, unknown>) => {
  const iat = Math.floor(Date.now() / 1000)
  return idp.sign(
    {
      iss: idp.issuer,
      aud: 'demo-diary',
      iat,
      exp: iat + 120,
      jti: randomUUID(),
      sub: 'fake-person-1',
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
      ...claims,
    },
    { typ: 'logout+jwt' },
  )
}

const postLogout = (token: string) =>
  fetch(`${diary.url}/backchannel-logout`, { method: 'POST', body: new URLSearchParams({ logout_token: token }) })

t.test('a valid logout token ends the session with its sid, and no other', async (t) => {
  const first = await signIn('bridge-session-1')
  const second = await signIn('bridge-session-2')
  t.ok(await signedIn(first))
  t.ok(await signedIn(second))
  const response = await postLogout(await logoutToken({ sid: 'bridge-session-1' }))
  t.equal(response.status, 200)
  t.notOk(await signedIn(first), 'the session of that sid ended')
  t.ok(await signedIn(second), 'the other session goes on')
})

t.test('without sid, every session of the sub ends', async (t) => {
  const cookies = [await signIn('bridge-session-3'), await signIn('bridge-session-4')]
  t.equal((await postLogout(await logoutToken({}))).status, 200)
  for (const cookie of cookies) t.notOk(await signedIn(cookie))
})

t.test('an invalid logout token is 400 and ends nothing', async (t) => {
  const cookie = await signIn('bridge-session-5')
  const refused = [
    await logoutToken({ sid: 'bridge-session-5', aud: 'another-client' }),
    await logoutToken({ sid: 'bridge-session-5', nonce: 'n' }),
    await logoutToken({ sid: 'bridge-session-5', events: {} }),
  ]
  for (const token of refused) {
    const response = await postLogout(token)
    t.equal(response.status, 400)
    t.match(await response.json(), { error: 'invalid_request' })
  }
  const valid = await logoutToken({ sid: 'other-session' })
  t.equal((await postLogout(valid)).status, 200)
  t.equal((await postLogout(valid)).status, 400, 'a replayed token')
  t.ok(await signedIn(cookie))
})
