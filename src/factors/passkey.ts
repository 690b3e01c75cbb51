/*
 * Passkeys (WebAuthn Level 3) through `@simplewebauthn/server`: the options a browser is given and the
 * checks of what it answers.
 * - the relying party id is the bridge's host; user verification is required both when a passkey is made
 *   and when it is used (a passkey alone stands for "something you have" and "something you are or know")
 * - the user handle is the account id's 16 bytes (§5.4.3: no personal data, at most 64 bytes)
 * - no attestation ('none'): the bridge trusts the person's choice of authenticator, not its maker
 * - a discoverable credential is preferred, so a passkey can also start a sign-in without a login
 * - anything the library refuses (a wrong challenge, origin or rp id, a bad signature, malformed input from
 *   a browser) is `undefined`, never an exception: the caller answers the person the same way for all
 * - an assertion counts only for the credential it names (the caller looked it up by that id)
 */
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransportFuture,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server'

/** The library loads with the first passkey ceremony (its dependencies cost an idle instance some 10 MiB). */
const webauthn = () => import('@simplewebauthn/server')

export type { AuthenticationResponseJSON, RegistrationResponseJSON }

const knownTransports: readonly string[] = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']
const transportsOf = (transports: readonly string[] | undefined) =>
  (transports ?? []).filter((transport): transport is AuthenticatorTransportFuture =>
    knownTransports.includes(transport),
  )

/** The 16 bytes of a uuid (the WebAuthn user handle of an account). */
export function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '')
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error('not a uuid')
  return Buffer.from(hex, 'hex')
}

/** The account id a discoverable assertion's `userHandle` (base64url) names, or undefined if it names none. */
export function accountIdOfUserHandle(userHandle: unknown): string | undefined {
  if (typeof userHandle !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(userHandle)) return undefined
  const hex = Buffer.from(userHandle, 'base64url').toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export interface PasskeyRegistrationInput {
  rpId: string
  rpName: string
  accountId: string
  userName: string
  displayName: string
  /** The account's passkeys: the browser refuses to make a second one on the same authenticator. */
  existingCredentialIds: Buffer[]
}

/** The options of `navigator.credentials.create()`; keep `challenge` for the verification. */
export async function passkeyRegistrationOptions(
  input: PasskeyRegistrationInput,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { generateRegistrationOptions } = await webauthn()
  return generateRegistrationOptions({
    rpID: input.rpId,
    rpName: input.rpName,
    userID: new Uint8Array(uuidBytes(input.accountId)),
    userName: input.userName,
    userDisplayName: input.displayName,
    attestationType: 'none',
    excludeCredentials: input.existingCredentialIds.map((id) => ({ id: id.toString('base64url') })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
  })
}

export interface VerifiedPasskey {
  credentialId: Buffer
  publicKey: Buffer
  signCount: number
  transports: string[]
  /** Whether the credential may be synced to other devices (`credentialDeviceType: 'multiDevice'`). */
  multiDevice: boolean
  backedUp: boolean
}

/** The new passkey a browser's answer to `create()` proves, or undefined when it proves none (§7.1). */
export async function verifyPasskeyRegistration(input: {
  response: RegistrationResponseJSON
  expectedChallenge: string
  expectedOrigin: string
  rpId: string
}): Promise<VerifiedPasskey | undefined> {
  const { verifyRegistrationResponse } = await webauthn()
  try {
    const result = await verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: input.expectedChallenge,
      expectedOrigin: input.expectedOrigin,
      expectedRPID: input.rpId,
      requireUserVerification: true,
    })
    if (!result.verified) return undefined
    const { credential, credentialDeviceType, credentialBackedUp } = result.registrationInfo
    return {
      credentialId: Buffer.from(credential.id, 'base64url'),
      publicKey: Buffer.from(credential.publicKey),
      signCount: credential.counter,
      transports: transportsOf(input.response.response?.transports),
      multiDevice: credentialDeviceType === 'multiDevice',
      backedUp: credentialBackedUp,
    }
  } catch {
    return undefined
  }
}

/** The options of `navigator.credentials.get()`; without `allowCredentialIds`, any discoverable passkey. */
export async function passkeyAuthenticationOptions(input: {
  rpId: string
  allowCredentialIds?: Buffer[]
}): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const { generateAuthenticationOptions } = await webauthn()
  return generateAuthenticationOptions({
    rpID: input.rpId,
    userVerification: 'required',
    ...(input.allowCredentialIds === undefined
      ? {}
      : { allowCredentials: input.allowCredentialIds.map((id) => ({ id: id.toString('base64url') })) }),
  })
}

export interface StoredPasskey {
  id: Buffer
  publicKey: Buffer
  signCount: number
  transports: readonly string[]
}

/** Whether a browser's answer to `get()` is a user-verified signature of `credential` (§7.2); undefined if not. */
export async function verifyPasskeyAssertion(input: {
  response: AuthenticationResponseJSON
  expectedChallenge: string
  expectedOrigin: string
  rpId: string
  credential: StoredPasskey
}): Promise<{ newSignCount: number; userVerified: boolean } | undefined> {
  const id = input.credential.id.toString('base64url')
  const { verifyAuthenticationResponse } = await webauthn()
  try {
    if (input.response?.id !== id) return undefined
    const result = await verifyAuthenticationResponse({
      response: input.response,
      expectedChallenge: input.expectedChallenge,
      expectedOrigin: input.expectedOrigin,
      expectedRPID: input.rpId,
      requireUserVerification: true,
      credential: {
        id,
        publicKey: new Uint8Array(input.credential.publicKey),
        counter: input.credential.signCount,
        transports: transportsOf(input.credential.transports),
      },
    })
    if (!result.verified) return undefined
    return { newSignCount: result.authenticationInfo.newCounter, userVerified: result.authenticationInfo.userVerified }
  } catch {
    return undefined
  }
}
