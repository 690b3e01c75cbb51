/*
 * Console roles (console/operator.repository.ts does the work): who may administer a school, operate a
 * region or work its support desk in the console.
 * - only a teacher's or staff account, active, of the region holds a role
 * - a school-admin names its school with --school: the id, the diary's id or the name `schools list` shows;
 *   the region roles take no --school
 * - every grant and revoke names its operator (the grant keeps it as `operator:<name>`, masked like any
 *   free text) and is audited with the role and the school id
 */
import type { Kysely } from 'kysely'
import { findSchoolById, findSchoolsNamed, type School } from '../accounts/school.repository.js'
import {
  grantOperatorRole,
  listOperatorRoles,
  type OperatorGrant,
  type OperatorRole,
  operatorRoles,
  revokeOperatorRole,
} from '../console/operator.repository.js'
import { type Database, isUuid } from '../db/schema.js'
import { maskSnilsLike } from '../person/snils.js'
import {
  accountLabel,
  argument,
  type CliCommand,
  type CommandContext,
  type CommandInput,
  findAccountOrSay,
  formatTime,
  operatorOption,
  operatorRequired,
  orDash,
  regionOption,
  regionRequired,
  requiredValue,
} from './command.js'

const roleOption = '--role ROLE      school-admin, region-operator or support'
const schoolOption = "--school ID      a school-admin's school: its id, the diary's id or its name (schools list)"
const notStaff = 'only teacher or staff accounts may hold a console role'

/** The role and school the options ask for, or undefined after saying what is wrong (before the database). */
function roleOf(context: CommandContext, input: CommandInput, command: string) {
  const role = requiredValue(input, 'role')
  if (!(operatorRoles as readonly string[]).includes(role)) {
    context.err(`${command}: unknown role "${role}"; one of ${operatorRoles.join(', ')}`)
    return undefined
  }
  const school = input.values.school?.trim() || undefined
  if (role === 'school-admin' && school === undefined) {
    context.err(`${command}: a school-admin needs --school ID (see schools list --region R)`)
    return undefined
  }
  if (role !== 'school-admin' && school !== undefined) {
    context.err(`${command}: --school is for a school-admin only: a ${role} has the whole region`)
    return undefined
  }
  return { role: role as OperatorRole, school }
}

/** The school of --school in the region, or undefined after saying there is none or several. */
async function findSchoolOrSay(
  context: CommandContext,
  db: Kysely<Database>,
  region: string,
  value: string,
): Promise<School | undefined> {
  const byId = isUuid(value) ? await findSchoolById(db, region, value) : undefined
  const schools = byId !== undefined ? [byId] : await findSchoolsNamed(db, region, value, 2)
  if (schools.length === 1) return schools[0]
  context.err(
    schools.length === 0
      ? `no school "${value}" in region ${region} (see schools list --region ${region})`
      : `"${value}" names several schools of region ${region}: give the school's id (see schools list --region ${region})`,
  )
  return undefined
}

function describe(grant: Pick<OperatorGrant, 'role' | 'region' | 'schoolName'>): string {
  return grant.role === 'school-admin'
    ? `school-admin of ${orDash(grant.schoolName)}`
    : `${grant.role} of region ${grant.region}`
}

