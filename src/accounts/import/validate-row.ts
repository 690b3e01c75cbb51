/*
 * Validates one imported account row (pure).
 * - login: trimmed, lower-cased (logins compare case-insensitively), 1–64 characters, no spaces
 * - exactly one of password (initial, temporary, 6–128 characters) or password_hash (argon2id PHC)
 * - role: pupil, parent, teacher, staff, or their Russian names
 * - names: Unicode NFC, trimmed, inner whitespace collapsed; family and given name required
 * - birth_date: YYYY-MM-DD or DD.MM.YYYY, a real date between 1900-01-01 and today; optional
 * - snils: any common formatting, valid check number (person/snils.ts); optional
 * - email, phone: normalised by person/contact.ts (lower-cased address; +7 and 10 digits, or + and
 *   8–15 digits); optional, and an empty cell is the same as an absent column
 * - school_id: the diary's own id of the school (optional; needs `school`, the name, beside it)
 * - external_id: the diary's own id of the account (optional; an empty cell keeps the stored one)
 * - active: true/false, 1/0, да/нет, yes/no (any case); an empty cell is true; an absent column (or
 *   JSON field) says nothing, and the account's state stays as it is
 * - problems name the column and the reason, never the value (a row may hold a SNILS or a password)
 */
import type { Role } from '../../db/schema.js'
import { parseBirthDate } from '../../person/birth-date.js'
import { parseEmail, parsePhone } from '../../person/contact.js'
import { parseSnils } from '../../person/snils.js'
import { normaliseText as normalise } from '../../person/text.js'
import { normaliseLogin } from '../account.repository.js'
import { checkImportedHash } from '../password-hash.js'
import type { RawAccount } from './read-records.js'

export interface ImportedAccount {
  login: string
  password: string | null
  passwordHash: string | null
  role: Role
  familyName: string
  givenName: string
  patronymic: string | null
  birthDate: string | null
  /** 11 digits; lives only in memory until it is turned into an HMAC. */
  snils: string | null
  school: string | null
  /** The diary's own id of the school. */
  schoolDiaryId: string | null
  className: string | null
  /** The diary's own id of the account; null keeps the stored one. */
  externalId: string | null
  /** Null: the file says nothing (no `active` column), the state stays as it is. */
  active: boolean | null
  /** Null when the cell is empty or the column absent: the stored contact stays (contact-changes.ts). */
  email: string | null
  phone: string | null
}

/** Absent text is null here, as in the database. */
const normaliseText = (value: string | undefined): string | null => normalise(value) ?? null

const roleNames: Record<string, Role> = {
  pupil: 'pupil',
  student: 'pupil',
  ученик: 'pupil',
  учащийся: 'pupil',
  parent: 'parent',
  родитель: 'parent',
  'законный представитель': 'parent',
  teacher: 'teacher',
  учитель: 'teacher',
  педагог: 'teacher',
  staff: 'staff',
  сотрудник: 'staff',
  администратор: 'staff',
}

const activeValues: Record<string, boolean> = {
  '': true,
  true: true,
  '1': true,
  yes: true,
  да: true,
  false: false,
  '0': false,
  no: false,
  нет: false,
}

const maxLength = 200

