/*
 * Who signs the system's requests to ESIA (the `client_secret`): a raw GOST R 34.10-2012 (256)
 * signature, 64 bytes in OpenSSL's byte order, of the bytes given.
 * - "openssl-gost": in process, with the system's private key, by the process's GOST implementation
 *   (gost.ts: OpenSSL's GOST engine, ~0.1 ms; or JavaScript where the engine is absent, ~10 ms)
 * - "http": a signing service the operator runs (CryptoPro DSS style): POST the bytes
 *   (application/octet-stream, the configured Authorization header), get the signature back as raw
 *   bytes (application/octet-stream) or as base64 text; `reversed` turns CryptoPro's byte order around
 * A signer that fails is ERR_UPSTREAM_UNAVAILABLE for the login (logged with the reason); an
 * openssl-gost key that does not decode or does not match the certificate fails at creation.
 */
import { X509Certificate } from 'node:crypto'
import type { EsiaProviderConfig, EsiaSignerConfig } from './config.js'
import { BridgeError } from '../../errors.js'
import { certificateHash, type GostCrypto, type GostPrivateKey } from './gost.js'

export interface Signer {
  sign(data: Buffer): Promise<Buffer>
}

const signatureLength = 64

function signerError(message: string, cause?: unknown): BridgeError {
  return new BridgeError('ERR_UPSTREAM_UNAVAILABLE', `ESIA signer: ${message}`, {
    cause: cause && { name: (cause as Error).name, message: (cause as Error).message },
  })
}

/** Raw bytes when the service says application/octet-stream; otherwise base64 (or base64url) text. */
async function signatureFrom(response: Response): Promise<Buffer> {
  if (!response.ok) throw signerError(`the signing service answered HTTP ${response.status}`)
  const body = Buffer.from(await response.arrayBuffer())
  const raw = response.headers.get('content-type')?.startsWith('application/octet-stream') ?? false
  const text = raw ? '' : body.toString('utf8').trim()
  const signature = raw
    ? body
    : /^[A-Za-z0-9+/_-]+={0,2}$/.test(text)
      ? Buffer.from(text, /[-_]/.test(text) ? 'base64url' : 'base64')
      : Buffer.alloc(0)
  if (signature.length !== signatureLength)
    throw signerError(`the signing service's answer is not a ${signatureLength}-byte signature`)
  return signature
}

/**
 * The signer of `config`. An openssl-gost key is decoded and checked against the system certificate
 * here, so that a wrong key is a configuration problem at start-up, not a failed login; a key that
 * cannot sign later is ERR_UPSTREAM_UNAVAILABLE too.
 */
export function createSigner(
  config: EsiaSignerConfig,
  options: { certificatePem: string; gost: GostCrypto; fetch?: typeof fetch },
): Signer {
  if (config.type === 'openssl-gost') {
    let key: GostPrivateKey
    try {
      key = options.gost.privateKey(config.privateKey.reveal())
    } catch (error) {
      throw new Error(
        `the ESIA private key cannot be read (a GOST R 34.10-2012 key, unencrypted PKCS#8 PEM): ${(error as Error).message}`,
        { cause: error },
      )
    }
    const probe = Buffer.from('diary-bridge key check', 'utf8')
    if (!belongsTo(options.gost, key, options.certificatePem, probe))
      throw new Error(
        'the ESIA private key does not belong to the system certificate (or is not a GOST R 34.10-2012 key)',
      )
    return {
      async sign(data) {
        try {
          return key.sign(data)
        } catch (error) {
          throw signerError('the GOST signature failed', error)
        }
      },
    }
  }
  const fetchImpl = options.fetch ?? fetch
  return {
    async sign(data) {
      let response: Response
      try {
        response = await fetchImpl(config.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/octet-stream',
            ...(config.authorization && { authorization: config.authorization.reveal() }),
          },
          body: data,
          redirect: 'error',
          signal: AbortSignal.timeout(config.timeoutMs),
        })
      } catch (error) {
        throw signerError('the signing service did not answer', error)
      }
      const signature = await signatureFrom(response)
      return config.reversed ? Buffer.from(signature).reverse() : signature
    },
  }
}

function belongsTo(gost: GostCrypto, key: GostPrivateKey, certificatePem: string, probe: Buffer): boolean {
  try {
    return gost.certificatePublicKey(certificatePem).verify(probe, key.sign(probe))
  } catch {
    return false
  }
}

export interface SignerCheck {
  /** The signature of a test string verifies with the system certificate. */
  verifies: boolean
  /** It verifies only with its bytes reversed: the `reversed` setting is the wrong way round. */
  verifiesReversed: boolean
  certificateHash: string
  subject: string
  validTo: string
  /** Why no signature could be made with the configured key (it does not decode, or is not the certificate's). */
  keyProblem?: string
}

/** Signs a test string with the region's signer and verifies it with the system certificate. */
export async function checkSigner(
  provider: EsiaProviderConfig,
  options: { gost: GostCrypto; fetch?: typeof fetch; now?: Date },
): Promise<SignerCheck> {
  const certificate = new X509Certificate(provider.certificatePem)
  const about = {
    certificateHash: certificateHash(options.gost, provider.certificatePem),
    subject: certificate.subject.replaceAll('\n', ', '),
    validTo: certificate.validTo,
  }
  let signer: Signer
  try {
    signer = createSigner(provider.signer, {
      certificatePem: provider.certificatePem,
      gost: options.gost,
      fetch: options.fetch,
    })
  } catch (error) {
    return { ...about, verifies: false, verifiesReversed: false, keyProblem: (error as Error).message }
  }
  const data = Buffer.from(`diary-bridge signer check ${(options.now ?? new Date()).toISOString()}`, 'utf8')
  const signature = await signer.sign(data)
  const key = options.gost.certificatePublicKey(provider.certificatePem)
  return {
    ...about,
    verifies: key.verify(data, signature),
    verifiesReversed: key.verify(data, Buffer.from(signature).reverse()),
  }
}
