/*
 * A small streaming CSV reader (RFC 4180) that knows where it is: every record carries the physical
 * line on which it starts, and one malformed record never takes the rest of the file with it.
 * - fields are separated by the delimiter; a field in double quotes may hold the delimiter, doubled
 *   quotes ("") and line breaks; CRLF and LF both end a line
 * - a quote inside an unquoted field, or text after a closing quote, makes that record malformed
 * - a quote that stays open for more than `maxLinesPerRecord` lines (or to the end of the file) is
 *   reported on the line where it opened, and reading resumes on the next line
 * - blank lines between records are skipped
 */
import type { Interface } from 'node:readline'

export type CsvRecord = { line: number; fields: string[] } | { line: number; error: string }

type ParsedRecord = { fields: string[] } | { error: string } | 'open'

export function parseCsvRecord(text: string, delimiter: string): ParsedRecord {
  const fields: string[] = []
  let i = 0
  for (;;) {
    if (text[i] === '"') {
      let value = ''
      i++
      for (;;) {
        if (i >= text.length) return 'open'
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            value += '"'
            i += 2
            continue
          }
          i++
          break
        }
        value += text[i]
        i++
      }
      fields.push(value)
      if (i === text.length) return { fields }
      if (text[i] !== delimiter) return { error: `unexpected text after a closing quote in field ${fields.length}` }
      i++
    } else {
      const end = text.indexOf(delimiter, i)
      const value = text.slice(i, end === -1 ? undefined : end)
      if (value.includes('"')) {
        return {
          error: `a quote inside unquoted field ${fields.length + 1} (quote the whole value and double inner quotes)`,
        }
      }
      fields.push(value)
      if (end === -1) return { fields }
      i = end + 1
    }
    if (i === text.length) {
      fields.push('')
      return { fields }
    }
  }
}

export async function* readCsvRecords(
  lines: Interface | AsyncIterable<string>,
  delimiter: string,
  maxLinesPerRecord = 20,
): AsyncGenerator<CsvRecord> {
  const queue: { line: number; text: string }[] = []
  let lineNumber = 0

  function* drain(atEnd: boolean): Generator<CsvRecord> {
    next: while (queue.length > 0) {
      const first = queue[0] as { line: number; text: string }
      if (first.text.trim() === '') {
        queue.shift()
        continue
      }
      let candidate = ''
      for (let taken = 1; taken <= queue.length; taken++) {
        candidate = taken === 1 ? first.text : `${candidate}\n${(queue[taken - 1] as { text: string }).text}`
        const parsed = parseCsvRecord(candidate, delimiter)
        if (parsed !== 'open') {
          queue.splice(0, taken)
          yield 'error' in parsed
            ? { line: first.line, error: parsed.error }
            : { line: first.line, fields: parsed.fields }
          continue next
        }
        if (taken >= maxLinesPerRecord) break
      }
      if (!atEnd && queue.length < maxLinesPerRecord) return
      queue.shift()
      yield { line: first.line, error: 'a quote opened on this line is never closed' }
    }
  }

  for await (const text of lines) {
    lineNumber++
    queue.push({ line: lineNumber, text: lineNumber === 1 ? text.replace(/^\uFEFF/, '') : text })
    yield* drain(false)
  }
  yield* drain(true)
}
