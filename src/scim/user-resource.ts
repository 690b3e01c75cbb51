/*
 * A diary account as a SCIM User (RFC 7643 §4.1 and our extension, scim/schemas.ts), both ways (pure).
 * - out: id, externalId, userName, name (middleName = patronymic), active (state active), one e-mail and
 *   one phone, meta with version W/"<version>"; the extension with region, school, schoolId, class, role,
 *   birthDate, snilsLast4, consoleRoles (the account's console roles, a school by the diary's id, or by
 *   its name when it has none); never the password nor the SNILS
 * - in: attribute names case-insensitive; names, logins, dates, SNILS, e-mails and phones normalised and
 *   checked by the same rules as the import (accounts/import/validate-row.ts, person/*.ts); unknown
 *   attributes are ignored (RFC 7644 §3.3), readOnly ones too (id, meta and region are checked by the
 *   routes: a change is a mutability error); a wrong type or value is a problem that names the attribute,
 *   never its value (it may be a SNILS or a password)
 * - consoleRoles in: a list of { value: school-admin | region-operator | support, school }, the school
 *   (a non-empty string) with a school-admin only; null or [] is none, repeats count once; whether the
 *   account may hold them and the school exists is the database's to say (scim/console-roles.ts)
 */
import type { Account } from '../accounts/account.repository.js'
import { type HeldRole, type OperatorRole, operatorRoles } from '../console/operator.repository.js'
import type { Role } from '../db/schema.js'
import type { ProvisionedAccount } from '../lifecycle/provision.js'
import { parseBirthDate } from '../person/birth-date.js'
import { parseEmail, parsePhone } from '../person/contact.js'
import { parseSnils } from '../person/snils.js'
import { normaliseText } from '../person/text.js'
import { normaliseLogin } from '../accounts/account.repository.js'
import { coreUserSchema, diaryUserSchema } from './schemas.js'

export type ScimUser = Record<string, unknown> & { id: string; meta: Record<string, unknown> }

export function etagOf(account: Pick<Account, 'version'>): string {
  return `W/"${account.version}"`
}

/** The version an If-Match header names (W/"7" or "7"); `*` and a list are not versions we make. */
export function versionOf(ifMatch: string | undefined): string | undefined | false {
  if (ifMatch === undefined) return undefined
  if (ifMatch.trim() === '*') return undefined
  const match = /^\s*(?:W\/)?"(\d{1,18})"\s*$/.exec(ifMatch)
  return match === null ? false : match[1]
}

/** A console role as received: the school as the client names it (the diary's id). */
export interface ConsoleRoleAsk {
  role: OperatorRole
  school: string | null
}

export function toScimUser(account: Account, baseUrl: string, roles: readonly HeldRole[] = []): ScimUser {
  const formatted = [account.familyName, account.givenName, account.patronymic].filter(Boolean).join(' ')
  const extension: Record<string, unknown> = { region: account.region, role: account.role }
  if (account.school !== null) extension.school = account.school
  if (account.schoolDiaryId !== null) extension.schoolId = account.schoolDiaryId
  if (account.className !== null) extension.class = account.className
  if (account.birthDate !== null) extension.birthDate = account.birthDate
  if (account.snilsLast4 !== null) extension.snilsLast4 = account.snilsLast4
  if (roles.length > 0) {
    extension.consoleRoles = roles.map((held) =>
      held.schoolId === null
        ? { value: held.role }
        : { value: held.role, school: held.schoolDiaryId ?? held.schoolName },
    )
  }
  return {
    schemas: [coreUserSchema, diaryUserSchema],
    id: account.id,
    ...(account.externalId === null ? {} : { externalId: account.externalId }),
    userName: account.login,
    name: {
      formatted,
      familyName: account.familyName,
      givenName: account.givenName,
      ...(account.patronymic === null ? {} : { middleName: account.patronymic }),
    },
    displayName: formatted,
    active: account.state === 'active',
    ...(account.email ? { emails: [{ value: account.email, type: 'other', primary: true }] } : {}),
    ...(account.phone ? { phoneNumbers: [{ value: account.phone, type: 'mobile', primary: true }] } : {}),
    [diaryUserSchema]: extension,
    meta: {
      resourceType: 'User',
      created: account.createdAt.toISOString(),
      lastModified: account.updatedAt.toISOString(),
      location: `${baseUrl}/Users/${account.id}`,
      version: etagOf(account),
    },
  }
}

