// The id of a school of a region named `name`, created when the region has none (tests insert accounts directly).
import type { Kysely } from 'kysely'
import { resolveSchool } from '../../src/accounts/school.repository.js'
import type { Database } from '../../src/db/schema.js'

export async function schoolId(db: Kysely<Database>, region: string, name: string): Promise<string> {
  const resolved = await resolveSchool(db, region, { name }, new Date())
  if (!resolved.ok) throw new Error(`school "${name}" of region ${region}: ${resolved.problem}`)
  return resolved.school.id
}
