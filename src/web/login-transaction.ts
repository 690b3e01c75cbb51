/*
 * The login transaction: everything a login in progress must remember, in the encrypted
 * `__Host-bridge-login` cookie, never in process memory (a login started on one instance finishes on
 * another). Each phase carries its own random id and start time:
 * - a phase older than the configured TTL counts as absent (the cookie's own expiry slides)
 * - `upstream` and `binding` ids are consumed once in the database (consumeLoginTransaction)
 * It holds no SNILS and no full name: only an HMAC of the SNILS and a masked name for display.
 */
import { randomBytes } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { SessionMethod } from '../db/schema.js'
import type { NeedsPasswordReason } from '../linking/match.js'
import type { AuthorizationRequest } from '../oauth/authorize-request.js'
import type { UpstreamTransaction } from '../upstream/oidc-connector.js'
import { BridgeError } from '../errors.js'

export interface LoginTransaction {
  region?: string
  /** The authorization request of the diary module that sent the browser here. */
  authorize?: AuthorizationRequest & { startedAt: number }
  /** A verified temporary password that must be replaced before the sign-in completes. */
  passwordChange?: { accountId: string; method: SessionMethod; upstreamIssuer?: string; startedAt: number }
  /** Where to send the browser after the upstream provider's logout. */
  logout?: { redirectUri: string; startedAt: number }
  upstream?: UpstreamTransaction & { id: string; region: string; startedAt: number }
  binding?: {
    id: string
    region: string
    issuer: string
    subject: string
    snilsHmac?: string
    maskedName: string
    reason: NeedsPasswordReason
    startedAt: number
  }
}

export function newTransactionId(): string {
  return randomBytes(16).toString('base64url')
}

export function readLoginTransaction(request: FastifyRequest): LoginTransaction {
  return {
    region: request.loginTx.get('region'),
    upstream: request.loginTx.get('upstream'),
    binding: request.loginTx.get('binding'),
    authorize: request.loginTx.get('authorize'),
    logout: request.loginTx.get('logout'),
    passwordChange: request.loginTx.get('passwordChange'),
  }
}

/** The phase, if present and younger than `ttlSeconds`; otherwise ERR_LOGIN_EXPIRED. */
export function requirePhase<K extends 'upstream' | 'binding' | 'authorize' | 'logout' | 'passwordChange'>(
  request: FastifyRequest,
  phase: K,
  ttlSeconds: number,
  now: number,
): NonNullable<LoginTransaction[K]> {
  const value = readLoginTransaction(request)[phase]
  if (value === undefined || now - value.startedAt > ttlSeconds * 1000 || value.startedAt > now + 60_000) {
    throw new BridgeError('ERR_LOGIN_EXPIRED', 'the login attempt is missing or expired')
  }
  return value
}
