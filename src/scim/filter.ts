/*
 * A SCIM filter (RFC 7644 §3.4.2.2), parsed by scim2-parse-filter, as one SQL condition over the accounts
 * (accounts/account.repository.ts listAccountsInRegions): nothing is filtered in memory.
 * - attributes: userName, externalId, id, name.familyName, name.givenName, name.middleName, active,
 *   meta.created, meta.lastModified, and the extension's school (its name or the diary's id of it),
 *   schoolId, class, role; with or without their schema URN; names case-insensitive
 * - operators: eq ne co sw ew gt ge lt le on text; eq ne on active; eq ne gt ge lt le on dates; pr on all;
 *   and, or, not, grouping
 * - text compares case-insensitively (caseExact false) but for externalId, schoolId and role; userName is
 *   stored lower-cased, so its comparisons use the column as it is (and its index)
 * - a missing value (null column) satisfies no comparison but `ne`, and `not` inverts exactly
 * - an unknown attribute, an operator that means nothing for the attribute, a value of the wrong type,
 *   a value path (emails[type eq "work"]) or a filter that does not parse → ERR_SCIM_INVALID_FILTER
 */
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely'
import { type Filter, parse } from 'scim2-parse-filter'
import type { AccountCondition } from '../accounts/account.repository.js'
import { normaliseLogin } from '../accounts/account.repository.js'
import { schoolIdsWhereSql } from '../accounts/school.repository.js'
import type { Database } from '../db/schema.js'
import { BridgeError } from '../errors.js'
import { coreUserSchema, diaryUserSchema } from './schemas.js'

type Eb = ExpressionBuilder<Database, 'diary_account'>
type Column =
  | 'diary_account.login'
  | 'diary_account.external_id'
  | 'diary_account.id'
  | 'diary_account.family_name'
  | 'diary_account.given_name'
  | 'diary_account.patronymic'
  | 'diary_account.class_name'
  | 'diary_account.role'

type Attribute =
  | { kind: 'text'; column: Column; fold: 'stored_lower' | 'lower' | 'exact' }
  | { kind: 'uuid' }
  | { kind: 'active' }
  | { kind: 'date'; column: 'diary_account.created_at' | 'diary_account.updated_at' }
  | { kind: 'school'; by: 'name_or_diary_id' | 'diary_id' }

const attributes: Record<string, Attribute> = {
  username: { kind: 'text', column: 'diary_account.login', fold: 'stored_lower' },
  externalid: { kind: 'text', column: 'diary_account.external_id', fold: 'exact' },
  id: { kind: 'uuid' },
  'name.familyname': { kind: 'text', column: 'diary_account.family_name', fold: 'lower' },
  'name.givenname': { kind: 'text', column: 'diary_account.given_name', fold: 'lower' },
  'name.middlename': { kind: 'text', column: 'diary_account.patronymic', fold: 'lower' },
  active: { kind: 'active' },
  'meta.created': { kind: 'date', column: 'diary_account.created_at' },
  'meta.lastmodified': { kind: 'date', column: 'diary_account.updated_at' },
  [`${diaryUserSchema}:school`.toLowerCase()]: { kind: 'school', by: 'name_or_diary_id' },
  [`${diaryUserSchema}:schoolid`.toLowerCase()]: { kind: 'school', by: 'diary_id' },
  [`${diaryUserSchema}:class`.toLowerCase()]: { kind: 'text', column: 'diary_account.class_name', fold: 'lower' },
  [`${diaryUserSchema}:role`.toLowerCase()]: { kind: 'text', column: 'diary_account.role', fold: 'exact' },
}

const invalid = (detail: string) => new BridgeError('ERR_SCIM_INVALID_FILTER', detail)

function attributeOf(path: string): Attribute {
  const lower = path.toLowerCase()
  const core = `${coreUserSchema.toLowerCase()}:`
  const attribute = attributes[lower.startsWith(core) ? lower.slice(core.length) : lower]
  if (attribute === undefined) throw invalid(`the attribute ${path.slice(0, 100)} cannot be filtered on`)
  return attribute
}

/** The filter as a condition, or ERR_SCIM_INVALID_FILTER. */
export function filterCondition(text: string): AccountCondition {
  // No stored value holds a control character, and PostgreSQL refuses NUL in text: such a filter means nothing.
  if (/\p{Cc}/u.test(text)) throw invalid('the filter holds a control character')
  let filter: Filter
  try {
    filter = parse(text)
  } catch {
    throw invalid('the filter does not parse')
  }
  // Attributes, operators and values are checked as the query is built (before it is sent).
  return (eb: Eb) => conditionOf(eb, filter)
}

