/*
 * The shape of src/, checked on the source text (every import counts: type-only, re-exports, import()):
 * - no file imports itself, directly or through others
 * - no import cycle between the parts of src/: its folders, and the files at its top each on their own;
 *   in particular the login flow's folders go one way: web/ → login/ → oauth/
 * - web/ never imports oauth/ directly: it goes through login/; verify/ (a library for diary services)
 *   imports nothing from the rest of src/
 * - the files at the top of src/ are of two kinds, and each is named in one list below:
 *   - leaves, which any folder may import: errors.ts (imports nothing from src/), context.ts (types
 *     only), logger.ts, startup-failure.ts; a leaf imports no file of the other kind
 *   - the files that compose the app (app.ts, cli.ts, live-config.ts, server.ts, service.ts): imported
 *     only by other top-level files and by the entry folder cli/, which only top-level files import (the demo lives outside src/)
 * - each table below is queried only by its owner and the exceptions named with it (every one of them
 *   queries it: an exception that no longer does is taken off the list):
 *   - `diary_account` in accounts/ (one statement in oauth/refresh-rotation.ts, the one-statement
 *     refresh, joins it in raw SQL on purpose); `identity_link` in linking/identity-link.repository.ts;
 *     `login_session` in sessions/; `login_throttle` in accounts/throttle.ts, which builds every key
 *     (typed text only as a keyed hash)
 *   - `account_factor` and `account_recovery_code` in factors/factor.repository.ts (a passkey's account
 *     state comes from accounts/ as a subquery)
 *   - `authorization_code` in oauth/authorization-code.repository.ts; `token_family`, `refresh_token` and
 *     `revoked_access_token` in oauth/token-family.repository.ts
 *   - `operator_role` in console/operator.repository.ts (logins and school names come from their owners as
 *     subqueries)
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  )
}

const files = sourceFiles(src).map((path) => ({ path: relative(src, path), text: readFileSync(path, 'utf8') }))
const folderOf = (path: string) => (path.includes('/') ? path.split('/')[0] : undefined)
/** A folder of src/, or a file at its top on its own. */
const partOf = (path: string) => folderOf(path) ?? path

/** The files of src/ a file imports (paths relative to src/, `.ts`), type-only imports, re-exports and `import()` included. */
function importsOf(file: { path: string; text: string }): string[] {
  const targets = [...file.text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)'(\.[^']+)'/gm)].map((match) =>
    relative(src, resolve(src, dirname(file.path), match[1] as string)).replace(/\.js$/, '.ts'),
  )
  return [...new Set(targets)].filter((target) => !target.startsWith('..'))
}

/** file → files it imports */
const fileGraph = new Map(files.map((file) => [file.path, new Set(importsOf(file))]))

