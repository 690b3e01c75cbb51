/*
 * The shape of src/, checked on the source text:
 * - no import cycle between the folders of src/ (files at the top of src/ compose the app and are
 *   left out); in particular the login flow's folders go one way: web/ → login/ → oauth/
 * - web/ never imports oauth/ directly: it goes through login/
 * - `diary_account` is read and written only in accounts/account.repository.ts (one statement in
 *   oauth/refresh-rotation.ts, the one-statement refresh, joins it in raw SQL on purpose and is named here)
 * - `identity_link` only in linking/identity-link.repository.ts; `login_session` only in sessions/
 * - `login_throttle` only in accounts/throttle.ts, which builds every key (typed text only as a keyed hash)
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  )
}

const files = sourceFiles(src).map((path) => ({ path: relative(src, path), text: readFileSync(path, 'utf8') }))
const folderOf = (path: string) => (path.includes('/') ? path.split('/')[0] : undefined)

/** folder → folders it imports from */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>()
  for (const file of files) {
    const from = folderOf(file.path)
    if (from === undefined) continue
    for (const match of file.text.matchAll(/from '(\.[^']+)'/g)) {
      const target = relative(src, resolve(src, dirname(file.path), match[1] as string))
      const to = folderOf(target)
      if (to === undefined || to === from || to.startsWith('..')) continue
      if (!graph.has(from)) graph.set(from, new Set())
      graph.get(from)?.add(to)
    }
  }
  return graph
}

function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>()
  const path: string[] = []
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node]
    state.set(node, 'open')
    path.push(node)
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next)
      if (cycle) return cycle
    }
    path.pop()
    state.set(node, 'done')
    return undefined
  }
  for (const node of graph.keys()) {
    const cycle = visit(node)
    if (cycle) return cycle
  }
  return undefined
}

t.test('no import cycle between the folders of src/', async (t) => {
  const graph = folderGraph()
  t.ok(graph.size > 10, 'the graph was read')
  t.same(findCycle(graph), undefined, 'a cycle, if any, is printed here')
  t.ok(graph.get('web')?.has('login'), 'web/ uses login/')
  t.ok(graph.get('login')?.has('oauth'), 'login/ uses oauth/')
  t.notOk(graph.get('web')?.has('oauth'), 'web/ does not import oauth/')
  t.notOk(graph.get('oauth')?.has('web') || graph.get('oauth')?.has('login'), 'oauth/ imports neither web/ nor login/')
})

t.test('the cycle check finds a cycle when there is one', async (t) => {
  const graph = new Map([
    ['web', new Set(['login'])],
    ['login', new Set(['oauth'])],
    ['oauth', new Set(['web'])],
  ])
  t.same(findCycle(graph), ['web', 'login', 'oauth', 'web'])
})

const owners: [table: string, allowed: readonly string[]][] = [
  // The contact columns have their own repository (e-mail, phone and their confirmation).
  ['diary_account', ['accounts/account.repository.ts', 'accounts/contacts.repository.ts', 'oauth/refresh-rotation.ts', 'db/schema.ts']],
  ['recovery_secret', ['accounts/recovery-secret.repository.ts', 'db/schema.ts']],
  ['identity_link', ['linking/identity-link.repository.ts', 'db/schema.ts']],
  ['login_session', ['sessions/login-session.ts', 'sessions/end-sessions.ts', 'db/schema.ts']],
  ['login_throttle', ['accounts/throttle.ts', 'db/schema.ts']],
  ['authorization_code', ['oauth/authorization-code.repository.ts', 'db/schema.ts']],
  // Exceptions: refresh-rotation.ts rotates in one statement (and, when that finds nothing, under row locks);
  // sessions/ ends a session's families with it and lists ended sessions with their families' access expiry
  // (sessions/ cannot import oauth/, which imports it); the maintenance job deletes families without tokens.
  [
    'token_family',
    ['oauth/token-family.repository.ts', 'oauth/refresh-rotation.ts', 'sessions/end-sessions.ts', 'sessions/login-session.ts', 'ops/maintenance.ts', 'db/schema.ts'],
  ],
  ['refresh_token', ['oauth/token-family.repository.ts', 'oauth/refresh-rotation.ts', 'ops/maintenance.ts', 'db/schema.ts']],
  ['revoked_access_token', ['oauth/token-family.repository.ts', 'db/schema.ts']],
]

for (const [table, allowed] of owners) {
  t.test(`${table} is queried only by its repository`, async (t) => {
    const pattern = new RegExp(`(selectFrom|updateTable|insertInto|deleteFrom)\\('${table}'|\\b(from|join|update|into)\\s+${table}\\b`)
    const offenders = files.filter((file) => pattern.test(file.text) && !allowed.includes(file.path)).map((file) => file.path)
    t.same(offenders, [], `queries of ${table} outside ${allowed.join(', ')}`)
    t.ok(files.some((file) => allowed.includes(file.path) && pattern.test(file.text)), 'the pattern finds the repository itself')
  })
}
