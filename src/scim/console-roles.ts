/*
 * Console roles as the extension's `consoleRoles` (issue 27), read with the Users and written with them.
 * - read: the roles the accounts hold (console/operator.repository.ts), one statement for a page of Users
 * - write: the asked roles become the account's roles exactly, the missing granted (grantedBy
 *   `scim:<client_id>`), the others revoked; what the request alone decides (the values, the account's
 *   role) is checked before anything is written; the schools (by the diary's id in the account's region: a
 *   school the same request introduces counts) are all found before any role is written, and that and
 *   what the write decides (a deactivated account) in the transaction of the account's write, so a
 *   refusal leaves the account and its roles as they were
 * - every refusal is a 400 invalidValue
 */
import type { Kysely } from 'kysely'
import { findSchool } from '../accounts/school.repository.js'
import {
  type GrantOutcome,
  grantOperatorRole,
  type HeldRole,
  listOperatorRoles,
  listRolesOfAccounts,
  type OperatorRole,
  revokeOperatorRole,
} from '../console/operator.repository.js'
import type { Database, Role } from '../db/schema.js'
import { BridgeError } from '../errors.js'
import type { ConsoleRoleAsk } from './user-resource.js'

/** A role to hold, its school found: null for the roles of a whole region. */
interface WantedRole {
  role: OperatorRole
  schoolId: string | null
}

const invalid = (detail: string) => new BridgeError('ERR_SCIM_INVALID_VALUE', detail)

/** The roles of each account, by account id. */
export async function rolesOfAccounts(
  db: Kysely<Database>,
  accountIds: readonly string[],
): Promise<Map<string, HeldRole[]>> {
  const byAccount = new Map<string, HeldRole[]>()
  for (const held of await listRolesOfAccounts(db, accountIds)) {
    byAccount.set(held.accountId, [...(byAccount.get(held.accountId) ?? []), held])
  }
  return byAccount
}

/** Refuses roles for an account of `role` that may hold none: before any write. */
export function checkConsoleRoles(asks: readonly ConsoleRoleAsk[], role: Role): void {
  if (asks.length > 0 && role !== 'teacher' && role !== 'staff') {
    throw invalid('consoleRoles: only teacher or staff accounts may hold a console role')
  }
}

/** The asked roles with their schools, of `region`. */
async function resolveConsoleRoles(
  db: Kysely<Database>,
  region: string,
  asks: readonly ConsoleRoleAsk[],
): Promise<WantedRole[]> {
  const wanted: WantedRole[] = []
  for (const ask of asks) {
    if (ask.school === null) {
      wanted.push({ role: ask.role, schoolId: null })
      continue
    }
    const found = await findSchool(db, region, { name: ask.school, diaryId: ask.school })
    if (found === undefined || !found.ok)
      throw invalid("consoleRoles.school: no school of the account's region has this id")
    wanted.push({ role: ask.role, schoolId: found.school.id })
  }
  return wanted
}

const sameRole = (a: WantedRole, b: WantedRole) => a.role === b.role && a.schoolId === b.schoolId

function refusal(outcome: GrantOutcome): BridgeError | undefined {
  if (outcome.kind !== 'refused') return undefined
  switch (outcome.reason) {
    case 'not_staff':
      return invalid('consoleRoles: only teacher or staff accounts may hold a console role')
    case 'inactive':
      return invalid('consoleRoles: a deactivated account gets no new console role')
    case 'unknown_school':
      return invalid("consoleRoles.school: no school of the account's region has this id")
    case 'other_region':
      return invalid("consoleRoles: a role is of the account's own region only")
  }
}

/** Makes the account's roles exactly those asked; run it in the transaction of the account's write. */
export async function setConsoleRoles(
  trx: Kysely<Database>,
  account: { id: string; region: string },
  asks: readonly ConsoleRoleAsk[],
  grantedBy: string,
): Promise<void> {
  const wanted = await resolveConsoleRoles(trx, account.region, asks)
  const held = await listOperatorRoles(trx, { accountId: account.id })
  for (const grant of held) {
    if (wanted.some((one) => sameRole(one, grant))) continue
    await revokeOperatorRole(trx, {
      accountId: account.id,
      role: grant.role,
      region: grant.region,
      schoolId: grant.schoolId,
    })
  }
  for (const one of wanted) {
    if (held.some((grant) => sameRole(one, grant))) continue
    const outcome = await grantOperatorRole(trx, { accountId: account.id, region: account.region, grantedBy, ...one })
    const refused = refusal(outcome)
    if (refused !== undefined) throw refused
  }
}
