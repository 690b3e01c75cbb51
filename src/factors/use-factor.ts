/*
 * A second step typed by a person, checked and spent in one call, so every page does it the same way:
 * - a one-time code is tried against each confirmed TOTP factor of the account (its sealed secret opened
 *   with the factor key); the step it matches is then spent in the database, and only the caller whose
 *   UPDATE moved the step forward is answered `accepted`: a code is used once across instances
 * - a recovery code is normalised, hashed with the account id and spent by one UPDATE
 * - a malformed entry, a wrong one and one spent already are all `refused`: the page says the same for each
 * - a sealed secret that does not open (another KEY_ENCRYPTION_KEY, a changed row) throws: that is a fault
 *   of the installation, not a wrong code
 */
import type { Executor } from '../db/schema.js'
import { hashRecoveryCode, openFactorSecret } from './factor-secret.js'
import { findTotpFactors, spendRecoveryCode, spendTotpStep } from './factor.repository.js'
import { normaliseRecoveryCode } from './recovery-codes.js'
import { matchTotpCode, normaliseTotpCode } from './totp.js'

export type CodeOutcome = { kind: 'accepted'; factorId: string } | { kind: 'refused' }

/** Checks and spends a one-time code of one of the account's TOTP factors; `factorKey` is factorSecretKey(KEK). */
export async function useTotpCode(
  db: Executor,
  factorKey: Buffer,
  accountId: string,
  typed: string,
  now: Date,
): Promise<CodeOutcome> {
  if (normaliseTotpCode(typed) === undefined) return { kind: 'refused' }
  for (const factor of await findTotpFactors(db, accountId)) {
    const step = matchTotpCode(openFactorSecret(factorKey, factor.sealedSecret), typed, now.getTime(), factor.lastStep)
    if (step !== undefined && (await spendTotpStep(db, factor.id, step, now)))
      return { kind: 'accepted', factorId: factor.id }
  }
  return { kind: 'refused' }
}

/** Checks and spends one of the account's recovery codes; `hashKey` is secretsKey(SNILS_PEPPER). */
export async function useRecoveryCode(
  db: Executor,
  hashKey: Buffer,
  accountId: string,
  typed: string,
  now: Date,
): Promise<boolean> {
  const code = normaliseRecoveryCode(typed)
  if (code === undefined) return false
  return spendRecoveryCode(db, accountId, hashRecoveryCode(hashKey, accountId, code), now)
}