/** A User as received: the account to write, and the read-only values the routes compare. */
export interface ReceivedUser {
  account: Omit<ProvisionedAccount, 'role'> & { role: Role | undefined }
  /** The extension's region, when given. */
  region: string | undefined
  /** Undefined when the body has no consoleRoles. */
  consoleRoles: ConsoleRoleAsk[] | undefined
  id: unknown
  meta: unknown
}

export type UserParse =
  { ok: true; user: ReceivedUser } | { ok: false; scimType: 'invalidSyntax' | 'invalidValue'; detail: string }

const roles: readonly Role[] = ['pupil', 'parent', 'teacher', 'staff']
const maxText = 200

class Problem extends Error {}

/** The value of `name` in `object`, whatever its case (RFC 7643 §2.1). */
export function attributeOf(object: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(object).find((candidate) => candidate.toLowerCase() === name.toLowerCase())
  return key === undefined ? undefined : object[key]
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function text(object: Record<string, unknown>, name: string, label: string): string | null {
  const value = attributeOf(object, name)
  if (value === undefined || value === null) return null
  if (typeof value !== 'string') throw new Problem(`${label}: must be a string`)
  // White space is folded below; other control characters (NUL: PostgreSQL refuses it) are bad input.
  if (/[^\P{Cc}\t\n\r]/u.test(value)) throw new Problem(`${label}: must not hold control characters`)
  const normalised = normaliseText(value) ?? null
  if (normalised !== null && normalised.length > maxText)
    throw new Problem(`${label}: longer than ${maxText} characters`)
  return normalised
}

function objectOf(object: Record<string, unknown>, name: string, label: string): Record<string, unknown> {
  const value = attributeOf(object, name)
  if (value === undefined || value === null) return {}
  if (!isObject(value)) throw new Problem(`${label}: must be an object`)
  return value
}

/** The value of the primary entry of a multi-valued attribute (or of its first), or null. */
function primaryValue(object: Record<string, unknown>, name: string): string | null {
  const value = attributeOf(object, name)
  if (value === undefined || value === null) return null
  if (!Array.isArray(value) || !value.every(isObject)) throw new Problem(`${name}: must be a list of objects`)
  const entry = value.find((item) => attributeOf(item, 'primary') === true) ?? value[0]
  if (entry === undefined) return null
  const inner = attributeOf(entry, 'value')
  if (inner === undefined || inner === null) return null
  if (typeof inner !== 'string') throw new Problem(`${name}.value: must be a string`)
  return inner
}

const maxConsoleRoles = 50

function consoleRolesOf(extension: Record<string, unknown>): ConsoleRoleAsk[] | undefined {
  const value = attributeOf(extension, 'consoleRoles')
  if (value === undefined) return undefined
  if (value === null) return []
  if (!Array.isArray(value) || !value.every(isObject)) throw new Problem('consoleRoles: must be a list of objects')
  if (value.length > maxConsoleRoles) throw new Problem(`consoleRoles: more than ${maxConsoleRoles} roles`)
  const asks = new Map<string, ConsoleRoleAsk>()
  for (const entry of value) {
    const roleText = text(entry, 'value', 'consoleRoles.value')?.toLowerCase()
    const role = operatorRoles.find((candidate) => candidate === roleText)
    if (role === undefined) throw new Problem('consoleRoles.value: must be school-admin, region-operator or support')
    const school = text(entry, 'school', 'consoleRoles.school')
    if (role === 'school-admin' && school === null)
      throw new Problem('consoleRoles.school: required for a school-admin')
    if (role !== 'school-admin' && school !== null) throw new Problem(`consoleRoles.school: a ${role} has no school`)
    asks.set(JSON.stringify([role, school]), { role, school })
  }
  return [...asks.values()]
}

function booleanOf(object: Record<string, unknown>, name: string): boolean | undefined {
  const value = attributeOf(object, name)
  if (value === undefined || value === null) return undefined
  if (typeof value === 'boolean') return value
  // Some directories (Microsoft Entra) send booleans as "True"/"False".
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true'
  throw new Problem(`${name}: must be a boolean`)
}

/** Checks a received User (POST, PUT, or a PATCH applied to the stored one); `today` is YYYY-MM-DD. */
export function parseScimUser(body: unknown, today: string): UserParse {
  if (!isObject(body)) return { ok: false, scimType: 'invalidSyntax', detail: 'the body must be a JSON object' }
  try {
    return { ok: true, user: readUser(body, today) }
  } catch (error) {
    if (error instanceof Problem) return { ok: false, scimType: 'invalidValue', detail: error.message }
    throw error
  }
}

function readUser(body: Record<string, unknown>, today: string): ReceivedUser {
  const schemas = attributeOf(body, 'schemas')
  if (schemas !== undefined && !(Array.isArray(schemas) && schemas.every((item) => typeof item === 'string'))) {
    throw new Problem('schemas: must be a list of strings')
  }
  const rawLogin = attributeOf(body, 'userName')
  if (typeof rawLogin !== 'string') throw new Problem('userName: is required and must be a string')
  const login = normaliseLogin(rawLogin)
  if (login === '') throw new Problem('userName: is required')
  if (login.length > 64) throw new Problem('userName: longer than 64 characters')
  if (/[\s\p{Cc}]/u.test(login)) throw new Problem('userName: must not contain spaces or control characters')

  const name = objectOf(body, 'name', 'name')
  const familyName = text(name, 'familyName', 'name.familyName')
  const givenName = text(name, 'givenName', 'name.givenName')
  const patronymic = text(name, 'middleName', 'name.middleName')
  if (familyName === null) throw new Problem('name.familyName: is required')
  if (givenName === null) throw new Problem('name.givenName: is required')
  for (const [label, value] of [
    ['name.familyName', familyName],
    ['name.givenName', givenName],
    ['name.middleName', patronymic],
  ] as const) {
    if (value !== null && !/\p{L}/u.test(value)) throw new Problem(`${label}: must contain letters`)
  }

  const rawEmail = primaryValue(body, 'emails')
  let email: string | null = null
  if (rawEmail !== null && rawEmail.trim() !== '') {
    const parsed = parseEmail(rawEmail)
    if (!parsed.ok) throw new Problem('emails.value: must be an e-mail address such as name@example.ru')
    email = parsed.email
  }
  const rawPhone = primaryValue(body, 'phoneNumbers')
  let phone: string | null = null
  if (rawPhone !== null && rawPhone.trim() !== '') {
    const parsed = parsePhone(rawPhone)
    if (!parsed.ok) throw new Problem('phoneNumbers.value: must be +7 and 10 digits, or + and 8 to 15 digits')
    phone = parsed.phone
  }

  const rawPassword = attributeOf(body, 'password')
  if (rawPassword !== undefined && rawPassword !== null && typeof rawPassword !== 'string') {
    throw new Problem('password: must be a string')
  }
  const password = typeof rawPassword === 'string' ? rawPassword : undefined
  if (password !== undefined && (password.length < 6 || password.length > 128)) {
    throw new Problem('password: must be 6 to 128 characters long')
  }

  const externalId = text(body, 'externalId', 'externalId')
  const extension = objectOf(body, diaryUserSchema, diaryUserSchema)
  const roleText = text(extension, 'role', 'role')?.toLowerCase()
  const role = roleText === undefined ? undefined : roles.find((candidate) => candidate === roleText)
  if (roleText !== undefined && role === undefined) throw new Problem('role: must be pupil, parent, teacher or staff')
  const region = text(extension, 'region', 'region') ?? undefined
  const schoolName = text(extension, 'school', 'school')
  const schoolId = text(extension, 'schoolId', 'schoolId')
  if (schoolId !== null && schoolName === null) throw new Problem('school: the name is required with schoolId')

  let birthDate: string | null = null
  const birthText = text(extension, 'birthDate', 'birthDate')
  if (birthText !== null) {
    const parsed = parseBirthDate(birthText, today)
    if (!parsed.ok) throw new Problem('birthDate: must be a real date YYYY-MM-DD between 1900-01-01 and today')
    birthDate = parsed.date
  }
  const rawSnils = attributeOf(extension, 'snils')
  let snils: string | null | undefined
  if (rawSnils === null) snils = null
  else if (rawSnils !== undefined) {
    if (typeof rawSnils !== 'string') throw new Problem('snils: must be a string')
    const parsed = parseSnils(rawSnils)
    if (!parsed.ok) {
      throw new Problem(
        parsed.reason === 'format' ? 'snils: must have 11 digits' : 'snils: check number does not match',
      )
    }
    snils = parsed.digits
  }

  return {
    account: {
      login,
      externalId,
      role,
      familyName,
      givenName,
      patronymic,
      birthDate,
      snils,
      school: schoolName === null ? null : { name: schoolName, diaryId: schoolId },
      className: text(extension, 'class', 'class'),
      email,
      phone,
      password,
      // Absent: a new account is active, a replaced one keeps its state (a PUT never reactivates by omission).
      active: booleanOf(body, 'active'),
    },
    region,
    consoleRoles: consoleRolesOf(extension),
    id: attributeOf(body, 'id'),
    meta: attributeOf(body, 'meta'),
  }
}
