/*
 * The support desk's reset of an account's second factors ("I lost my phone"):
 * - every factor (pending ones too) and every recovery code of the account go, its sessions end
 *   (sessions/end-sessions.ts: back-channel logout notices go out, the sessions join the revocation list)
 *   and the audit event `factors_reset` names the operator, the reason and the counts, in one transaction
 * - the account is looked up in the region inside the transaction (scope in the statement); an erased or
 *   unknown account, or one of another region, is `not_found`
 * - the operator and the reason are free text, masked like any (a SNILS typed into them is not stored)
 */
import type { Kysely } from 'kysely'
import { findAccountInRegion } from '../accounts/account.repository.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { Database } from '../db/schema.js'
import { inTransaction } from '../db/transaction.js'
import { maskSnilsLike } from '../person/snils.js'
import { countSessions, endSessions } from '../sessions/end-sessions.js'
import { type RemovedFactors, removeAllFactors } from './factor.repository.js'

export interface FactorReset {
  region: string
  accountId: string
  operator: string
  reason: string
  now: Date
}

export type FactorResetOutcome =
  { kind: 'reset'; removed: RemovedFactors; sessionsEnded: number } | { kind: 'not_found' }

export function resetFactors(db: Kysely<Database>, reset: FactorReset): Promise<FactorResetOutcome> {
  return inTransaction(db, async (trx): Promise<FactorResetOutcome> => {
    const account = await findAccountInRegion(trx, reset.region, reset.accountId)
    if (account === undefined || account.state === 'erased') return { kind: 'not_found' }
    const removed = await removeAllFactors(trx, reset.accountId)
    const sessionsEnded = countSessions(await endSessions(trx, { accountId: reset.accountId }, 'support', reset.now))
    await recordAuditEvent(trx, {
      type: 'factors_reset',
      outcome: 'success',
      accountId: reset.accountId,
      region: reset.region,
      details: {
        by: `operator:${maskSnilsLike(reset.operator.trim())}`,
        reason: maskSnilsLike(reset.reason.trim()).slice(0, 500),
        passkeys_removed: removed.passkeys,
        totp_removed: removed.totp,
        recovery_codes_removed: removed.recoveryCodes,
        sessions_ended: sessionsEnded,
      },
    })
    return { kind: 'reset', removed, sessionsEnded }
  })
}
