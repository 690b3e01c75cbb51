/*
 * Reads an accounts file record by record, streaming, with the line number of each record.
 * - CSV: UTF-8 (a BOM is skipped), header row, "," or ";" (as spreadsheet programs in Russia write),
 *   RFC 4180 quoting (csv.ts); a malformed record is reported and skipped, reading goes on
 * - JSON Lines (.jsonl, .ndjson): one JSON object per line of strings (`active` may also be a JSON
 *   boolean); blank lines are skipped
 * - a header with unknown or missing columns stops the import before any row is read
 */
import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { BridgeError } from '../../errors.js'
import { readCsvRecords } from './csv.js'

export const columns = [
  'login',
  'password',
  'password_hash',
  'role',
  'family_name',
  'given_name',
  'patronymic',
  'birth_date',
  'snils',
  'school',
  'school_id',
  'class',
  'email',
  'phone',
  'external_id',
  'active',
] as const
export type Column = (typeof columns)[number]
export type RawAccount = Partial<Record<Column, string>>

const requiredColumns: readonly Column[] = ['login', 'role', 'family_name', 'given_name']

export type SourceRecord = { line: number; fields: RawAccount } | { line: number; problems: string[] }
export type FileFormat = 'csv' | 'jsonl'

export function detectFormat(path: string): FileFormat | undefined {
  if (/\.csv$/i.test(path)) return 'csv'
  if (/\.(jsonl|ndjson)$/i.test(path)) return 'jsonl'
  return undefined
}

const notUtf8 = 'is not valid UTF-8 (save the file as "CSV UTF-8")'

async function readFirstLine(path: string): Promise<string> {
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new BridgeError('ERR_IMPORT_FILE_INVALID', `${path}: cannot be read (${error.code ?? error.message})`)
  })
  try {
    const buffer = Buffer.alloc(64 * 1024)
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0)
    return buffer.subarray(0, bytesRead).toString('utf8').split(/\r?\n/, 1)[0] ?? ''
  } finally {
    await handle.close()
  }
}

function checkHeader(path: string, header: string[]): Column[] {
  const problems: string[] = []
  const names = header.map((name) => name.trim().toLowerCase())
  names.forEach((name, index) => {
    if (!(columns as readonly string[]).includes(name)) problems.push(`unknown column "${name}" (column ${index + 1})`)
    else if (names.indexOf(name) !== index) problems.push(`column "${name}" appears twice`)
  })
  for (const name of requiredColumns) if (!names.includes(name)) problems.push(`missing column "${name}"`)
  if (!names.includes('password') && !names.includes('password_hash')) {
    problems.push('missing column "password" or "password_hash"')
  }
  if (problems.length > 0) {
    throw new BridgeError(
      'ERR_IMPORT_FILE_INVALID',
      `${path}: header row: ${problems.join('; ')}. Known columns: ${columns.join(', ')}`,
    )
  }
  return names as Column[]
}

function openLines(path: string) {
  return createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity })
}

async function* readCsv(path: string): AsyncGenerator<SourceRecord> {
  const firstLine = (await readFirstLine(path)).replace(/^\uFEFF/, '')
  if (firstLine.includes('\uFFFD')) throw new BridgeError('ERR_IMPORT_FILE_INVALID', `${path}: ${notUtf8}`)
  const delimiter = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ','
  let header: Column[] | undefined
  for await (const record of readCsvRecords(openLines(path), delimiter)) {
    if ('error' in record) {
      if (header === undefined) throw new BridgeError('ERR_IMPORT_FILE_INVALID', `${path}: header row: ${record.error}`)
      yield { line: record.line, problems: [`malformed CSV: ${record.error}`] }
      continue
    }
    if (header === undefined) {
      header = checkHeader(path, record.fields)
      continue
    }
    const values = record.fields
    if (values.length !== header.length) {
      yield {
        line: record.line,
        problems: [
          `has ${values.length} fields, the header has ${header.length} (values that contain "${delimiter}" must be in double quotes)`,
        ],
      }
      continue
    }
    if (values.some((value) => value.includes('\uFFFD'))) {
      yield { line: record.line, problems: [notUtf8] }
      continue
    }
    const fields: RawAccount = {}
    header.forEach((name, index) => (fields[name] = values[index]))
    yield { line: record.line, fields }
  }
  if (header === undefined)
    throw new BridgeError('ERR_IMPORT_FILE_INVALID', `${path}: the file is empty (no header row)`)
}

function parseJsonLine(text: string): RawAccount | string[] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return ['is not valid JSON']
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['must be a JSON object']
  const problems: string[] = []
  const fields: RawAccount = {}
  for (const [key, field] of Object.entries(value)) {
    if (!(columns as readonly string[]).includes(key)) problems.push(`${key}: unknown field`)
    else if (typeof field === 'string') fields[key as Column] = field
    else if (key === 'active' && typeof field === 'boolean') fields.active = String(field)
    else if (field !== null) problems.push(`${key}: must be a string`)
  }
  return problems.length > 0 ? problems : fields
}

async function* readJsonLines(path: string): AsyncGenerator<SourceRecord> {
  await readFirstLine(path)
  let line = 0
  for await (const text of openLines(path)) {
    line++
    const trimmed = text.replace(/^\uFEFF/, '').trim()
    if (trimmed === '') continue
    if (trimmed.includes('\uFFFD')) {
      yield { line, problems: [notUtf8] }
      continue
    }
    const parsed = parseJsonLine(trimmed)
    yield Array.isArray(parsed) ? { line, problems: parsed } : { line, fields: parsed }
  }
}

export function readRecords(path: string, format: FileFormat): AsyncGenerator<SourceRecord> {
  return format === 'csv' ? readCsv(path) : readJsonLines(path)
}
