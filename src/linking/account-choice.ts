/*
 * Which diary account a State Services login goes into when the identity is linked to several (pure).
 * The accounts come last chosen first (identity-link.repository.ts). In order:
 * - an account is usable when the diary module that asked serves its region (every account is usable
 *   when the login was started at the bridge itself, for its account page)
 * - `prompt=select_account` in the authorization request always asks, even for one usable account
 * - more than one usable account: the person chooses, the last chosen first
 * - otherwise the one usable account, or with none the first (the module then answers access_denied,
 *   as for any account of a region it does not serve)
 */
export interface ChoosableAccount {
  accountId: string
  region: string
}

export interface ChoiceRequest {
  /** The regions of the waiting diary module; undefined when no module is waiting. */
  clientRegions: readonly string[] | undefined
  prompt: string | undefined
}

export type AccountChoice = { kind: 'sign_in'; accountId: string } | { kind: 'choose'; accountIds: readonly string[] }

export function decideAccountChoice(accounts: readonly ChoosableAccount[], request: ChoiceRequest): AccountChoice {
  const [first] = accounts
  if (first === undefined) throw new Error('no linked account to choose from')
  const usable = accounts.filter(
    (account) => request.clientRegions === undefined || request.clientRegions.includes(account.region),
  )
  const [only] = usable
  if (only === undefined) return { kind: 'sign_in', accountId: first.accountId }
  if (usable.length > 1 || request.prompt === 'select_account')
    return { kind: 'choose', accountIds: usable.map((account) => account.accountId) }
  return { kind: 'sign_in', accountId: only.accountId }
}
