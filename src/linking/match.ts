/*
 * Whether a state-services identity may be linked automatically, and to which account (pure).
 * In order:
 * - the region's policy may switch automatic linking off
 * - the provider must say the account is verified
 * - a valid SNILS is required (an invalid one counts as absent)
 * - exactly one diary account of the region has that SNILS (none: no match; two or more: ambiguous)
 * - its full name matches exactly (person/full-name.ts: no typo is tolerated here) and, when both sides have one, its birth date is the same
 * Anything else asks for the diary password.
 */
import type { LinkMethod } from '../db/schema.js'
import { compareFullNames, type FullName } from '../person/full-name.js'

export type NeedsPasswordReason =
  | 'auto_link_disabled'
  | 'not_verified'
  | 'no_snils'
  | 'no_match'
  | 'ambiguous'
  | 'name_mismatch'
  | 'birth_date_mismatch'

export type LinkOutcome =
  /** `verified`: the provider vouched for the person when the link was made (linking/identity-link.repository.ts). */
  | { kind: 'linked'; accountId: string; created: boolean; method: LinkMethod; verified: boolean; superseded?: true }
  /** The identity is linked to several accounts of the login's region, the last chosen first. */
  | { kind: 'several'; accountIds: readonly string[] }
  | { kind: 'needs_password'; reason: NeedsPasswordReason }
  | { kind: 'conflict'; reason: 'account_linked_elsewhere' }

export interface Candidate extends FullName {
  id: string
  birthDate: string | null
}

export interface MatchInput extends FullName {
  verified: boolean
  hasSnils: boolean
  birthDate?: string
}

export type Evidence = Record<string, string | boolean>

export type AutoLinkDecision =
  { kind: 'link'; accountId: string; evidence: Evidence } | { kind: 'needs_password'; reason: NeedsPasswordReason }

export function decideAutoLink(
  identity: MatchInput,
  candidates: readonly Candidate[],
  policy: { autoLinkBySnils: boolean; allowMissingPatronymic: boolean },
): AutoLinkDecision {
  if (!policy.autoLinkBySnils) return { kind: 'needs_password', reason: 'auto_link_disabled' }
  if (!identity.verified) return { kind: 'needs_password', reason: 'not_verified' }
  if (!identity.hasSnils) return { kind: 'needs_password', reason: 'no_snils' }
  if (candidates.length === 0) return { kind: 'needs_password', reason: 'no_match' }
  if (candidates.length > 1) return { kind: 'needs_password', reason: 'ambiguous' }
  const account = candidates[0] as Candidate
  if (compareFullNames(identity, account, policy) !== 'exact')
    return { kind: 'needs_password', reason: 'name_mismatch' }
  const bothDates = identity.birthDate !== undefined && account.birthDate !== null
  if (bothDates && identity.birthDate !== account.birthDate)
    return { kind: 'needs_password', reason: 'birth_date_mismatch' }
  return {
    kind: 'link',
    accountId: account.id,
    evidence: { verified: true, snils: 'match', name: 'exact', birthDate: bothDates ? 'match' : 'absent' },
  }
}
