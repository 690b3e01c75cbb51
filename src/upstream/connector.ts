/*
 * The seam between the bridge and a state-services login protocol (the Dex shape): a connector sends
 * the browser to the provider and turns the provider's answer into one normalised `Identity`. Linking,
 * pages and tokens see only this interface; each protocol lives in `upstream/<type>/` (its configuration
 * in config.ts, its connector in connector.ts) and is chosen by the region's provider `type` from the
 * table in connectors.ts (README.md: adding a login protocol).
 * - what a connector must remember between start and callback is its own `ConnectorState`: opaque
 *   strings, kept by the bridge in the encrypted login-transaction cookie and handed back unchanged
 * - every failure is a BridgeError with an ERR_UPSTREAM_* code (upstream-error.ts); the cause never
 *   carries personal data
 */
import type { TObject } from 'typebox'
import type { ProviderKind, ProviderSettings } from '../config/provider-kind.js'
import { BridgeError } from '../errors.js'
import type { GostImplementationSetting } from './esia/gost.js'

export interface Identity {
  /** The provider's issuer: with `subject`, the person's stable key in identity links. */
  issuer: string
  subject: string
  /** The provider vouches for the person's identity (a confirmed account). */
  verified: boolean
  familyName?: string
  givenName?: string
  patronymic?: string
  /** YYYY-MM-DD. */
  birthDate?: string
  /** 11 digits with a valid check number. Personal data: never logged, never stored in clear. */
  snils?: string
  /** The provider sent a SNILS that is not a valid one (format or check number). */
  snilsInvalid: boolean
}

/** What a connector keeps between the start and the callback of one login; JSON, opaque to the bridge. */
export type ConnectorState = Readonly<Record<string, string>>

export interface Connector {
  /** The issuer its identities carry. */
  readonly issuer: string
  /** The URL to send the browser to, and the state to hand back to `finishLogin`. */
  startLogin(options?: { locale?: string }): Promise<{ url: URL; state: ConnectorState }>
  /** Validates the callback (the full URL the provider redirected to) and returns the person. */
  finishLogin(callbackUrl: URL, state: ConnectorState): Promise<Identity>
  /** The provider's logout URL that comes back to `postLogoutRedirectUri`, if it has one. */
  endSessionUrl(postLogoutRedirectUri: string): Promise<URL | undefined>
}

/** What every connector is built with, besides its provider settings. */
export interface ConnectorContext {
  /** The bridge's own callback URL, exactly as registered at the provider. */
  redirectUri: string
  /** For tests and proxies; the global fetch otherwise. */
  fetch?: typeof fetch
  now?: () => number
  /** ESIA's GOST implementation (bridge.json `gostImplementation`); "auto" when not given. */
  gostImplementation?: GostImplementationSetting
}

/**
 * A login protocol, one entry of the table in connectors.ts: what the configuration loader needs
 * (`schema`, `check`: config/provider-kind.ts) and how to build a connector from the checked settings.
 */
export interface ConnectorKind<
  S extends TObject = TObject,
  P extends ProviderSettings = ProviderSettings,
> extends ProviderKind<S, P> {
  create(provider: P, context: ConnectorContext): Connector
}

/** The state field `name`; a state without it (another connector's, an old cookie's) is ERR_LOGIN_EXPIRED. */
export function stateField(state: ConnectorState, name: string): string {
  const value = state[name]
  if (typeof value !== 'string') throw new BridgeError('ERR_LOGIN_EXPIRED', `the login attempt has no ${name}`)
  return value
}

/**
 * The callback answers this login attempt: its `state` is the one sent (RFC 6749 §10.12), checked before
 * anything else the callback says. Another browser's callback, a made-up or missing state, or an error
 * without this login's state is the request's doing, not the provider's: ERR_LOGIN_EXPIRED (start again).
 */
export function requireCallbackState(callbackUrl: URL, expected: string): void {
  if (callbackUrl.searchParams.get('state') !== expected)
    throw new BridgeError('ERR_LOGIN_EXPIRED', "the callback state is not this login attempt's")
}
