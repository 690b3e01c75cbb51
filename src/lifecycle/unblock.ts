/*
 * Lifting an account's block after wrong passwords, for the operator's tool and the school console alike:
 * the account's throttle row is cleared and the lift audited in one transaction (`unblocked` when a block
 * was running, `not_blocked` when only failures were counted), with the operator masked like free text.
 */
import type { Kysely } from 'kysely'
import type { Account } from '../accounts/account.repository.js'
import { type AccountThrottle, clearAccountThrottle } from '../accounts/throttle.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import type { Database } from '../db/schema.js'
import { inTransaction } from '../db/transaction.js'
import { maskSnilsLike } from '../person/snils.js'

/** What was cleared (undefined: nothing was counted), and the end of the block that was running, if one was. */
export function unblockAccount(
  db: Kysely<Database>,
  pepper: Buffer,
  account: Pick<Account, 'id' | 'region' | 'login'>,
  by: { operator: string; now: Date; requestId?: string },
): Promise<{ cleared: AccountThrottle | undefined; blockedUntil: Date | undefined }> {
  return inTransaction(db, async (trx) => {
    const cleared = await clearAccountThrottle(trx, pepper, account.region, account.login)
    const until = cleared?.blockedUntil ?? undefined
    const blockedUntil = until !== undefined && until > by.now ? until : undefined
    await recordAuditEvent(trx, {
      type: 'account_unblocked',
      outcome: blockedUntil === undefined ? 'not_blocked' : 'unblocked',
      accountId: account.id,
      region: account.region,
      requestId: by.requestId ?? null,
      details: { operator: maskSnilsLike(by.operator), failures: cleared?.failures ?? 0 },
    })
    return { cleared, blockedUntil }
  })
}
