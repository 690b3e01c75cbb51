/*
 * ESIA as a protocol peer for the tests and the benchmarks: GOST keys made at first use in a given
 * folder (never committed), the ESIA simulator (demo/esia-simulator.ts) with the bridge's system
 * registered, the region file that points at it, and a login driven by hand (the simulator's person
 * page, the redirect back) up to the callback URL.
 */
import { join } from 'node:path'
import { type RunningEsiaSimulator, startEsiaSimulator } from '../demo/esia-simulator.js'
import { ensureGostKeyPair, type GostKeyPair } from '../demo/gost-keys.js'

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

interface Teardown {
  teardown(fn: () => unknown): void
}

/** The ESIA simulator on a free port, DIARY29 registered with the system certificate of `keys` and `redirectUri`. */
export async function startEsiaPeer(
  t: Teardown,
  keys: EsiaKeys,
  redirectUri: string,
  options: { now?: () => number } = {},
): Promise<RunningEsiaSimulator> {
  const simulator = await startEsiaSimulator({
    port: 0,
    signingKey: keys.esia,
    clients: [{ clientId: 'DIARY29', certificatePem: keys.system.certificatePem, redirectUris: [redirectUri] }],
    now: options.now,
  })
  t.teardown(() => simulator.close())
  return simulator
}

/** The region file of an ESIA region whose keys are files in `keys.dir`. */
export function esiaRegionFile(
  simulator: RunningEsiaSimulator,
  keys: EsiaKeys,
  provider: Record<string, unknown> = {},
) {
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
        // Generous: on a loaded machine the simulator's answer (signed in JavaScript) takes seconds.
        timeoutMs: 5000,
        ...provider,
      },
    },
  }
}

/** Follows the authorization URL to the simulator's page, picks `person` (or an error), and answers where ESIA sends the browser. */
export async function passEsia(
  authorizationUrl: URL,
  choice: { person: string } | { fail: string } | { cancel: true },
): Promise<URL> {
  const page = await fetch(authorizationUrl, { redirect: 'manual' })
  if (page.status === 302) return new URL(page.headers.get('location') as string)
  const html = await page.text()
  const action = /action="(\/simulator\/login\/[^"]+)"/.exec(html)?.[1]
  if (action === undefined)
    throw new Error(`the simulator showed no person page (HTTP ${page.status}): ${html.slice(0, 300)}`)
  const target =
    'person' in choice
      ? action
      : 'fail' in choice
        ? action.replace('/login/', '/fail/')
        : action.replace('/login/', '/cancel/')
  const form: Record<string, string> =
    'person' in choice ? { person: choice.person } : 'fail' in choice ? { fail: choice.fail } : {}
  const answer = await fetch(new URL(target, authorizationUrl), {
    method: 'POST',
    body: new URLSearchParams(form),
    redirect: 'manual',
  })
  const location = answer.headers.get('location')
  if (location === null) throw new Error(`the simulator did not redirect (HTTP ${answer.status})`)
  return new URL(location)
}
