/*
 * What the help page (web/pages/help.ts) reads: the schools of a region to choose from, one school's
 * contact card, and the school of an account whose owner is identified already.
 * - a school is found by its id only within the region asked for (the region is in the query): another
 *   region's id is not found, like an unknown one
 */
import { findAccountById } from '../accounts/account.repository.js'
import { findSchoolById, listSchoolNames, type School } from '../accounts/school.repository.js'
import type { RouteContext } from '../context.js'

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export interface HelpSchools {
  /** Every school of the region, by name. */
  schools: { id: string; name: string }[]
  /** The school asked for, when it is one of the region's. */
  school: School | undefined
}

/** The region's schools, and `schoolId`'s school when it is a school of that region (anything else: none). */
export async function helpSchools(
  context: Pick<RouteContext, 'db'>,
  region: string,
  schoolId: string | undefined,
): Promise<HelpSchools> {
  const [schools, school] = await Promise.all([
    listSchoolNames(context.db, region),
    schoolId !== undefined && uuid.test(schoolId) ? findSchoolById(context.db, region, schoolId) : undefined,
  ])
  return { schools, school }
}

/** The region and school of an account, for the help link of a page that only its identified owner sees. */
export async function accountSchool(
  context: Pick<RouteContext, 'db'>,
  accountId: string,
): Promise<{ region: string; schoolId: string | null } | undefined> {
  const account = await findAccountById(context.db, accountId)
  return account && { region: account.region, schoolId: account.schoolId }
}