export function validateAccountRow(
  fields: RawAccount,
  today: string,
): { ok: true; account: ImportedAccount } | { ok: false; problems: string[] } {
  const problems: string[] = []
  const text = (column: keyof RawAccount): string | null => {
    const value = normaliseText(fields[column])
    if (value !== null && value.length > maxLength) {
      problems.push(`${column}: longer than ${maxLength} characters`)
      return null
    }
    return value
  }

  const login = normaliseLogin(fields.login ?? '')
  if (login === '') problems.push('login: is required')
  else if (login.length > 64) problems.push('login: longer than 64 characters')
  else if (/[\s\p{Cc}]/u.test(login)) problems.push('login: must not contain spaces or control characters')

  const password = fields.password !== undefined && fields.password !== '' ? fields.password : null
  const passwordHash = normaliseText(fields.password_hash)
  if (password !== null && passwordHash !== null) problems.push('password, password_hash: give one of them, not both')
  else if (password === null && passwordHash === null)
    problems.push('password: either password or password_hash is required')
  else if (password !== null && (password.length < 6 || password.length > 128)) {
    problems.push('password: must be 6 to 128 characters long')
  } else if (passwordHash !== null) {
    const problem = checkImportedHash(passwordHash)
    if (problem) problems.push(`password_hash: ${problem}`)
  }

  const roleText = normaliseText(fields.role)?.toLowerCase()
  const role = roleText === undefined ? undefined : roleNames[roleText]
  if (roleText === undefined) problems.push('role: is required')
  else if (role === undefined) problems.push('role: must be pupil, parent, teacher or staff')

  const familyName = text('family_name')
  const givenName = text('given_name')
  const patronymic = text('patronymic')
  if (familyName === null && !problems.some((p) => p.startsWith('family_name')))
    problems.push('family_name: is required')
  if (givenName === null && !problems.some((p) => p.startsWith('given_name'))) problems.push('given_name: is required')
  for (const [column, value] of [
    ['family_name', familyName],
    ['given_name', givenName],
    ['patronymic', patronymic],
  ] as const) {
    if (value !== null && !/\p{L}/u.test(value)) problems.push(`${column}: must contain letters`)
  }

  let birthDate: string | null = null
  const birthText = normaliseText(fields.birth_date)
  if (birthText !== null) {
    const parsed = parseBirthDate(birthText, today)
    if (parsed.ok) birthDate = parsed.date
    else if (parsed.reason === 'invalid')
      problems.push('birth_date: must be a real date written YYYY-MM-DD or DD.MM.YYYY')
    else problems.push('birth_date: must be between 1900-01-01 and today')
  }

  let snils: string | null = null
  const snilsText = normaliseText(fields.snils)
  if (snilsText !== null) {
    const parsed = parseSnils(snilsText)
    if (parsed.ok) snils = parsed.digits
    else problems.push(parsed.reason === 'format' ? 'snils: must have 11 digits' : 'snils: check number does not match')
  }

  let email: string | null = null
  const emailParse = parseEmail(fields.email ?? '')
  if (emailParse.ok) email = emailParse.email
  else if (emailParse.reason === 'malformed') problems.push('email: must be an e-mail address such as name@example.ru')
  else if (emailParse.reason === 'too_long')
    problems.push('email: too long (at most 64 characters before "@", 63 between dots, 254 in all)')

  let phone: string | null = null
  const phoneParse = parsePhone(fields.phone ?? '')
  if (phoneParse.ok) phone = phoneParse.phone
  else if (phoneParse.reason === 'malformed')
    problems.push('phone: must be a phone number: +7 and 10 digits, or + and 8 to 15 digits')

  const school = text('school')
  const schoolDiaryId = text('school_id')
  if (schoolDiaryId !== null && school === null && !problems.some((p) => p.startsWith('school')))
    problems.push('school: is required with school_id (the name of the school)')
  const className = text('class')
  const externalId = text('external_id')
  let active: boolean | null = null
  if (fields.active !== undefined) {
    active = activeValues[fields.active.trim().toLowerCase()] ?? null
    if (active === null) problems.push('active: must be true or false (1 or 0, да or нет); empty is true')
  }
  if (problems.length > 0 || role === undefined || familyName === null || givenName === null) {
    return { ok: false, problems }
  }
  return {
    ok: true,
    account: {
      login,
      password,
      passwordHash,
      role,
      familyName,
      givenName,
      patronymic,
      birthDate,
      snils,
      school,
      schoolDiaryId,
      className,
      externalId,
      active,
      email,
      phone,
    },
  }
}
