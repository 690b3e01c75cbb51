/*
 * GOST R 34.10-2012 (256, paramset A) key pairs for the demo and the tests, made by the openssl CLI
 * with OpenSSL's GOST engine: read from <dir>/<name>.key.pem and <dir>/<name>.cert.pem when both exist,
 * otherwise generated there (the directory 0700, the key 0600) with a self-signed certificate valid
 * for ten years. Never meant for production keys, which come from an accredited CA.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { defaultGostEnginePath } from '../upstream/esia/gost.js'

export interface GostKeyPair {
  privateKeyPem: string
  certificatePem: string
}

const install = 'install the Debian package libengine-gost-openssl and the openssl CLI'

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

function runOpenssl(args: string[], configPath: string): string {
  try {
    return execFileSync('openssl', args, { env: { ...process.env, OPENSSL_CONF: configPath }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (error) {
    const { code, stderr } = error as { code?: string; stderr?: string }
    const reason = code === 'ENOENT' ? 'the openssl CLI is not installed' : String(stderr ?? (error as Error).message).trim()
    throw new Error(`openssl ${args[0]} failed (${install}): ${reason}`, { cause: error })
  }
}

/** Reads the key pair `name` from `dir`, or generates it there with the openssl CLI. */
export function ensureGostKeyPair(dir: string, name: string, subject: string): GostKeyPair {
  const keyPath = join(dir, `${name}.key.pem`)
  const certificatePath = join(dir, `${name}.cert.pem`)
  if (existsSync(keyPath) && existsSync(certificatePath)) {
    return { privateKeyPem: readFileSync(keyPath, 'utf8'), certificatePem: readFileSync(certificatePath, 'utf8') }
  }
  if (!existsSync(defaultGostEnginePath)) throw new Error(`OpenSSL's GOST engine is missing at ${defaultGostEnginePath}: ${install}`)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const configPath = join(dir, `${name}.openssl.cnf`)
  writeFileSync(configPath, opensslConfig(defaultGostEnginePath), { mode: 0o600 })
  try {
    const privateKeyPem = runOpenssl(['genpkey', '-algorithm', 'gost2012_256', '-pkeyopt', 'paramset:A'], configPath)
    writeFileSync(keyPath, privateKeyPem, { mode: 0o600 })
    const certificatePem = runOpenssl(['req', '-new', '-x509', '-md_gost12_256', '-days', '3650', '-subj', subject, '-key', keyPath], configPath)
    writeFileSync(certificatePath, certificatePem, { mode: 0o644 })
    return { privateKeyPem, certificatePem }
  } finally {
    rmSync(configPath, { force: true })
  }
}
