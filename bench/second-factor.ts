/*
 * The second-factor rows of `npm run bench` (issue 26):
 * - password + one-time code sign-in: POST /login/password (→ /login/factor), then POST /login/factor/code
 *   with the app's code of now, 4 users in a closed loop; every sign-in is another teacher with a code app
 *   (a code counts once per account and time step), so the accounts are seeded by the thousand; CPU per
 *   completed sign-in, to compare with the password sign-in row (target: ≤ it + 1 ms)
 * - passkey assertion verification in process (factors/passkey.ts over @simplewebauthn/server, ES256):
 *   milliseconds per verification, the assertions made beforehand (target ≤ 2 ms)
 */
import { performance } from 'node:perf_hooks'
import * as OTPAuth from 'otpauth'
import type { Kysely } from 'kysely'
import { importAccounts, type ImportOptions } from '../src/accounts/import/import-accounts.js'
import type { Database } from '../src/db/schema.js'
import { factorSecretKey, sealFactorSecret } from '../src/factors/factor-secret.js'
import { confirmTotp, startTotp } from '../src/factors/factor.repository.js'
import { verifyPasskeyAssertion, verifyPasskeyRegistration } from '../src/factors/passkey.js'
import { createTotpSecret, totpStep } from '../src/factors/totp.js'
import { SoftAuthenticator } from '../peers/soft-authenticator.js'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LoadResult, Measure } from './lib.js'

export const secondFactorAccounts = 3000
const login = (index: number) => `bench-tf-${index}`

/** Teachers `bench-tf-0…` of region 29, each with the password and one code app (the same key: it is a bench). */
export async function seedSecondFactorAccounts(
  db: Kysely<Database>,
  options: {
    dir: string
    passwordHash: string
    snilsPepper: Buffer
    keyEncryptionKey: Buffer
    hasher: ImportOptions['hasher']
  },
): Promise<{ secret: string }> {
  const csv = join(options.dir, 'second-factor.csv')
  const rows = Array.from(
    { length: secondFactorAccounts },
    (_, i) => `${login(i)},"${options.passwordHash}",teacher,Учитель,Тест`,
  )
  writeFileSync(csv, `login,password_hash,role,family_name,given_name\n${rows.join('\n')}\n`)
  await importAccounts(db, {
    file: csv,
    format: 'csv',
    region: '29',
    snilsPepper: options.snilsPepper,
    hasher: options.hasher,
  })
  const secret = createTotpSecret()
  const sealed = sealFactorSecret(factorSecretKey(options.keyEncryptionKey), secret)
  const now = new Date()
  const ids = await db.selectFrom('diary_account').select('id').where('login', 'like', 'bench-tf-%').execute()
  for (const { id } of ids) {
    const factorId = await startTotp(db, id, 'Телефон', sealed)
    await confirmTotp(db, id, factorId, totpStep(now.getTime()) - 10, now)
  }
  return { secret }
}

const cookiesOf = (response: Response) =>
  new Map(
    response.headers.getSetCookie().map((header) => {
      const pair = header.split(';', 1)[0] ?? ''
      const at = pair.indexOf('=')
      return [pair.slice(0, at), pair.slice(at + 1)] as const
    }),
  )
const header = (jar: Map<string, string>) => [...jar].map(([name, value]) => `${name}=${value}`).join('; ')

/** 4 users signing in with password and code for `seconds`, each sign-in another account. */
export function passwordAndCode(
  bridgeUrl: string,
  state: { secret: string; next: number },
  password: string,
  seconds: number,
): Promise<LoadResult & { failures: number }> {
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(state.secret), digits: 6, period: 30 })
  const latencies: number[] = []
  let failures = 0
  const deadline = Date.now() + seconds * 1000
  const user = async () => {
    const page = await fetch(`${bridgeUrl}/login?region=29`)
    const base = cookiesOf(page)
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? ''
    while (Date.now() < deadline) {
      const index = state.next++
      if (index >= secondFactorAccounts) throw new Error('the bench ran out of second-factor accounts')
      const started = performance.now()
      const first = await fetch(`${bridgeUrl}/login/password`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: header(base), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, login: login(index), password }).toString(),
      })
      await first.arrayBuffer()
      const jar = new Map([...base, ...cookiesOf(first)])
      const second = await fetch(`${bridgeUrl}/login/factor/code`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: header(jar), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, code: totp.generate() }).toString(),
      })
      await second.arrayBuffer()
      if (first.headers.get('location') !== '/login/factor' || second.status !== 303) failures++
      else latencies.push(performance.now() - started)
    }
  }
  // As many users as the password row's connections (4 per argon2id worker): more are shed with 503.
  return Promise.all(Array.from({ length: 4 }, user)).then(() => {
    latencies.sort((a, b) => a - b)
    const at = (q: number) =>
      Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0)
    return {
      requestsPerSecond: (latencies.length + failures) / seconds,
      okPerSecond: latencies.length / seconds,
      completed: latencies.length,
      p50: at(0.5),
      p99: at(0.99),
      statusCodes: {},
      failures,
    }
  })
}

/** Milliseconds per passkey assertion verified in process (assertions made beforehand). */
export async function passkeyVerification(count = 2000): Promise<number> {
  const rpId = 'bench.example'
  const origin = 'https://bench.example'
  const authenticator = new SoftAuthenticator(rpId, origin)
  const registration = 'registration-challenge-of-the-bench'
  const made = await verifyPasskeyRegistration({
    response: authenticator.register(registration),
    expectedChallenge: registration,
    expectedOrigin: origin,
    rpId,
  })
  if (made === undefined) throw new Error('the bench passkey was not registered')
  const { publicKey } = made
  const challenges = Array.from({ length: count }, (_, i) =>
    Buffer.from(`challenge-${i}-${'x'.repeat(20)}`).toString('base64url'),
  )
  const assertions = challenges.map((challenge) => authenticator.assert(challenge, { flags: { userVerified: true } }))
  let signCount = 0
  const started = performance.now()
  for (const [i, assertion] of assertions.entries()) {
    const verified = await verifyPasskeyAssertion({
      response: assertion,
      expectedChallenge: challenges[i] as string,
      expectedOrigin: origin,
      rpId,
      credential: { id: authenticator.credentialId, publicKey, signCount, transports: ['internal'] },
    })
    if (verified === undefined) throw new Error('a bench assertion did not verify')
    signCount = verified.newSignCount
  }
  return (performance.now() - started) / count
}

export interface SecondFactorBench {
  signIn: Awaited<ReturnType<Measure>> & { result: LoadResult & { failures: number } }
  passkeyMs: number
}

export async function benchSecondFactor(
  bridgeUrl: string,
  state: { secret: string; next: number },
  password: string,
  measure: Measure,
): Promise<SecondFactorBench> {
  const signIn = await measure(() => passwordAndCode(bridgeUrl, state, password, 6))
  return { signIn, passkeyMs: await passkeyVerification() }
}
