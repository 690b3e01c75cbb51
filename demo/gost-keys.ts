/*
 * GOST R 34.10-2012 (256, paramset A: CryptoPro-A) key pairs for the demo and the tests: read from
 * <dir>/<name>.key.pem and <dir>/<name>.cert.pem when both exist, otherwise made there (the directory
 * 0700, the key 0600) with a self-signed certificate valid for ten years. Made by the openssl CLI when
 * this process uses OpenSSL's GOST engine and the CLI is installed; by the JavaScript implementation
 * otherwise (the same formats: the tests check that the engine reads them). Never meant for production
 * keys, which come from an accredited CA. runGostOpenssl is the openssl CLI with the engine, for the
 * tests' cross-checks too.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { chooseGost, type GostCrypto } from '../src/upstream/esia/gost.js'
import { gostEnginePath } from '../src/upstream/esia/gost-engine.js'
import { generateGostKeyPair } from '../src/upstream/esia/gost-javascript.js'

export interface GostKeyPair {
  privateKeyPem: string
  certificatePem: string
}

const install = 'install the Debian package libengine-gost-openssl and the openssl CLI'
const validDays = 3650

function opensslConfig(enginePath: string): string {
  return `openssl_conf = openssl_init
[openssl_init]
engines = engines
[engines]
gost = gost
[gost]
engine_id = gost
dynamic_path = ${enginePath}
default_algorithms = ALL
[req]
distinguished_name = distinguished_name
[distinguished_name]
`
}

class OpensslMissing extends Error {
  override name = 'OpensslMissing'
}

/** Runs the openssl CLI in `dir` with OpenSSL's GOST engine loaded (its configuration is written there); answers stdout. */
export function runGostOpenssl(dir: string, args: string[]): string {
  if (!existsSync(gostEnginePath)) throw new Error(`OpenSSL's GOST engine is missing at ${gostEnginePath}: ${install}`)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const configPath = join(dir, 'gost-openssl.cnf')
  if (!existsSync(configPath)) writeFileSync(configPath, opensslConfig(gostEnginePath), { mode: 0o600 })
  try {
    return execFileSync('openssl', args, {
      cwd: dir,
      env: { ...process.env, OPENSSL_CONF: configPath },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })
  } catch (error) {
    const { code, stderr } = error as { code?: string; stderr?: string }
    if (code === 'ENOENT')
      throw new OpensslMissing(`openssl ${args[0]} failed: the openssl CLI is not installed (${install})`, {
        cause: error,
      })
    throw new Error(`openssl ${args[0]} failed (${install}): ${String(stderr ?? (error as Error).message).trim()}`, {
      cause: error,
    })
  }
}

function opensslKeyPair(dir: string, keyPath: string, commonName: string): GostKeyPair {
  const privateKeyPem = runGostOpenssl(dir, ['genpkey', '-algorithm', 'gost2012_256', '-pkeyopt', 'paramset:A'])
  writeFileSync(keyPath, privateKeyPem, { mode: 0o600 })
  const certificatePem = runGostOpenssl(dir, [
    'req',
    '-new',
    '-x509',
    '-md_gost12_256',
    '-days',
    String(validDays),
    '-subj',
    `/CN=${commonName}`,
    '-key',
    keyPath,
  ])
  return { privateKeyPem, certificatePem }
}

/** Reads the key pair `name` from `dir`, or makes it there (common name `commonName`). */
export function ensureGostKeyPair(
  dir: string,
  name: string,
  commonName: string,
  gost: GostCrypto = chooseGost().crypto,
): GostKeyPair {
  const keyPath = join(dir, `${name}.key.pem`)
  const certificatePath = join(dir, `${name}.cert.pem`)
  if (existsSync(keyPath) && existsSync(certificatePath)) {
    return { privateKeyPem: readFileSync(keyPath, 'utf8'), certificatePem: readFileSync(certificatePath, 'utf8') }
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  let pair: GostKeyPair | undefined
  try {
    if (gost.name === 'openssl-engine') pair = opensslKeyPair(dir, keyPath, commonName)
  } catch (error) {
    if (!(error instanceof OpensslMissing)) throw error
  }
  pair ??= generateGostKeyPair(commonName, { days: validDays })
  writeFileSync(keyPath, pair.privateKeyPem, { mode: 0o600 })
  writeFileSync(certificatePath, pair.certificatePem, { mode: 0o644 })
  return pair
}
