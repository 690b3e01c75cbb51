import t from 'tap'
import { publicCodes } from '../../src/errors.js'
import { messages } from '../../src/web/messages/index.js'

/** The keys of a nested message table, as paths ("errors.not_found"). */
function paths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix]
  return Object.entries(value).flatMap(([key, inner]) => paths(inner, prefix === '' ? key : `${prefix}.${key}`))
}

t.test('Russian and English say the same things', async (t) => {
  t.same(paths(messages.en).sort(), paths(messages.ru).sort())
})

t.test('every public error code has its explanation in both languages', async (t) => {
  const machineOnly = new Set([
    'invalid_client',
    'invalid_grant',
    'invalid_scope',
    'unsupported_grant_type',
    'invalid_token',
    'unauthorized_client',
    'insufficient_scope',
  ])
  for (const code of publicCodes) {
    if (machineOnly.has(code)) continue
    for (const locale of ['ru', 'en'] as const) {
      const [what, next] = messages[locale].errors[code] ?? []
      t.ok(what && next, `${locale}: ${code}`)
    }
  }
})
