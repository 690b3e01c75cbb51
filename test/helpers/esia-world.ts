/*
 * ESIA for tests: GOST keys made at first use in a test's folder (never committed), the ESIA simulator
 * with the bridge's system registered, the region's provider settings, and a login driven by hand
 * (the simulator's person page, the redirect back) up to the callback URL.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { join } from 'node:path'
import { Secret } from '../../src/config/secret.js'
import type { EsiaProviderConfig } from '../../src/config/load.js'
import { type RunningEsiaSimulator, startEsiaSimulator } from '../../demo/esia-simulator.js'
import { ensureGostKeyPair, type GostKeyPair } from '../../demo/gost-keys.js'
import { derTag, encodeDer, encodeOid } from '../../src/upstream/esia/der.js'
import { encodeSelfSignedCertificate } from '../../src/upstream/esia/gost-asn1.js'

export interface EsiaKeys {
  dir: string
  system: GostKeyPair
  esia: GostKeyPair
  stranger: GostKeyPair
}

export function esiaKeys(dir: string): EsiaKeys {
  return {
    dir,
    system: ensureGostKeyPair(dir, 'system', 'Diary bridge 29'),
    esia: ensureGostKeyPair(dir, 'esia', 'ESIA simulator'),
    stranger: ensureGostKeyPair(dir, 'stranger', 'Someone else'),
  }
}

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

interface Teardown {
  teardown(fn: () => unknown): void
}

export async function startTestEsia(t: Teardown, keys: EsiaKeys, redirectUri: string, options: { now?: () => number } = {}): Promise<RunningEsiaSimulator> {
  const simulator = await startEsiaSimulator({
    port: 0,
    signingKey: keys.esia,
    clients: [{ clientId: 'DIARY29', certificatePem: keys.system.certificatePem, redirectUris: [redirectUri] }],
    now: options.now,
  })
  t.teardown(() => simulator.close())
  return simulator
}

/** The provider as the configuration loader hands it over (files read, secrets wrapped). */
export function esiaProvider(simulator: RunningEsiaSimulator, keys: EsiaKeys, overrides: Partial<EsiaProviderConfig> = {}): EsiaProviderConfig {
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
    timeoutMs: 1000,
    clockToleranceSeconds: 60,
    ...overrides,
  }
}

/** The region file of an ESIA region whose keys are files in `keys.dir`. */
export function esiaRegionFile(simulator: RunningEsiaSimulator, keys: EsiaKeys, provider: Record<string, unknown> = {}) {
  return {
    name: { ru: 'Архангельская область', en: 'Arkhangelsk Oblast' },
    stateServices: {
      enabled: true,
      provider: {
        type: 'esia',
        portalUrl: simulator.url,
        issuer: simulator.issuer,
        clientId: 'DIARY29',
        certificateFile: join(keys.dir, 'system.cert.pem'),
        signer: { type: 'openssl-gost', privateKeyFile: join(keys.dir, 'system.key.pem') },
        esiaCertificateFiles: [join(keys.dir, 'esia.cert.pem')],
        timeoutMs: 1000,
        ...provider,
      },
    },
  }
}

/** Follows the authorization URL to the simulator's page, picks `person` (or an error), and answers where ESIA sends the browser. */
export async function passEsia(authorizationUrl: URL, choice: { person: string } | { fail: string } | { cancel: true }): Promise<URL> {
  const page = await fetch(authorizationUrl, { redirect: 'manual' })
  if (page.status === 302) return new URL(page.headers.get('location') as string)
  const html = await page.text()
  const action = /action="(\/simulator\/login\/[^"]+)"/.exec(html)?.[1]
  if (action === undefined) throw new Error(`the simulator showed no person page (HTTP ${page.status}): ${html.slice(0, 300)}`)
  const target = 'person' in choice ? action : 'fail' in choice ? action.replace('/login/', '/fail/') : action.replace('/login/', '/cancel/')
  const form: Record<string, string> = 'person' in choice ? { person: choice.person } : 'fail' in choice ? { fail: choice.fail } : {}
  const answer = await fetch(new URL(target, authorizationUrl), { method: 'POST', body: new URLSearchParams(form), redirect: 'manual' })
  const location = answer.headers.get('location')
  if (location === null) throw new Error(`the simulator did not redirect (HTTP ${answer.status})`)
  return new URL(location)
}
