/*
 * The benchmark scenarios besides passwords (password.ts): JWKS, discovery, the verifier, /introspect,
 * the refresh grant, and the whole state-services login. Each returns what run.ts reports.
 */
import { performance } from 'node:perf_hooks'
import { importJWK, type JWK, jwtVerify } from 'jose'
import type { Kysely } from 'kysely'
import type { Database } from '../src/db/schema.js'
import { issueAuthorizationCode, redeemAuthorizationCode } from '../src/oauth/authorization-code.repository.js'
import { createVerifier } from '../src/verify/index.js'
import { type ProviderStep, stateServicesLogin } from './flows.js'
import { type LoadResult, load } from './lib.js'

export async function benchStatic(url: string): Promise<LoadResult> {
  return load({ url, connections: 16, duration: 5 })
}

/** Verifications per second of the verifier against raw jose with an imported key, in this process. */
export async function benchVerifier(
  bridgeUrl: string,
  token: string,
  seconds = 4,
): Promise<{ verifier: number; raw: number }> {
  const verifier = createVerifier({ issuer: bridgeUrl, audience: 'https://bench.example/api' })
  await verifier.verify(token)
  const { keys } = (await (await fetch(`${bridgeUrl}/.well-known/jwks.json`)).json()) as { keys: JWK[] }
  const key = await importJWK(keys[0] as JWK, 'ES256')
  const rate = async (verify: () => Promise<unknown>) => {
    const deadline = performance.now() + seconds * 1000
    let count = 0
    while (performance.now() < deadline) {
      await Promise.all(Array.from({ length: 16 }, verify))
      count += 16
    }
    return count / seconds
  }
  const raw = await rate(() =>
    jwtVerify(token, key, { issuer: bridgeUrl, audience: 'https://bench.example/api', typ: 'at+jwt' }),
  )
  const wrapped = await rate(() => verifier.verify(token))
  return { verifier: wrapped, raw }
}

/** Refresh-token families with a first refresh token each, one per load connection. */
export async function refreshTokens(
  db: Kysely<Database>,
  account: { id: string; region: string },
  count: number,
): Promise<string[]> {
  const tokens: string[] = []
  const verifier = 'v'.repeat(43)
  const { createHash } = await import('node:crypto')
  const challenge = createHash('sha256').update(verifier).digest('base64url')
  for (let i = 0; i < count; i++) {
    const code = await issueAuthorizationCode(db, {
      clientId: 'bench',
      regions: [account.region],
      accountId: account.id,
      sessionId: null,
      redirectUri: 'https://bench.example/callback',
      scope: 'openid offline_access',
      nonce: null,
      codeChallenge: challenge,
      authTime: new Date(),
      amr: 'pwd',
      acr: 'password',
      ttlSeconds: 600,
      now: new Date(),
    })
    if (code === undefined) throw new Error('no code for the bench account')
    const redeemed = await redeemAuthorizationCode(db, {
      code,
      clientId: 'bench',
      redirectUri: 'https://bench.example/callback',
      codeVerifier: verifier,
      refreshTtlSeconds: 86_400,
      accessTtlSeconds: 600,
      now: new Date(),
    })
    if (!redeemed.ok || redeemed.refreshToken === undefined) throw new Error('could not prepare a refresh token')
    tokens.push(redeemed.refreshToken)
  }
  return tokens
}

/**
 * The refresh grant under load. Every token is used once: a request takes a fresh token from the pool and
 * its answer puts the rotated one back (autocannon resets per-connection context between loops); the
 * pool is `tokens` itself, so that a later run goes on with the rotated tokens. The answers in flight
 * when a run ends are lost with their tokens: give 8 more tokens than the 8 connections for every run.
 */
export async function benchRefresh(bridgeUrl: string, basicAuth: string, tokens: string[]): Promise<LoadResult> {
  const available = tokens
  return load({
    url: `${bridgeUrl}/token`,
    connections: 8,
    duration: 6,
    expectStatus: 200,
    requests: [
      {
        method: 'POST',
        headers: { authorization: basicAuth, 'content-type': 'application/x-www-form-urlencoded' },
        setupRequest: (request) => {
          const token = available.shift() ?? ''
          return { ...request, body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(token)}` }
        },
        onResponse: (status, body) => {
          if (status === 200) available.push((JSON.parse(body) as { refresh_token: string }).refresh_token)
        },
      },
    ],
  })
}

export interface FlowResult {
  perSecond: number
  /** Logins completed. */
  completed: number
  p50: number
  p99: number
  failures: number
}

/**
 * The whole state-services login as a browser and a diary module make it: /authorize → region page →
 * the provider (`pass`) → callback → code → /token. `users` run it over and over.
 */
export async function benchStateServicesLogin(
  bridgeUrl: string,
  options: { clientSecret: string; region: string; pass: ProviderStep; users: number; seconds: number },
): Promise<FlowResult> {
  const module = {
    bridgeUrl,
    clientId: 'bench',
    clientSecret: options.clientSecret,
    redirectUri: 'https://bench.example/callback',
    region: options.region,
    scope: 'openid',
  }
  const latencies: number[] = []
  let failures = 0
  const deadline = performance.now() + options.seconds * 1000
  const once = () => stateServicesLogin(module, options.pass)

  await Promise.all(
    Array.from({ length: options.users }, async () => {
      while (performance.now() < deadline) {
        const started = performance.now()
        try {
          await once()
          latencies.push(performance.now() - started)
        } catch {
          failures++
        }
      }
    }),
  )
  latencies.sort((a, b) => a - b)
  const at = (q: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN)
  return {
    perSecond: latencies.length / options.seconds,
    completed: latencies.length,
    p50: at(0.5),
    p99: at(0.99),
    failures,
  }
}
