import { readFileSync } from 'node:fs'
import type { ConfigProblem } from './problems.js'

/** Where in `text` a character offset falls, as 1-based line and column. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset)
  const line = before.split('\n').length
  return { line, column: offset - before.lastIndexOf('\n') }
}

/** Reads one JSON configuration file; a missing file or broken JSON becomes one problem. */
export function readJsonFile(path: string, displayName: string): { value: unknown } | { problem: ConfigProblem } {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const message = code === 'ENOENT' ? 'file not found' : `cannot be read (${code ?? 'unknown error'})`
    return { problem: { file: displayName, path: '', message } }
  }
  try {
    return { value: JSON.parse(text.replace(/^\uFEFF/, '')) as unknown }
  } catch (error) {
    const message = (error as Error).message
    const position = /position (\d+)/.exec(message)
    const where = position ? lineAndColumn(text, Number(position[1])) : undefined
    const reason = message.replace(/ in JSON at position \d+.*$/s, '').replace(/^JSON\.parse: /, '')
    return {
      problem: {
        file: displayName,
        path: '',
        message: where
          ? `invalid JSON at line ${where.line}, column ${where.column}: ${reason}`
          : `invalid JSON: ${reason}`,
      },
    }
  }
}
