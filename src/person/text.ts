/*
 * Free text about a person as it arrives from a file, a form or a provider (pure):
 * - Unicode NFC, trimmed, every run of whitespace collapsed to one space
 * - empty (or only whitespace) means absent
 */

export function normaliseText(value: string | null | undefined): string | undefined {
  const text = value?.normalize('NFC').trim().replace(/\s+/g, ' ')
  return text === undefined || text === '' ? undefined : text
}
