/*
 * Changing a diary password, whoever asks: the person replacing a temporary password, the owner on the
 * account page, the person who forgot it (login/password-recovery.ts), the support desk issuing a new
 * temporary one. A change of an account's whole state, so it lives above accounts/ and linking/.
 * - a chosen password follows password-policy.ts and must differ from the one it replaces (the current
 *   one, which for a forced change is the temporary one): checked against the stored hash
 * - the hash, the end of the other sessions (with their refresh tokens), the end of every binding by
 *   password from a State Services person the provider did not vouch for (linking/unlink.ts: they
 *   proved only that someone knew the old password) and the audit events are one transaction,
 *   together with the caller's `claim` (spending the link or step that allowed the change); the caller
 *   learns which links ended, to tell the owner
 * - a temporary password from the support desk is random, shown once, and must be changed at the next
 *   sign-in; every session of the account ends; the operator's name is audited (masked like free text)
 */
import { randomInt } from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import { type Account, findPasswordHash, setPassword } from '../accounts/account.repository.js'
import type { PasswordHasher } from '../accounts/password-hash.js'
import { checkNewPassword, type PasswordProblem } from '../accounts/password-policy.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import { BridgeError } from '../errors.js'
import type { Database } from '../db/schema.js'
import type { IdentityLink } from '../linking/identity-link.repository.js'
import { removeUnverifiedBindings } from '../linking/unlink.js'
import { maskSnilsLike } from '../person/snils.js'
import { endSessions } from '../sessions/end-sessions.js'

/** `endedLinks`: the State Services links the change ended (unverified bindings by password). */
export type PasswordChange = { ok: true; endedLinks: IdentityLink[] } | { ok: false; problem: PasswordProblem }

export async function changePassword(
  db: Kysely<Database>,
  hasher: PasswordHasher,
  account: Account,
  change: {
    password: string
    repeat: string
    keepSessionId?: string
    now: Date
    requestId?: string
    /** Replace only this temporary password (compare-and-set): a second replacement finds it gone. */
    replacing?: { passwordChangedAt: Date | null }
    /** Spends what allowed this change, in its transaction; throws (a BridgeError) when it is spent already. */
    claim?: (trx: Transaction<Database>) => Promise<void>
    /** The audit event, when it is not a `password_change`. */
    audit?: { type: string; details: Record<string, string | number | boolean | null> }
  },
): Promise<PasswordChange> {
  const problem = checkNewPassword(change.password, change.repeat, account)
  if (problem !== undefined) return { ok: false, problem }
  const current = await findPasswordHash(db, account.id)
  if (current !== null && (await hasher.verify(current, change.password)))
    return { ok: false, problem: 'same_as_current' }
  const hash = await hasher.hash(change.password)
  const endedLinks = await db.transaction().execute(async (trx) => {
    await change.claim?.(trx)
    const replaced = await setPassword(trx, account.id, { hash, mustChange: false, now: change.now }, change.replacing)
    if (!replaced) throw new BridgeError('ERR_LOGIN_EXPIRED', 'the temporary password was replaced already')
    const by = { kind: 'password_change' as const, sessionId: change.keepSessionId }
    const ended = await removeUnverifiedBindings(trx, account.id, by, {
      now: change.now,
      requestId: change.requestId,
      region: account.region,
    })
    const selector =
      change.keepSessionId === undefined
        ? { accountId: account.id }
        : { accountId: account.id, exceptSessionId: change.keepSessionId }
    await endSessions(trx, selector, 'password_change', change.now)
    await recordAuditEvent(trx, {
      type: change.audit?.type ?? 'password_change',
      outcome: 'success',
      accountId: account.id,
      region: account.region,
      requestId: change.requestId,
      details: { ...(change.audit?.details ?? { temporary: account.mustChangePassword }), linksEnded: ended.length },
    })
    return ended
  })
  return { ok: true, endedLinks }
}

const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789'

/** 12 random characters in groups of four ("k7mp-w3qz-h8ve"): easy to read out, about 59 bits. */
export function newTemporaryPassword(): string {
  const groups = Array.from({ length: 3 }, () =>
    Array.from({ length: 4 }, () => alphabet[randomInt(alphabet.length)]).join(''),
  )
  return groups.join('-')
}

/** Support desk: a new temporary password (returned once, never stored in clear), every session ended, unverified bindings too. */
export async function resetPassword(
  db: Kysely<Database>,
  hasher: PasswordHasher,
  account: Account,
  options: { operator: string; now: Date },
): Promise<{ password: string; endedLinks: IdentityLink[] }> {
  const password = newTemporaryPassword()
  const hash = await hasher.hash(password)
  const endedLinks = await db.transaction().execute(async (trx) => {
    await setPassword(trx, account.id, { hash, mustChange: true, now: options.now })
    const ended = await removeUnverifiedBindings(
      trx,
      account.id,
      { kind: 'password_change' },
      { now: options.now, region: account.region },
    )
    await endSessions(trx, { accountId: account.id }, 'password_reset', options.now)
    await recordAuditEvent(trx, {
      type: 'password_reset',
      outcome: 'success',
      accountId: account.id,
      region: account.region,
      details: { operator: maskSnilsLike(options.operator), linksEnded: ended.length },
    })
    return ended
  })
  return { password, endedLinks }
}
