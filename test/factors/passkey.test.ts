/*
 * Passkeys verified for real by @simplewebauthn/server against a software authenticator (ES256, `none`
 * attestation): the options say what the bridge asks for, a right answer gives the credential, and every
 * wrong one (challenge, origin, rp id, no user verification, a counter that did not grow, another key, a
 * changed byte, garbage from a browser) is `undefined`, never an exception.
 */
import t from 'tap'
import {
  accountIdOfUserHandle,
  passkeyAuthenticationOptions,
  passkeyRegistrationOptions,
  uuidBytes,
  verifyPasskeyAssertion,
  verifyPasskeyRegistration,
} from '../../src/factors/passkey.js'
import { SoftAuthenticator } from '../../peers/soft-authenticator.js'

const rpId = 'bridge.example'
const origin = 'https://bridge.example'
const accountId = '0190a8e2-1c3b-7d4e-8f00-00000000002a'

t.test('registration options', async (t) => {
  const existing = new SoftAuthenticator(rpId, origin).credentialId
  const options = await passkeyRegistrationOptions({
    rpId,
    rpName: 'Дневник',
    accountId,
    userName: 'ivanova.m',
    displayName: 'Иванова Мария',
    existingCredentialIds: [existing],
  })
  t.match(options, {
    rp: { id: rpId, name: 'Дневник' },
    user: { id: uuidBytes(accountId).toString('base64url'), name: 'ivanova.m', displayName: 'Иванова Мария' },
    attestation: 'none',
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
    excludeCredentials: [{ id: existing.toString('base64url'), type: 'public-key' }],
  })
  t.equal(Buffer.from(options.user.id, 'base64url').length, 16, 'the user handle is the 16 bytes of the uuid')
  t.ok(
    options.pubKeyCredParams.some((param) => param.alg === -7),
    'ES256 is offered',
  )
  t.ok(Buffer.from(options.challenge, 'base64url').length >= 16, 'a random challenge')
  const again = await passkeyRegistrationOptions({
    ...options,
    rpId,
    rpName: 'x',
    accountId,
    userName: 'a',
    displayName: 'a',
    existingCredentialIds: [],
  })
  t.not(again.challenge, options.challenge, 'a new challenge each time')
})

async function registered(authenticator = new SoftAuthenticator(rpId, origin)) {
  const options = await passkeyRegistrationOptions({
    rpId,
    rpName: 'Дневник',
    accountId,
    userName: 'ivanova.m',
    displayName: 'Иванова Мария',
    existingCredentialIds: [],
  })
  return { authenticator, challenge: options.challenge }
}

t.test('verifyPasskeyRegistration', async (t) => {
  const { authenticator, challenge } = await registered()
  const passkey = await verifyPasskeyRegistration({
    response: authenticator.register(challenge, { transports: ['internal', 'hybrid', 'carrier-pigeon'] }),
    expectedChallenge: challenge,
    expectedOrigin: origin,
    rpId,
  })
  t.ok(passkey?.credentialId.equals(authenticator.credentialId), 'the credential id')
  t.ok(passkey && passkey.publicKey.length > 64, 'the COSE public key')
  t.match(passkey, { signCount: 0, transports: ['internal', 'hybrid'], multiDevice: false, backedUp: false })

  const synced = await registered()
  t.match(
    await verifyPasskeyRegistration({
      response: synced.authenticator.register(synced.challenge, { flags: { backupEligible: true, backedUp: true } }),
      expectedChallenge: synced.challenge,
      expectedOrigin: origin,
      rpId,
    }),
    { multiDevice: true, backedUp: true },
    'a synced passkey says so',
  )

  const wrong: [
    why: string,
    response: unknown,
    expected?: Partial<{ challenge: string; origin: string; rpId: string }>,
  ][] = [
    ['another challenge (a replayed answer)', authenticator.register('c29tZXRoaW5nIGVsc2U')],
    ['another origin (a phishing page)', authenticator.register(challenge, { origin: 'https://bridge.example.evil' })],
    ['another rp id', authenticator.register(challenge, { rpId: 'evil.example' })],
    ['no user verification', authenticator.register(challenge, { flags: { userVerified: false } })],
    ['no user presence', authenticator.register(challenge, { flags: { userPresent: false } })],
    ['expected for another rp id', authenticator.register(challenge), { rpId: 'other.example' }],
    ['an empty object', {}],
    ['null', null],
    ['a string', 'public-key'],
    [
      'a truncated attestation object',
      (() => {
        const response = authenticator.register(challenge)
        response.response.attestationObject = response.response.attestationObject.slice(0, 40)
        return response
      })(),
    ],
  ]
  for (const [why, response, expected] of wrong) {
    t.equal(
      await verifyPasskeyRegistration({
        response: response as never,
        expectedChallenge: expected?.challenge ?? challenge,
        expectedOrigin: expected?.origin ?? origin,
        rpId: expected?.rpId ?? rpId,
      }),
      undefined,
      why,
    )
  }
})