/** part (folder or top-level file) → parts it imports from */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>()
  for (const [from, targets] of fileGraph) {
    for (const target of targets) {
      if (partOf(target) === partOf(from)) continue
      if (!graph.has(partOf(from))) graph.set(partOf(from), new Set())
      graph.get(partOf(from))?.add(partOf(target))
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

t.test('no file of src/ imports itself, directly or through others', async (t) => {
  t.ok(fileGraph.size > 100 && [...fileGraph.values()].some((targets) => targets.size > 5), 'the graph was read')
  t.ok(fileGraph.get('cli.ts')?.has('cli/run-cli.ts'), 'import() counts')
  t.ok(fileGraph.get('context.ts')?.has('config/load.ts'), 'type-only imports count')
  t.same(findCycle(fileGraph), undefined, 'a cycle, if any, is printed here')
})

t.test('no import cycle between the parts of src/ (folders, and top-level files on their own)', async (t) => {
  const graph = folderGraph()
  t.ok(graph.size > 10, 'the graph was read')
  t.same(findCycle(graph), undefined, 'a cycle, if any, is printed here')
  t.ok(graph.get('web')?.has('login'), 'web/ uses login/')
  t.ok(graph.get('login')?.has('oauth'), 'login/ uses oauth/')
  t.notOk(graph.get('web')?.has('oauth'), 'web/ does not import oauth/')
  t.notOk(graph.get('oauth')?.has('web') || graph.get('oauth')?.has('login'), 'oauth/ imports neither web/ nor login/')
  t.same([...(graph.get('verify') ?? [])], [], 'verify/ imports nothing from the rest of src/')
})

t.test('the cycle check finds a cycle when there is one', async (t) => {
  const graph = new Map([
    ['web', new Set(['login'])],
    ['login', new Set(['oauth'])],
    ['oauth', new Set(['web'])],
  ])
  t.same(findCycle(graph), ['web', 'login', 'oauth', 'web'])
})

const leaves = ['errors.ts', 'context.ts', 'logger.ts', 'startup-failure.ts']
const composers = ['app.ts', 'cli.ts', 'live-config.ts', 'server.ts', 'service.ts']
const entryFolders = ['cli']

t.test('the files at the top of src/: leaves any folder may import, and the files that compose the app', async (t) => {
  const top = files.map((file) => file.path).filter((path) => folderOf(path) === undefined)
  t.same(
    [...top].sort(),
    [...leaves, ...composers].sort(),
    'every top-level file is a leaf or composes the app (a new one is named in one list)',
  )
  const importersOf = (path: string) => [...fileGraph].filter(([, targets]) => targets.has(path)).map(([from]) => from)
  for (const composer of composers) {
    const importers = importersOf(composer).filter(
      (from) => folderOf(from) !== undefined && !entryFolders.includes(folderOf(from) as string),
    )
    t.same(importers, [], `${composer} is imported only by top-level files and the entry folders`)
  }
  for (const folder of entryFolders) {
    const importers = [...fileGraph].filter(
      ([from, targets]) => folderOf(from) !== folder && [...targets].some((target) => folderOf(target) === folder),
    )
    t.same(
      importers.map(([from]) => from).filter((from) => folderOf(from) !== undefined),
      [],
      `${folder}/ is imported only by top-level files`,
    )
  }
  for (const leaf of leaves) {
    t.same(
      [...(fileGraph.get(leaf) ?? [])].filter((target) => composers.includes(target)),
      [],
      `${leaf} imports no file that composes the app`,
    )
  }
  t.same([...(fileGraph.get('errors.ts') ?? [])], [], 'errors.ts imports nothing from src/')
  const context = files.find((file) => file.path === 'context.ts')?.text ?? ''
  t.ok(/^import type /m.test(context), 'context.ts was read')
  t.same(context.match(/^import (?!type ).*$/gm) ?? [], [], 'context.ts imports types only')
  t.ok(
    importersOf('errors.ts').some((from) => folderOf(from) !== undefined),
    'folders do import the leaves',
  )
})

const owners: [table: string, allowed: readonly string[]][] = [
  // The contact columns have their own repository (e-mail, phone and their confirmation).
  [
    'diary_account',
    ['accounts/account.repository.ts', 'accounts/contacts.repository.ts', 'oauth/refresh-rotation.ts', 'db/schema.ts'],
  ],
  ['school', ['accounts/school.repository.ts', 'db/schema.ts']],
  ['recovery_secret', ['accounts/recovery-secret.repository.ts', 'db/schema.ts']],
  ['account_factor', ['factors/factor.repository.ts', 'db/schema.ts']],
  ['account_recovery_code', ['factors/factor.repository.ts', 'db/schema.ts']],
  ['identity_link', ['linking/identity-link.repository.ts', 'db/schema.ts']],
  ['login_session', ['sessions/login-session.ts', 'sessions/end-sessions.ts', 'db/schema.ts']],
  ['login_throttle', ['accounts/throttle.ts', 'db/schema.ts']],
  ['authorization_code', ['oauth/authorization-code.repository.ts', 'db/schema.ts']],
  // Exceptions: refresh-rotation.ts rotates in one statement (and, when that finds nothing, under row locks);
  // sessions/ ends a session's families with it and lists ended sessions with their families' access expiry
  // (sessions/ cannot import oauth/, which imports it); the maintenance job deletes families without tokens.
  [
    'token_family',
    [
      'oauth/token-family.repository.ts',
      'oauth/refresh-rotation.ts',
      'sessions/end-sessions.ts',
      'sessions/login-session.ts',
      'ops/maintenance.ts',
      'db/schema.ts',
    ],
  ],
  [
    'refresh_token',
    ['oauth/token-family.repository.ts', 'oauth/refresh-rotation.ts', 'ops/maintenance.ts', 'db/schema.ts'],
  ],
  ['revoked_access_token', ['oauth/token-family.repository.ts', 'db/schema.ts']],
  ['operator_role', ['console/operator.repository.ts', 'db/schema.ts']],
]

for (const [table, allowed] of owners) {
  t.test(`${table} is queried only by its repository`, async (t) => {
    const pattern = new RegExp(
      `(selectFrom|updateTable|insertInto|deleteFrom)\\('${table}'|\\b(from|join|update|into)\\s+${table}\\b`,
    )
    const offenders = files
      .filter((file) => pattern.test(file.text) && !allowed.includes(file.path))
      .map((file) => file.path)
    t.same(offenders, [], `queries of ${table} outside ${allowed.join(', ')}`)
    const stale = allowed.filter(
      (path) => path !== 'db/schema.ts' && !files.some((file) => file.path === path && pattern.test(file.text)),
    )
    t.same(stale, [], 'every file named queries the table (the pattern finds the repository itself)')
  })
}

// config/ reads files and knows no login protocol: each protocol's schema and checks live in upstream/<type>/config.ts
// and reach the loader as the table in upstream/connectors.ts.
t.test('config/ never imports upstream/', async (t) => {
  const graph = folderGraph()
  t.ok(graph.get('upstream')?.has('config'), 'upstream/ uses config/ (the pattern sees both folders)')
  t.notOk(graph.get('config')?.has('upstream'), 'config/ does not import upstream/')
})
