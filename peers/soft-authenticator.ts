/*
 * A software passkey authenticator for tests: ES256 keys from node:crypto, `none` attestation, CBOR
 * written by hand (only what an attestation object and a COSE key need). It answers what a browser would
 * hand the page after `navigator.credentials.create()` / `get()`, so the server library verifies for real.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto'

type Cbor = number | string | Uint8Array | Cbor[] | Map<Cbor, Cbor> | { [key: string]: Cbor }

function head(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length])
  if (length < 256) return Buffer.from([(major << 5) | 24, length])
  if (length < 65536) return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff])
  const bytes = Buffer.alloc(5)
  bytes[0] = (major << 5) | 26
  bytes.writeUInt32BE(length, 1)
  return bytes
}

export function encodeCbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value)
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8')
    return Buffer.concat([head(3, bytes.length), bytes])
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value])
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(encodeCbor)])
  const entries = value instanceof Map ? [...value] : Object.entries(value)
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, v]) => [encodeCbor(k), encodeCbor(v)])])
}

const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url')
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest()

export interface Flags {
  userPresent?: boolean
  userVerified?: boolean
  backupEligible?: boolean
  backedUp?: boolean
}

function flagsByte(flags: Flags, attested: boolean): number {
  return (
    (flags.userPresent === false ? 0 : 0x01) |
    (flags.userVerified === false ? 0 : 0x04) |
    (flags.backupEligible ? 0x08 : 0) |
    (flags.backedUp ? 0x10 : 0) |
    (attested ? 0x40 : 0)
  )
}

export class SoftAuthenticator {
  readonly credentialId = randomBytes(32)
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  signCount: number

  constructor(
    readonly rpId: string,
    readonly origin: string,
    options: { signCount?: number } = {},
  ) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    this.privateKey = pair.privateKey
    this.publicKey = pair.publicKey
    this.signCount = options.signCount ?? 0
  }

  private coseKey(): Buffer {
    const jwk = this.publicKey.export({ format: 'jwk' })
    return encodeCbor(
      new Map<Cbor, Cbor>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(jwk.x as string, 'base64url')],
        [-3, Buffer.from(jwk.y as string, 'base64url')],
      ]),
    )
  }

  private clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }))
  }

  /** What the page gets from `create()` for `challenge` (options.challenge). */
  register(challenge: string, options: { flags?: Flags; origin?: string; rpId?: string; transports?: string[] } = {}) {
    const flags = options.flags ?? {}
    const counter = Buffer.alloc(4)
    counter.writeUInt32BE(this.signCount)
    const idLength = Buffer.alloc(2)
    idLength.writeUInt16BE(this.credentialId.length)
    const authData = Buffer.concat([
      sha256(options.rpId ?? this.rpId),
      Buffer.from([flagsByte(flags, true)]),
      counter,
      Buffer.alloc(16), // aaguid: none
      idLength,
      this.credentialId,
      this.coseKey(),
    ])
    const attestationObject = encodeCbor({ fmt: 'none', attStmt: {}, authData })
    return {
      id: b64u(this.credentialId),
      rawId: b64u(this.credentialId),
      type: 'public-key' as const,
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64u(this.clientData('webauthn.create', challenge, options.origin ?? this.origin)),
        attestationObject: b64u(attestationObject),
        transports: (options.transports ?? ['internal']) as 'internal'[],
      },
    }
  }

  /** What the page gets from `get()` for `challenge`; the counter grows by one unless told otherwise. */
  assert(
    challenge: string,
    options: { flags?: Flags; origin?: string; rpId?: string; signCount?: number; userHandle?: string } = {},
  ) {
    this.signCount = options.signCount ?? this.signCount + 1
    const counter = Buffer.alloc(4)
    counter.writeUInt32BE(this.signCount)
    const authenticatorData = Buffer.concat([
      sha256(options.rpId ?? this.rpId),
      Buffer.from([flagsByte(options.flags ?? {}, false)]),
      counter,
    ])
    const clientDataJSON = this.clientData('webauthn.get', challenge, options.origin ?? this.origin)
    const signature = sign('sha256', Buffer.concat([authenticatorData, sha256(clientDataJSON)]), this.privateKey)
    return {
      id: b64u(this.credentialId),
      rawId: b64u(this.credentialId),
      type: 'public-key' as const,
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(authenticatorData),
        signature: b64u(signature),
        ...(options.userHandle === undefined ? {} : { userHandle: options.userHandle }),
      },
    }
  }
}
