/*
 * ESIA for tests: the peer (peers/esia-peer.ts: keys, the simulator, the region file, a login by hand),
 * the region's provider settings as the configuration loader hands them over, and an RSA key pair.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { Secret } from '../../src/config/secret.js'
import type { EsiaProviderConfig } from '../../src/upstream/esia/config.js'
import type { RunningEsiaSimulator } from '../../demo/esia-simulator.js'
import type { EsiaKeys } from '../../peers/esia-peer.js'
import { derTag, encodeDer, encodeOid } from '../../src/upstream/esia/der.js'
import { encodeSelfSignedCertificate } from '../../src/upstream/esia/gost-asn1.js'

export { esiaKeys, type EsiaKeys, esiaRegionFile, passEsia, startEsiaPeer } from '../../peers/esia-peer.js'

/** An RSA key pair and its self-signed certificate (sha256WithRSAEncryption), made without the openssl CLI. */
export function rsaKeyPair(commonName: string): { privateKeyPem: string; certificatePem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const certificatePem = encodeSelfSignedCertificate(
    {
      commonName,
      serial: randomBytes(8),
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 86_400_000),
      publicKeyInfo: publicKey.export({ type: 'spki', format: 'der' }),
      signatureAlgorithm: encodeDer(derTag.sequence, encodeOid('1.2.840.113549.1.1.11'), encodeDer(derTag.null)),
    },
    (tbs) => sign('sha256', tbs, privateKey),
  )
  return { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, certificatePem }
}

/** The provider as the configuration loader hands it over (files read, secrets wrapped). */
export function esiaProvider(
  simulator: RunningEsiaSimulator,
  keys: EsiaKeys,
  overrides: Partial<EsiaProviderConfig> = {},
): EsiaProviderConfig {
  return {
    type: 'esia',
    portalUrl: simulator.url,
    issuer: simulator.issuer,
    clientId: 'DIARY29',
    scopes: ['openid', 'fullname', 'birthdate', 'snils'],
    certificatePem: keys.system.certificatePem,
    signer: { type: 'openssl-gost', privateKey: new Secret(keys.system.privateKeyPem) },
    esiaCertificatePems: [simulator.certificatePem],
    tokenSigningAlg: 'GOST3410_2012_256',
    // Generous: on a loaded machine the simulator's answer (signed in JavaScript) takes seconds.
    timeoutMs: 5000,
    clockToleranceSeconds: 60,
    ...overrides,
  }
}
