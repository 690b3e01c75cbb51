/*
 * Configuration problems: each one names the file, the JSON path inside it and what is wrong,
 * and prints as one line: `config/regions/29.json: /stateServices/provider/clientId: must be a string`.
 */
import type { TLocalizedValidationError } from 'typebox/error'
import { BridgeError } from '../errors.js'

export interface ConfigProblem {
  file: string
  path: string
  message: string
}

/** A problem inside a file that the caller names. */
export type KeyProblem = Omit<ConfigProblem, 'file'>

/** ERR_CONFIG_INVALID, with every problem found (never only the first). */
export class ConfigError extends BridgeError {
  readonly problems: readonly ConfigProblem[]

  constructor(problems: readonly ConfigProblem[]) {
    super('ERR_CONFIG_INVALID', `invalid configuration:\n${problems.map(formatProblem).join('\n')}`)
    this.problems = problems
  }
}

export function formatProblem(problem: ConfigProblem): string {
  return problem.path ? `${problem.file}: ${problem.path}: ${problem.message}` : `${problem.file}: ${problem.message}`
}

const typeNames: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
}

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`
}

function valueAt(root: unknown, pointer: string): unknown {
  let current = root
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    current = (current as Record<string, unknown> | undefined)?.[key]
  }
  return current
}

/** Turns schema validation errors into one readable problem per wrong value. */
export function schemaProblems(
  file: string,
  value: unknown,
  errors: readonly TLocalizedValidationError[],
): ConfigProblem[] {
  const problems = new Map<string, ConfigProblem>()
  const add = (path: string, message: string) => {
    const key = `${path}\u0000${message}`
    if (!problems.has(key)) problems.set(key, { file, path: path || '/', message })
  }
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath))
  for (const error of errors) {
    const path = error.instancePath
    const params = error.params as Record<string, unknown>
    if (anyOfPaths.has(path) && error.keyword !== 'anyOf') continue
    switch (error.keyword) {
      case 'boolean':
        break
      case 'additionalProperties':
        for (const key of params.additionalProperties as string[]) add(`${path}/${key}`, 'unknown key')
        break
      case 'required':
        for (const key of params.requiredProperties as string[]) {
          if (valueAt(value, `${path}/${key}`) === undefined) add(`${path}/${key}`, 'required key is missing')
        }
        break
      case 'type':
        add(
          path,
          `must be ${typeNames[String(params.type)] ?? String(params.type)}, got ${describeValue(valueAt(value, path))}`,
        )
        break
      case 'enum':
        add(path, `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`)
        break
      case 'anyOf': {
        const types = errors
          .filter((e) => e.instancePath === path && e.keyword === 'type')
          .map((e) => typeNames[String((e.params as { type: unknown }).type)] ?? 'another type')
        add(path, types.length > 0 ? `must be ${types.join(' or ')}` : 'does not match any allowed form')
        break
      }
      default:
        add(path, error.message)
    }
  }
  return [...problems.values()]
}
