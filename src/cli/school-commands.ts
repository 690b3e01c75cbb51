/*
 * Support desk: the schools of a region and the contact of each school's responsible employee (what
 * help pages tell a parent to ask). Schools themselves come from imports and the diary.
 * - `schools set-contact` changes only the parts given; an empty value ("") clears that part
 * - every change names its operator in the audit trail (masked like any free text)
 */
import { findSchoolById, listSchools, type School, setSchoolContact } from '../accounts/school.repository.js'
import { recordAuditEvent } from '../audit/record-audit-event.js'
import { isUuid } from '../db/schema.js'
import { maskSnilsLike } from '../person/snils.js'
import { argument, type CliCommand, operatorOption, operatorRequired, orDash, requiredValue } from './command.js'

const schoolRegion = '--region R       the region of the schools (a code under config/regions)'
const parts = ['name', 'room', 'phone', 'hours'] as const

function formatContact(school: School): string {
  if (school.contact === null) return '—'
  return parts.map((part) => orDash(school.contact?.[part])).join(' · ')
}

const schoolsList: CliCommand = {
  name: 'schools list',
  synopsis: '--region R',
  summary:
    "Lists the schools of a region: id, the diary's id, name, and the responsible employee (name · room · phone · hours).",
  options: { region: schoolRegion },
  required: { region: 'schools are listed within one region' },
  run: (context, input) =>
    context.withDatabase(async (db) => {
      const region = requiredValue(input, 'region')
      const schools = await listSchools(db, region)
      if (schools.length === 0) context.out(`region ${region} has no schools yet: imports create them`)
      for (const school of schools)
        context.out([school.id, orDash(school.diaryId), school.name, formatContact(school)].join('  '))
      return 0
    }),
}

const schoolsSetContact: CliCommand = {
  name: 'schools set-contact',
  arguments: ['ID'],
  synopsis: 'ID --region R [--name TEXT] [--room TEXT] [--phone TEXT] [--hours TEXT] --operator NAME',
  summary:
    'Sets the contact of the school\'s responsible employee (the id from `schools list`); only the parts given change, "" clears one.',
  options: {
    region: schoolRegion,
    name: '--name TEXT      the employee ("Петрова Анна Сергеевна, заместитель директора")',
    room: '--room TEXT      where to find them ("каб. 12")',
    phone: '--phone TEXT     their phone',
    hours: '--hours TEXT     when ("пн–пт 9:00–16:00")',
    operator: operatorOption,
  },
  required: { region: 'a school belongs to one region', operator: operatorRequired },
  run: async (context, input) => {
    const given = parts.filter((part) => input.values[part] !== undefined)
    if (given.length === 0) {
      context.err('schools set-contact: give at least one of --name, --room, --phone, --hours')
      return 1
    }
    return context.withDatabase(async (db) => {
      const region = requiredValue(input, 'region')
      const id = argument(input, 0)
      const school = isUuid(id) ? await findSchoolById(db, region, id) : undefined
      if (school === undefined) {
        context.err(`no school with id "${id}" in region ${region} (see schools list --region ${region})`)
        return 1
      }
      const contact = Object.fromEntries(
        parts.map((part) => [part, input.values[part] ?? school.contact?.[part] ?? null]),
      ) as Record<(typeof parts)[number], string | null>
      const now = context.now()
      await db.transaction().execute(async (trx) => {
        await setSchoolContact(trx, region, school.id, contact, now)
        await recordAuditEvent(trx, {
          type: 'school_contact_set',
          outcome: 'success',
          region,
          details: {
            school_id: school.id,
            parts: given.join(','),
            operator: maskSnilsLike(requiredValue(input, 'operator')),
          },
        })
      })
      const updated = await findSchoolById(db, region, school.id)
      context.out(`${school.name}: ${updated === undefined ? '—' : formatContact(updated)}`)
      return 0
    })
  },
}

export const schoolCommands: readonly CliCommand[] = [schoolsList, schoolsSetContact]
