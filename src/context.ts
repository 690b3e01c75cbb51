/* What every route plugin is given (as plugin options, never as globals). */
import type { Kysely } from 'kysely'
import type { PasswordHasher } from './accounts/password-hash.js'
import type { Config } from './config/load.js'
import type { Database } from './db/schema.js'
import type { Senders } from './notify/senders.js'
import type { Metrics } from './ops/metrics.js'
import type { RequestRates } from './ops/request-rate.js'
import type { Region } from './regions/registry.js'
import type { KeyStore } from './tokens/key-store.js'

export interface RouteContext {
  config: Config
  db: Kysely<Database>
  now: () => Date
  regions: ReadonlyMap<string, Region>
  keys: KeyStore
  hasher: PasswordHasher
  metrics: Metrics
  /** The request limits of /token, /revoke and /introspect. */
  requestRates: RequestRates
  /** E-mail and SMS to people (password recovery, confirming a contact). */
  senders: Senders
}
