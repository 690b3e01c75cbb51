/*
 * The name a person gives a factor ("Телефон", "YubiKey at school").
 * - runs of white space become one space, the ends are trimmed (the table refuses untrimmed names)
 * - 1 to 64 characters (what the table holds); control characters are refused
 */
export const maxFactorNameLength = 64

/** A typed factor name as stored, or undefined when it cannot be one. */
export function normaliseFactorName(typed: string): string | undefined {
  const name = typed.replace(/\s+/g, ' ').trim()
  // eslint-disable-next-line no-control-regex
  if (name === '' || [...name].length > maxFactorNameLength || /[\u0000-\u001f\u007f]/.test(name)) return undefined
  return name
}
