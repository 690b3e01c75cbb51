/*
 * Whether a sign-in needs a second factor (pure), from the region's `secondFactor` policy, the person's
 * role and factors, how they signed in, and what the diary module asked for:
 * - a person who has a factor gives it after the diary password, always (their choice protects them)
 * - a State Services sign-in counts as strong when the region says so (`stateServicesCounts`, default
 *   true: ESIA asks for its own second factor) and the provider verified the person; otherwise it is
 *   treated like a password
 * - a role the region requires a factor of, with none enrolled: before `from`, enrolment is offered
 *   (skippable, with the date); from `from` on, `graceSignIns` sign-ins may still skip; then it must
 * - a diary module asking for the strong level (acr_values mfa) gets the factor, or enrolment for a
 *   person who has none (the module asked: skipping it would only bounce back)
 * - the level the bridge vouches for afterwards: mfa after a factor or a strong State Services sign-in
 */
import type { RegionConfig } from '../config/load.js'
import type { AcrLevel, Role } from '../db/schema.js'

export interface SecondFactorQuestion {
  policy: RegionConfig['secondFactor']
  role: Role
  /** Confirmed factors of the account (passkeys and one-time code apps; recovery codes are not one). */
  hasFactor: boolean
  /** How the first step was made; for State Services, whether the provider verified the person. */
  first: { method: 'password' } | { method: 'state_services'; verified: boolean }
  /** The diary module asked for the strong level (acr_values). */
  wantsStrong: boolean
  /** Sign-ins already made without the factor the policy requires (the grace used up). */
  skipsUsed: number
  now: Date
}

export type SecondFactorAnswer =
  /** Signed in at `acr`. */
  | { kind: 'none'; acr: AcrLevel }
  /** Give one of the enrolled factors. */
  | { kind: 'ask' }
  /** Enrol a factor; `skippable` until the policy is in force (then `from`, for the banner) or within the grace. */
  | { kind: 'enrol'; skippable: false }
  | { kind: 'enrol'; skippable: true; from: Date | undefined; skipsLeft: number | undefined }

export function inForce(policy: RegionConfig['secondFactor'], now: Date): boolean {
  return policy.from === undefined || now.getTime() >= Date.parse(policy.from)
}

export function decideSecondFactor(question: SecondFactorQuestion): SecondFactorAnswer {
  const { policy, first } = question
  const strongFirst = first.method === 'state_services' && first.verified && policy.stateServicesCounts
  if (strongFirst) return { kind: 'none', acr: 'mfa' }
  if (question.hasFactor) return { kind: 'ask' }
  if (question.wantsStrong) return { kind: 'enrol', skippable: false }
  if (!policy.required.includes(question.role)) return { kind: 'none', acr: 'password' }
  if (!inForce(policy, question.now)) {
    return { kind: 'enrol', skippable: true, from: new Date(Date.parse(policy.from as string)), skipsLeft: undefined }
  }
  const skipsLeft = policy.graceSignIns - question.skipsUsed
  if (skipsLeft > 0) return { kind: 'enrol', skippable: true, from: undefined, skipsLeft }
  return { kind: 'enrol', skippable: false }
}