t.test('authentication options', async (t) => {
  const id = new SoftAuthenticator(rpId, origin).credentialId
  const second = await passkeyAuthenticationOptions({ rpId, allowCredentialIds: [id] })
  t.match(second, { rpId, userVerification: 'required', allowCredentials: [{ id: id.toString('base64url') }] })
  const discoverable = await passkeyAuthenticationOptions({ rpId })
  t.equal(discoverable.allowCredentials, undefined, 'discoverable: no list, any passkey of this rp')
  t.not(discoverable.challenge, second.challenge)
})

t.test('verifyPasskeyAssertion', async (t) => {
  const { authenticator, challenge: registration } = await registered(
    new SoftAuthenticator(rpId, origin, { signCount: 4 }),
  )
  const passkey = await verifyPasskeyRegistration({
    response: authenticator.register(registration),
    expectedChallenge: registration,
    expectedOrigin: origin,
    rpId,
  })
  if (passkey === undefined) throw new Error('not registered')
  const stored = {
    id: passkey.credentialId,
    publicKey: passkey.publicKey,
    signCount: 4,
    transports: passkey.transports,
  }
  const { challenge } = await passkeyAuthenticationOptions({ rpId, allowCredentialIds: [passkey.credentialId] })
  const verify = (
    response: unknown,
    overrides: Partial<{ challenge: string; origin: string; rpId: string; credential: typeof stored }> = {},
  ) =>
    verifyPasskeyAssertion({
      response: response as never,
      expectedChallenge: overrides.challenge ?? challenge,
      expectedOrigin: overrides.origin ?? origin,
      rpId: overrides.rpId ?? rpId,
      credential: overrides.credential ?? stored,
    })

  t.same(await verify(authenticator.assert(challenge)), { newSignCount: 5, userVerified: true })
  const noCounter = new SoftAuthenticator(rpId, origin)
  const noCounterStored = {
    ...stored,
    id: noCounter.credentialId,
    publicKey: await (async () => {
      const { challenge: c } = await registered(noCounter)
      return (await verifyPasskeyRegistration({
        response: noCounter.register(c),
        expectedChallenge: c,
        expectedOrigin: origin,
        rpId,
      }))!.publicKey
    })(),
    signCount: 0,
  }
  t.same(
    await verify(noCounter.assert(challenge, { signCount: 0 }), { credential: noCounterStored }),
    { newSignCount: 0, userVerified: true },
    'an authenticator without a counter: 0 and 0',
  )

  const other = new SoftAuthenticator(rpId, origin)
  const tampered = authenticator.assert(challenge, { signCount: 20 })
  const data = Buffer.from(tampered.response.authenticatorData, 'base64url')
  data[36] = (data[36] as number) ^ 1
  tampered.response.authenticatorData = data.toString('base64url')
  const otherKey = other.assert(challenge)
  const wrong: [why: string, response: unknown, overrides?: Parameters<typeof verify>[1]][] = [
    ['another challenge (a replayed assertion)', authenticator.assert('c29tZXRoaW5nIGVsc2U', { signCount: 10 })],
    ['another origin', authenticator.assert(challenge, { origin: 'https://evil.example', signCount: 11 })],
    ['another rp id', authenticator.assert(challenge, { rpId: 'evil.example', signCount: 12 })],
    ['no user verification', authenticator.assert(challenge, { flags: { userVerified: false }, signCount: 13 })],
    ['the counter did not grow (a clone)', authenticator.assert(challenge, { signCount: 4 })],
    ['the counter went back', authenticator.assert(challenge, { signCount: 2 })],
    ['a changed byte of the signed data', tampered],
    ['another credential', otherKey],
    [
      "another key, this credential's id",
      { ...otherKey, id: stored.id.toString('base64url'), rawId: stored.id.toString('base64url') },
    ],
    ['an empty object', {}],
    ['null', null],
    [
      'a signature that is not base64url',
      { ...authenticator.assert(challenge, { signCount: 30 }), response: { signature: 42 } },
    ],
  ]
  for (const [why, response, overrides] of wrong) t.equal(await verify(response, overrides), undefined, why)
})

t.test('accountIdOfUserHandle: the user handle back to the account id', async (t) => {
  const handle = uuidBytes(accountId).toString('base64url')
  const cases: [why: string, handle: unknown, expected: string | undefined][] = [
    ['the handle the options gave', handle, accountId],
    ['upper-case uuid bytes are the same bytes', uuidBytes(accountId.toUpperCase()).toString('base64url'), accountId],
    ['15 bytes', Buffer.alloc(15).toString('base64url'), undefined],
    ['17 bytes', Buffer.alloc(17).toString('base64url'), undefined],
    ['standard base64 characters', `${handle.slice(0, 21)}+`, undefined],
    ['absent (a non-discoverable credential)', undefined, undefined],
    ['not a string', 42, undefined],
  ]
  for (const [why, value, expected] of cases) t.equal(accountIdOfUserHandle(value), expected, why)
})
