/*
 * GOST R 34.10-2012 (256) signatures and GOST R 34.11-2012 (256) hashes (Streebog) for ESIA, by one of
 * two implementations with the same behaviour:
 * - "openssl-engine": Node's crypto with OpenSSL's GOST engine (gost-engine.ts), ~0.1 ms a signature
 * - "javascript": pure JavaScript (gost-javascript.ts), for machines without the engine; slower, and
 *   not constant-time
 * bridge.json's `gostImplementation` chooses: "auto" (the default) takes the engine when it loads and
 * JavaScript otherwise; "openssl-engine" refuses to run without the engine; "javascript" never loads it.
 * The choice is made once per process. Signatures are raw, 64 bytes, in the byte order OpenSSL
 * produces (CryptoPro tools produce them reversed).
 */
import { X509Certificate } from 'node:crypto'
import type { Config } from '../../config/load.js'
import { openEngineGost } from './gost-engine.js'
import type { GostCrypto, GostImplementationName } from './gost-crypto.js'
import { javascriptGost } from './gost-javascript.js'

export type { GostCrypto, GostImplementationName, GostPrivateKey, GostPublicKey } from './gost-crypto.js'
export type GostImplementationSetting = 'auto' | GostImplementationName

export interface GostChoice {
  crypto: GostCrypto
  /** Why "auto" did not take the engine. */
  engineProblem?: string
}

/** The implementation `setting` asks for; "openssl-engine" throws when the engine cannot be loaded. */
export function chooseGost(setting: GostImplementationSetting = 'auto'): GostChoice {
  if (setting === 'javascript') return { crypto: javascriptGost }
  if (setting === 'openssl-engine') return { crypto: openEngineGost() }
  try {
    return { crypto: openEngineGost() }
  } catch (error) {
    return { crypto: javascriptGost, engineProblem: (error as Error).message }
  }
}

/** One line for the operator: which implementation, and why not the engine. */
export function describeGostChoice(choice: GostChoice): string {
  if (choice.crypto.name === 'openssl-engine') return "GOST R 34.10/34.11-2012 for ESIA: OpenSSL's GOST engine"
  const why =
    choice.engineProblem === undefined ? 'bridge.json says gostImplementation "javascript"' : choice.engineProblem
  return `GOST R 34.10/34.11-2012 for ESIA: JavaScript (node-gost-crypto), because ${why}`
}

export interface GostReport {
  implementation: GostImplementationName
  /** The regions that log in through ESIA. */
  regions: string[]
  message: string
  /** "auto" fell back to JavaScript: a warning, loud in production. */
  fellBack: boolean
}

/** What the operator is told at start and by `config check`; undefined when no region logs in through ESIA. */
export function gostReport(config: Pick<Config, 'bridge' | 'regions'>): GostReport | undefined {
  const regions = [...config.regions.values()]
    .filter((region) => region.stateServices.provider?.type === 'esia')
    .map((region) => region.code)
  if (regions.length === 0) return undefined
  const choice = chooseGost(config.bridge.gostImplementation)
  const fellBack = choice.engineProblem !== undefined
  const advice = fellBack
    ? '; production should keep the engine (Debian package libengine-gost-openssl) or the http signer; gostImplementation "openssl-engine" in bridge.json refuses to start without the engine'
    : ''
  return {
    implementation: choice.crypto.name,
    regions,
    message: `${describeGostChoice(choice)} (regions ${regions.join(', ')})${advice}`,
    fellBack,
  }
}

/** `client_certificate_hash`: the GOST R 34.11-2012 (256) hash of the certificate's DER, upper-case hex (as `cpverify -mk -alg GR3411_2012_256` prints it). */
export function certificateHash(gost: GostCrypto, pem: string): string {
  return gost.hash(new X509Certificate(pem).raw).toString('hex').toUpperCase()
}
