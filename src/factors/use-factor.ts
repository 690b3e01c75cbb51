/*
 * A second step typed by a person, checked here and spent by the statement that finishes the step
 * (login/second-factor.ts finishCodeStep), so every page does it the same way:
 * - a one-time code is tried against each confirmed TOTP factor of the account (its sealed secret opened
 *   with the factor key); the step it matches becomes the factor's UPDATE (`spent`), which moves the step
 *   forward for one caller only: a code is used once across instances
 * - a recovery code is normalised, hashed with the account id and becomes one UPDATE the same way
 * - a malformed entry, a wrong one and one spent already all end without a row: the page says the same for each
 * - a sealed secret that does not open (another KEY_ENCRYPTION_KEY, a changed row) throws: that is a fault
 *   of the installation, not a wrong code
 */
import { hashRecoveryCode, openFactorSecret } from './factor-secret.js'
import { spendRecoveryCodeCte, spendTotpStepCte, type TotpFactor } from './factor.repository.js'
import { normaliseRecoveryCode } from './recovery-codes.js'
import { matchTotpCode, normaliseTotpCode } from './totp.js'

/**
 * For a statement that spends and goes on in one round trip (login/second-factor.ts): the spend of the
 * first of `factors` (read already) whose code `typed` is at `now`, in a step after its last one, as the
 * owner's CTE `spent`; undefined for a malformed code or one that matches none.
 */
export function matchTotpFactors(factorKey: Buffer, factors: readonly TotpFactor[], typed: string, now: Date) {
  if (normaliseTotpCode(typed) === undefined) return undefined
  for (const factor of factors) {
    const step = matchTotpCode(openFactorSecret(factorKey, factor.sealedSecret), typed, now.getTime(), factor.lastStep)
    if (step !== undefined) return spendTotpStepCte('spent', factor.id, step, now)
  }
  return undefined
}

/** The same for a recovery code: its spend as the CTE `spent`, or undefined for a malformed one. */
export function recoveryCodeSpend(hashKey: Buffer, accountId: string, typed: string, now: Date) {
  const code = normaliseRecoveryCode(typed)
  if (code === undefined) return undefined
  return spendRecoveryCodeCte('spent', accountId, hashRecoveryCode(hashKey, accountId, code), now)
}
