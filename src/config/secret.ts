import { inspect } from 'node:util'

/**
 * A value that must never reach a log line, an error message or JSON output by accident:
 * printing, inspecting or serialising it shows `[redacted]`; only `reveal()` gives the value.
 */
/** `value` with every Secret inside it revealed: to compare settings (a changed secret is a changed setting), never to print. */
export function revealSecrets(value: unknown): unknown {
  if (value instanceof Secret) return { secret: value.reveal() as unknown }
  if (Array.isArray(value)) return (value as unknown[]).map(revealSecrets)
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, inner]) => [key, revealSecrets(inner)]),
    )
  return value
}

export class Secret<T> {
  readonly #value: T

  constructor(value: T) {
    this.#value = value
  }

  reveal(): T {
    return this.#value
  }

  toJSON(): string {
    return '[redacted]'
  }

  toString(): string {
    return '[redacted]'
  }

  [inspect.custom](): string {
    return 'Secret([redacted])'
  }
}
