/*
 * One diary-password attempt, as the sign-in form and the binding form both make it:
 * throttle check (a blocked account or address is refused before the password is looked at),
 * credential check (same work for unknown logins), then the counters and the audit event.
 */
import type { FastifyRequest } from 'fastify'
import { checkCredentials } from '../accounts/credentials.js'
import { busyError } from '../accounts/password-hash.js'
import { normaliseLogin } from '../accounts/import/validate-row.js'
import { attemptKeys, blockedUntil, recordFailure, recordSuccess } from '../accounts/throttle.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { RouteContext } from '../context.js'
import type { DiaryAccountRow } from '../db/schema.js'
import { BridgeError } from '../errors.js'

export async function attemptPassword(
  request: FastifyRequest,
  context: RouteContext,
  region: string,
  login: string,
  password: string,
  purpose: 'sign_in' | 'binding',
): Promise<DiaryAccountRow | undefined> {
  // Shed load first: a refused attempt must cost next to nothing, or refusing becomes the new bottleneck.
  if (context.hasher.saturated()) throw busyError()
  const { db } = context
  const policy = context.config.bridge.throttling
  const keys = attemptKeys(region, normaliseLogin(login), request.ip)
  const now = context.now()
  const until = await blockedUntil(db, keys, now)
  if (until !== undefined) {
    await recordAuditEvent(db, { type: `password_${purpose}`, outcome: 'throttled', region, requestId: request.id })
    context.metrics.login(region, purpose === 'binding' ? 'binding' : 'password', 'throttled')
    throw new BridgeError('ERR_THROTTLED', 'too many failed attempts', { retryAfterSeconds: Math.ceil((until.getTime() - now.getTime()) / 1000) })
  }
  const account = await checkCredentials(db, context.hasher, region, login, password)
  if (account === undefined) await recordFailure(db, keys, policy, now)
  else await recordSuccess(db, keys)
  context.metrics.login(region, purpose === 'binding' ? 'binding' : 'password', account === undefined ? 'failure' : 'success')
  await recordAuditEvent(db, {
    type: `password_${purpose}`,
    outcome: account === undefined ? 'failure' : 'success',
    accountId: account?.id,
    region,
    requestId: request.id,
  })
  return account
}
