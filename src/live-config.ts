/*
 * The configuration a running instance serves, replaceable while it runs (SIGHUP): regions and clients
 * (the files of regions/ and clients/, and the secrets they name) take effect at once; bridge.json and
 * the bridge's own secrets are fixed for the life of the process (sessions, keys, pools are built from
 * them), so a change there is reported as needing a restart and otherwise ignored.
 */
import { isDeepStrictEqual } from 'node:util'
import type { Config } from './config/load.js'
import { revealSecrets } from './config/secret.js'
import { type ClientAuthenticator, createClientAuthenticator } from './oauth/client-auth.js'
import { createRegionRegistry, type Region } from './regions/registry.js'

export interface LiveConfig {
  readonly config: Config
  readonly regions: ReadonlyMap<string, Region>
  readonly authenticateClient: ClientAuthenticator
  /** Switches to `next`; answers what changed and what only a restart would apply. */
  replace(next: Config): { regions: string[]; clients: string[]; restartNeeded: string[] }
}

function changedKeys<T>(
  before: ReadonlyMap<string, T>,
  after: ReadonlyMap<string, T>,
  view: (value: T) => unknown,
): string[] {
  const keys = new Set([...before.keys(), ...after.keys()])
  return [...keys].filter((key) => {
    const a = before.get(key)
    const b = after.get(key)
    return a === undefined || b === undefined || !isDeepStrictEqual(view(a), view(b))
  })
}

export function createLiveConfig(initial: Config, options: { fetch?: typeof fetch }): LiveConfig {
  const authenticatorFor = (config: Config) =>
    createClientAuthenticator(config.clients, {
      issuer: config.publicUrl,
      tokenEndpoint: `${config.publicUrl}/token`,
      fetch: options.fetch,
    })
  let config = initial
  let regions = createRegionRegistry(initial, options)
  let authenticateClient = authenticatorFor(initial)

  return {
    get config() {
      return config
    },
    get regions() {
      return regions
    },
    get authenticateClient() {
      return authenticateClient
    },
    replace(next) {
      const restartNeeded = [
        ...(isDeepStrictEqual(next.bridge, config.bridge) ? [] : ['bridge.json']),
        ...(next.publicUrl === config.publicUrl ? [] : ['PUBLIC_URL']),
      ]
      const merged: Config = { ...config, regions: next.regions, clients: next.clients }
      const changes = {
        regions: changedKeys(config.regions, next.regions, revealSecrets),
        clients: changedKeys(config.clients, next.clients, revealSecrets),
        restartNeeded,
      }
      regions = createRegionRegistry(merged, { ...options, previous: regions })
      authenticateClient = authenticatorFor(merged)
      config = merged
      return changes
    },
  }
}