const escapeLike = (value: string) => value.replace(/[\\%_]/gu, (c) => `\\${c}`)

function conditionOf(eb: Eb, filter: Filter): Expression<SqlBool> {
  switch (filter.op) {
    case 'and':
    case 'or':
      return eb[filter.op]((filter as { filters: Filter[] }).filters.map((inner) => conditionOf(eb, inner)))
    case 'not':
      return eb.not(conditionOf(eb, (filter as { filter: Filter }).filter))
    case '[]':
      throw invalid('value paths are not supported in filters')
    case 'pr':
      return present(eb, attributeOf((filter as { attrPath: string }).attrPath))
    default: {
      const { attrPath, compValue } = filter as { attrPath: string; compValue: unknown; op: string }
      return compare(eb, attributeOf(attrPath), filter.op, compValue)
    }
  }
}

function present(eb: Eb, attribute: Attribute): Expression<SqlBool> {
  switch (attribute.kind) {
    case 'text':
      return eb(attribute.column, 'is not', null)
    case 'school':
      return eb('diary_account.school_id', 'is not', null)
    case 'uuid':
    case 'active':
    case 'date':
      return sql<boolean>`true`
  }
}

function compare(eb: Eb, attribute: Attribute, op: string, value: unknown): Expression<SqlBool> {
  if (op === 'ne') return eb.not(compare(eb, attribute, 'eq', value))
  if (value === null) {
    if (op !== 'eq') throw invalid(`${op} null means nothing`)
    return eb.not(present(eb, attribute))
  }
  switch (attribute.kind) {
    case 'active':
      if (op !== 'eq' || typeof value !== 'boolean') throw invalid('active compares with eq or ne to true or false')
      return eb('diary_account.state', value ? '=' : '<>', 'active')
    case 'uuid':
      if (op !== 'eq' || typeof value !== 'string') throw invalid('id compares with eq or ne')
      return eb(sql`diary_account.id::text`, '=', value.toLowerCase())
    case 'date': {
      // RFC 3339 in years 0001–9999 (what the database holds); Date alone would take "1 1" or year 0.
      const rfc3339 = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i
      const at = typeof value === 'string' && rfc3339.test(value) ? new Date(value) : undefined
      if (at === undefined || Number.isNaN(at.getTime())) throw invalid('a date compares to an RFC 3339 date-time')
      const operator = ({ eq: '=', gt: '>', ge: '>=', lt: '<', le: '<=' } as const)[op as 'eq']
      if (operator === undefined) throw invalid(`${op} does not apply to dates`)
      return eb(attribute.column, operator, at)
    }
    case 'school': {
      if (typeof value !== 'string') throw invalid('school compares to a string')
      if (op !== 'eq' && op !== 'co' && op !== 'sw' && op !== 'ew') throw invalid(`${op} does not apply to school`)
      return eb.and([
        eb('diary_account.school_id', 'is not', null),
        eb('diary_account.school_id', 'in', schoolIdsWhereSql(attribute.by, op, value)),
      ])
    }
    case 'text':
      return compareText(eb, attribute, op, value)
  }
}

function compareText(
  eb: Eb,
  attribute: Extract<Attribute, { kind: 'text' }>,
  op: string,
  value: unknown,
): Expression<SqlBool> {
  if (typeof value !== 'string') throw invalid('a text attribute compares to a string')
  const folded =
    attribute.fold === 'stored_lower'
      ? normaliseLogin(value)
      : attribute.fold === 'lower'
        ? value.normalize('NFC').toLowerCase()
        : value
  const column =
    attribute.fold === 'lower' ? eb.fn<string>('lower', [eb.ref(attribute.column)]) : eb.ref(attribute.column)
  const known = eb(attribute.column, 'is not', null)
  const test = (() => {
    switch (op) {
      case 'eq':
        return eb(column, '=', folded)
      case 'co':
        return eb(column, 'like', `%${escapeLike(folded)}%`)
      case 'sw':
        return eb(column, 'like', `${escapeLike(folded)}%`)
      case 'ew':
        return eb(column, 'like', `%${escapeLike(folded)}`)
      case 'gt':
        return eb(column, '>', folded)
      case 'ge':
        return eb(column, '>=', folded)
      case 'lt':
        return eb(column, '<', folded)
      case 'le':
        return eb(column, '<=', folded)
      default:
        throw invalid(`the operator ${op.slice(0, 10)} is not supported`)
    }
  })()
  return eb.and([known, test])
}
