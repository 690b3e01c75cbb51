/*
 * Password sign-in and token verification under password load (issue 5 targets):
 * - password sign-ins/s ≥ 85 % of the raw argon2id verify rate of a pool of the same size
 * - /userinfo (JWT verification with the bridge's keys) under saturated password sign-ins within 2× of idle
 */
import { availableParallelism } from 'node:os'
import { createPasswordHasher } from '../src/accounts/password-hash.js'
import { type CpuPerOperation, type LoadResult, load, type Measure, type RunningBridge } from './lib.js'

export interface PasswordBenchResult {
  rawVerifyPerSecond: number
  signIn: { result: LoadResult; cpu: CpuPerOperation }
  userinfoIdle: { result: LoadResult; cpu: CpuPerOperation }
  userinfoLoaded: LoadResult
  signInSaturated: LoadResult
  userinfoFlooded: LoadResult
  signInFlood: LoadResult
  workers: number
}

export const benchPassword = 'bench-password-1'

async function rawVerifyRate(workers: number, hash: string, seconds: number): Promise<number> {
  const hasher = createPasswordHasher({ workers, maxQueue: Number.POSITIVE_INFINITY })
  const deadline = Date.now() + seconds * 1000
  let done = 0
  await Promise.all(
    Array.from({ length: workers * 2 }, async () => {
      while (Date.now() < deadline) {
        await hasher.verify(hash, benchPassword)
        done++
      }
    }),
  )
  await hasher.close()
  return done / seconds
}

export async function benchPasswords(
  bridge: RunningBridge,
  prepared: { passwordHash: string; accessToken: string },
  measure: Measure,
): Promise<PasswordBenchResult> {
  const workers = Math.max(1, availableParallelism() - 1)
  const hash = prepared.passwordHash
  const token = prepared.accessToken

  const page = await fetch(`${bridge.url}/login?region=29`)
  const cookie = page.headers
    .getSetCookie()
    .map((header) => header.split(';', 1)[0])
    .join('; ')
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? ''
  const signInRequest = {
    url: `${bridge.url}/login/password`,
    method: 'POST' as const,
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, login: 'bench-1', password: benchPassword }).toString(),
    expectStatus: 303,
  }
  const userinfoRequest = {
    url: `${bridge.url}/userinfo`,
    headers: { authorization: `Bearer ${token}` },
    expectStatus: 200,
  }

  const rawVerifyPerSecond = await rawVerifyRate(workers, hash, 6)
  // Enough connections to keep every worker busy (each sign-in also spends time in the database), none shed.
  const signIn = await measure(() => load({ ...signInRequest, connections: workers * 4, duration: 8 }))
  const userinfoIdle = await measure(() => load({ ...userinfoRequest, connections: 8, duration: 6 }))
  // Saturated: every worker busy and the queue full (workers + the default queue of 8 connections).
  const [userinfoLoaded, signInSaturated] = await Promise.all([
    load({ ...userinfoRequest, connections: 8, duration: 6 }),
    load({ ...signInRequest, connections: workers + 8, duration: 6 }),
  ])
  // A flood far beyond capacity: the excess must be refused cheaply with 503.
  const [userinfoFlooded, signInFlood] = await Promise.all([
    load({ ...userinfoRequest, connections: 8, duration: 6 }),
    load({ ...signInRequest, connections: 64, duration: 6 }),
  ])
  return {
    rawVerifyPerSecond,
    signIn,
    userinfoIdle,
    userinfoLoaded,
    signInSaturated,
    userinfoFlooded,
    signInFlood,
    workers,
  }
}
