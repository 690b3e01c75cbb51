/*
 * The demo's own environment: what `npm run demo` adds to process.env, and what the operator's tool
 * adds in development when it reads the demo configuration (`config/`), so that `diary-bridge config
 * check` works there out of the box. Demo values only: production never gets them.
 * - REGION_78_CLIENT_SECRET, DEMO_DIARY_CLIENT_SECRET: fixed demo secrets (the simulators know them);
 *   DEMO_HR_CLIENT_SECRET: the demo machine client's (client_credentials, docs/provider.md)
 * - LOG_FORMAT=pretty: one readable line per request
 * - REGION_29_ESIA_PRIVATE_KEY, REGION_29_ESIA_CERTIFICATE, DEMO_ESIA_CERTIFICATES: the demo's GOST key
 *   pairs in <DATA_DIR>/esia-demo/, made on first use (by the openssl CLI with OpenSSL's GOST engine, or
 *   in JavaScript where the engine is absent: gost-keys.ts)
 * - whatever the environment sets itself wins
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ensureGostKeyPair, type GostKeyPair } from './gost-keys.js'

export const demoSecrets = {
  REGION_78_CLIENT_SECRET: 'demo-state-services-secret-78',
  DEMO_DIARY_CLIENT_SECRET: 'demo-diary-client-secret',
  DEMO_HR_CLIENT_SECRET: 'demo-hr-client-secret',
}

export interface DemoEnvironment {
  env: Record<string, string | undefined>
  keys: { system: GostKeyPair; esia: GostKeyPair }
  /** The key pairs were made just now (the first run). */
  generated: boolean
}

/** The environment with the demo's secrets and keys added where it does not set them. */
export function demoEnvironment(env: Record<string, string | undefined>): DemoEnvironment {
  const dir = join(resolve(env.DATA_DIR ?? 'data'), 'esia-demo')
  const generated = !existsSync(join(dir, 'system.key.pem')) || !existsSync(join(dir, 'esia.key.pem'))
  const keys = {
    system: ensureGostKeyPair(dir, 'system', 'Diary bridge 29 (demo)'),
    esia: ensureGostKeyPair(dir, 'esia', 'ESIA simulator (demo)'),
  }
  return {
    env: {
      ...demoSecrets,
      LOG_FORMAT: 'pretty',
      REGION_29_ESIA_PRIVATE_KEY: keys.system.privateKeyPem,
      REGION_29_ESIA_CERTIFICATE: keys.system.certificatePem,
      DEMO_ESIA_CERTIFICATES: keys.esia.certificatePem,
      ...env,
    },
    keys,
    generated,
  }
}
