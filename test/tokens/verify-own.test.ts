/*
 * Verifying the bridge's own access tokens: a verified token is remembered until it expires, per key
 * store; nothing is remembered of a token that fails; the memory is bounded.
 */
import { KeyObject } from 'node:crypto'
import { generateKeyPair, type JWTHeaderParameters, SignJWT } from 'jose'
import t from 'tap'
import type { KeyStore } from '../../src/tokens/key-store.js'
import { rememberedTokens, verifyOwnAccessToken } from '../../src/tokens/verify-own.js'

const issuer = 'https://id.example'
const { privateKey, publicKey } = await generateKeyPair('ES256')

/** A key store of one key that counts how often a signature was checked. */
function countingKeys(): KeyStore & { lookups: () => number } {
  let lookups = 0
  return {
    signingKey: async () => ({ kid: 'k1', alg: 'ES256', key: KeyObject.from(privateKey) }),
    jwks: async () => ({ keys: [] }),
    verificationKey: async (_header: JWTHeaderParameters) => {
      lookups++
      return publicKey
    },
    lookups: () => lookups,
  }
}

const now = new Date('2030-01-01T10:00:00Z')
const seconds = (date: Date) => Math.floor(date.getTime() / 1000)

function accessToken(claims: Record<string, unknown> = {}, exp = seconds(now) + 600): Promise<string> {
  return new SignJWT({ client_id: 'web-diary', scope: 'openid', region: '29', role: 'pupil', ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
    .setIssuer(issuer)
    .setSubject('account-1')
    .setJti(`jti-${Math.random()}`)
    .setIssuedAt(seconds(now))
    .setExpirationTime(exp)
    .sign(privateKey)
}

t.test('a verified token is remembered until it expires; its signature is checked once', async (t) => {
  const keys = countingKeys()
  const token = await accessToken()
  t.equal((await verifyOwnAccessToken(keys, token, issuer, now))?.sub, 'account-1')
  t.equal((await verifyOwnAccessToken(keys, token, issuer, new Date(now.getTime() + 60_000)))?.sub, 'account-1')
  t.equal(keys.lookups(), 1, 'the second answer came from memory')
  t.equal(
    await verifyOwnAccessToken(keys, token, issuer, new Date(now.getTime() + 600_000)),
    undefined,
    'expired: refused, remembered or not',
  )
  t.equal(
    await verifyOwnAccessToken(keys, token, 'https://other.example', now),
    undefined,
    'another issuer is not ours',
  )
  t.equal(
    await verifyOwnAccessToken(countingKeys(), token, issuer, now).then((p) => p?.sub),
    'account-1',
    'another key store checks for itself',
  )
})

t.test('nothing is remembered of a token that fails', async (t) => {
  const keys = countingKeys()
  const token = await accessToken()
  const [header, payload] = token.split('.')
  const forged = `${header}.${payload}.${'A'.repeat(86)}`
  t.equal(await verifyOwnAccessToken(keys, forged, issuer, now), undefined)
  t.equal(await verifyOwnAccessToken(keys, forged, issuer, now), undefined)
  t.equal(keys.lookups(), 2, 'checked each time')
  const wrongType = await new SignJWT({ client_id: 'c', scope: 'openid' })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'JWT' })
    .setIssuer(issuer)
    .setSubject('s')
    .setJti('j')
    .setExpirationTime(seconds(now) + 60)
    .sign(privateKey)
  t.equal(await verifyOwnAccessToken(keys, wrongType, issuer, now), undefined, 'an ID token is not an access token')
})

t.test(`at most ${rememberedTokens} tokens are remembered, the oldest forgotten first`, async (t) => {
  const keys = countingKeys()
  const first = await accessToken()
  await verifyOwnAccessToken(keys, first, issuer, now)
  const others = await Promise.all(Array.from({ length: rememberedTokens }, () => accessToken()))
  for (const token of others) await verifyOwnAccessToken(keys, token, issuer, now)
  const before = keys.lookups()
  await verifyOwnAccessToken(keys, others.at(-1) as string, issuer, now)
  t.equal(keys.lookups(), before, 'the newest is still remembered')
  await verifyOwnAccessToken(keys, first, issuer, now)
  t.equal(keys.lookups(), before + 1, 'the oldest was forgotten and is checked again')
})
