/*
 * What the loader knows of a login protocol: the schema of a region's `stateServices.provider` and the
 * checks that schema cannot express. The protocols themselves live in upstream/<type>/config.ts and
 * reach the loader as a table (upstream/connectors.ts), so config/ names none of them.
 * - a provider's `type` picks its kind; a provider without `type` is the kind whose schema gives
 *   `type` a default
 * - a kind's problems have paths inside the provider object (`/issuer`); the loader puts them under
 *   `/stateServices/provider` of the region file
 */
import type { TObject } from 'typebox'
import type Type from 'typebox'
import type { KeyProblem } from './problems.js'

/** A provider as the loader hands it on: its kind's settings, with secrets and files read. */
export interface ProviderSettings {
  readonly type: string
}

export interface ProviderCheckContext {
  /** The environment, as schema.ts's EnvironmentVariables (not imported: schema.ts imports this file). */
  env: Readonly<Record<string, string | undefined>>
  production: boolean
  /** Relative file paths are read from here. */
  configDir: string
}

export interface ProviderKind<S extends TObject = TObject, P extends ProviderSettings = ProviderSettings> {
  /** The provider object, closed, with a literal `type` equal to its key in the table. */
  readonly schema: S
  /** The settings of a provider that passed the schema; undefined when a problem leaves nothing to use. */
  check(file: Type.Static<S>, context: ProviderCheckContext, problems: KeyProblem[]): P | undefined
}

/** `type` → kind (`check` is a method: each kind takes its own file type). */
export type ProviderKinds = Readonly<Record<string, ProviderKind>>

/** The settings any kind of the table produces. */
export type ProviderOf<K extends ProviderKinds> = NonNullable<ReturnType<K[keyof K]['check']>>
