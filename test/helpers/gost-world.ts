/*
 * The GOST implementations for the tests: JavaScript always; OpenSSL's GOST engine where it is
 * installed. A check that needs the engine (in process, or with the openssl CLI) passes `skip` with
 * the reason it cannot run here, which tap prints.
 */
import { execFileSync } from 'node:child_process'
import { chooseGost, type GostCrypto } from '../../src/upstream/esia/gost.js'
import { javascriptGost } from '../../src/upstream/esia/gost-javascript.js'

function loadEngine(): GostCrypto | string {
  try {
    return chooseGost('openssl-engine').crypto
  } catch (error) {
    return (error as Error).message
  }
}

function hasOpensslCli(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const engine = loadEngine()

/** OpenSSL's GOST engine, where it loads. */
export const engineGost: GostCrypto | undefined = typeof engine === 'string' ? undefined : engine
/** `skip` for a check with the engine in process: false where it loads, the reason otherwise. */
export const needsEngine: string | false = typeof engine === 'string' ? engine : false
/** `skip` for a check with the openssl CLI and the engine. */
export const needsEngineCli: string | false =
  needsEngine || (hasOpensslCli() ? false : 'the openssl CLI is not installed here')
/** Every implementation this machine has: JavaScript first. */
export const gostImplementations: readonly GostCrypto[] = [
  javascriptGost,
  ...(engineGost === undefined ? [] : [engineGost]),
]
export { javascriptGost }