const operatorsGrant: CliCommand = {
  name: 'operators grant',
  arguments: ['LOGIN'],
  synopsis: 'LOGIN --region R --role ROLE [--school ID] --operator NAME [--reason TEXT]',
  summary:
    "Gives a teacher's or staff account a console role: school-admin of one school (--school), or region-operator or support of its region.",
  options: {
    region: regionOption,
    role: roleOption,
    school: schoolOption,
    operator: operatorOption,
    reason: '--reason TEXT    why (kept with the role)',
  },
  required: { region: regionRequired, role: 'the role to give', operator: operatorRequired },
  run: async (context, input) => {
    const wanted = roleOf(context, input, 'operators grant')
    if (wanted === undefined) return 1
    return context.withDatabase(async (db) => {
      const region = requiredValue(input, 'region')
      const account = await findAccountOrSay(context, db, region, argument(input, 0))
      if (account === undefined) return 1
      const school = wanted.school === undefined ? null : await findSchoolOrSay(context, db, region, wanted.school)
      if (school === undefined) return 1
      const reason = input.values.reason?.trim()
      const outcome = await grantOperatorRole(db, {
        accountId: account.id,
        role: wanted.role,
        region,
        schoolId: school?.id ?? null,
        grantedBy: `operator:${maskSnilsLike(requiredValue(input, 'operator').trim())}`,
        reason: reason ? maskSnilsLike(reason) : null,
      })
      switch (outcome.kind) {
        case 'granted':
          context.out(`${accountLabel(account)} is now ${describe(outcome.grant)}`)
          return 0
        case 'exists':
          context.out(
            `${accountLabel(account)} is ${describe(outcome.grant)} already (since ${formatTime(outcome.grant.grantedAt)}, by ${outcome.grant.grantedBy}): nothing changed`,
          )
          return 0
        case 'refused':
          switch (outcome.reason) {
            case 'not_staff':
              context.err(`${notStaff}: ${accountLabel(account)} is a ${account.role}`)
              return 1
            case 'inactive':
              context.err(`${accountLabel(account)} is ${account.state}: reactivate it first (accounts reactivate)`)
              return 1
            case 'unknown_school':
              context.err(`no school "${wanted.school}" in region ${region} (see schools list --region ${region})`)
              return 1
            case 'other_region':
              context.err(`${accountLabel(account)} is not an account of region ${region}`)
              return 1
          }
      }
    })
  },
}

const operatorsRevoke: CliCommand = {
  name: 'operators revoke',
  arguments: ['LOGIN'],
  synopsis: 'LOGIN --region R --role ROLE [--school ID] --operator NAME',
  summary: 'Takes a console role away (a school-admin: of the school of --school).',
  options: { region: regionOption, role: roleOption, school: schoolOption, operator: operatorOption },
  required: { region: regionRequired, role: 'the role to take away', operator: operatorRequired },
  run: async (context, input) => {
    const wanted = roleOf(context, input, 'operators revoke')
    if (wanted === undefined) return 1
    return context.withDatabase(async (db) => {
      const region = requiredValue(input, 'region')
      const account = await findAccountOrSay(context, db, region, argument(input, 0))
      if (account === undefined) return 1
      const school = wanted.school === undefined ? null : await findSchoolOrSay(context, db, region, wanted.school)
      if (school === undefined) return 1
      const key = { role: wanted.role, region, schoolName: school?.name ?? null }
      const revoked = await revokeOperatorRole(db, {
        accountId: account.id,
        role: wanted.role,
        region,
        schoolId: school?.id ?? null,
      })
      context.out(
        revoked === undefined
          ? `${accountLabel(account)} is not ${describe(key)}: nothing changed`
          : `${accountLabel(account)} is no longer ${describe(key)}`,
      )
      return 0
    })
  },
}

const operatorsList: CliCommand = {
  name: 'operators list',
  synopsis: '[--region R] [--school ID]',
  summary: 'Lists the console roles: login, role, region, school, granted by, when.',
  options: {
    region: '--region R       only the roles of this region',
    school: '--school ID      only the admins of this school (with --region)',
  },
  run: (context, input) => {
    const region = input.values.region
    const schoolValue = input.values.school?.trim() || undefined
    if (schoolValue !== undefined && region === undefined) {
      context.err('operators list: --school needs --region R (a school belongs to one region)')
      return Promise.resolve(1)
    }
    return context.withDatabase(async (db) => {
      const school =
        schoolValue === undefined || region === undefined
          ? null
          : await findSchoolOrSay(context, db, region, schoolValue)
      if (school === undefined) return 1
      const grants = await listOperatorRoles(db, {
        ...(region === undefined ? {} : { region }),
        ...(school === null ? {} : { schoolId: school.id }),
      })
      if (grants.length === 0) {
        context.out('no console roles')
        return 0
      }
      const rows = [
        ['LOGIN', 'ROLE', 'REGION', 'SCHOOL', 'GRANTED BY', 'WHEN'],
        ...grants.map((grant) => [
          grant.login,
          grant.role,
          grant.region,
          orDash(grant.schoolName),
          grant.grantedBy,
          formatTime(grant.grantedAt),
        ]),
      ]
      const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
      for (const row of rows)
        context.out(
          row
            .map((cell, column) => cell.padEnd(widths[column]!))
            .join('  ')
            .trimEnd(),
        )
      return 0
    })
  },
}

export const operatorRoleCommands: readonly CliCommand[] = [operatorsGrant, operatorsList, operatorsRevoke]
