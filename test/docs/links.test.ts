/*
 * The docs hold together: README.md, docs/*.md and the READMEs under src/.
 * - every relative link resolves: the file exists, and a `#anchor` is a heading of the target (or of the
 *   same file) as GitHub makes it: lower case, punctuation other than `-` and `_` removed, each space a
 *   `-`, a repeated heading gets `-1`, `-2`…
 * - every `npm run X` names a script of package.json
 * - every backticked repository path (`src/…`, `scripts/…`, `docs/…`, `config.example/…`, `test/…`, `demo/…`, `peers/…`,
 *   `bench/…`, `migrations/…`, `bin/…`)
 *   exists; a pattern (`<client_id>`, `*`, `…`) is not a path. Not in the READMEs under src/: the ESIA
 *   notes name files of other repositories
 * - README.md stays a front page: at most 250 lines
 * Fenced code blocks are left out of links and paths (they are commands, not references).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const root = fileURLToPath(new URL('../../', import.meta.url))
const readmeLimit = 250

/** GitHub's anchor for a heading's text. */
function slugOf(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

/** The text outside fenced code blocks, line by line (fenced lines become empty: line numbers stay). */
function proseLines(text: string): string[] {
  let fenced = false
  return text.split('\n').map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced
      return ''
    }
    return fenced ? '' : line
  })
}

function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>()
  const anchors = new Set<string>()
  for (const line of proseLines(text)) {
    const heading = /^#{1,6} (.+)$/.exec(line)?.[1]
    if (heading === undefined) continue
    const slug = slugOf(heading)
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    anchors.add(count === 0 ? slug : `${slug}-${count}`)
  }
  return anchors
}

interface Doc {
  path: string
  text: string
  /** Backticked paths are this repository's (false: they may name other repositories' files). */
  ownPaths: boolean
}

/** Every problem of one doc, as `path:line: what`; `exists` and `read` see the repository. */
function problemsOf(
  doc: Doc,
  scripts: Record<string, string>,
  exists: (path: string) => boolean,
  read: (path: string) => string,
): string[] {
  const problems: string[] = []
  proseLines(doc.text).forEach((line, index) => {
    const at = `${doc.path}:${index + 1}`
    const code = [...line.matchAll(/`([^`]+)`/g)].map((match) => match[1] as string)
    const prose = line.replace(/`[^`]*`/g, '``')
    const links = [...prose.matchAll(/\]\(([^)\s]+)\)/g), ...prose.matchAll(/^\[[^\]]+\]:\s*(\S+)/g)].map(
      (match) => match[1] as string,
    )
    for (const link of links) {
      if (/^[a-z][a-z+.-]*:/i.test(link)) continue
      const [file = '', anchor] = link.split('#')
      const target = file === '' ? doc.path : relative(root, resolve(root, dirname(doc.path), file))
      if (target.startsWith('..') || !exists(target)) {
        problems.push(`${at}: link ${link}: no file ${target}`)
        continue
      }
      if (anchor !== undefined && target.endsWith('.md') && !anchorsOf(read(target)).has(anchor)) {
        problems.push(`${at}: link ${link}: no heading #${anchor} in ${target}`)
      }
    }
    for (const [, script] of line.matchAll(/npm run (?:-s )?([\w:-]+)/g)) {
      if (scripts[script as string] === undefined)
        problems.push(`${at}: npm run ${script}: no such script in package.json`)
    }
    for (const span of doc.ownPaths ? code : []) {
      for (const [path] of span.matchAll(
        /(?<![\w./-])(?:src|scripts|docs|config\.example|test|demo|peers|bench|migrations|bin)\/[^\s`'",;:)]*/g,
      )) {
        if (/[<>*…{}]|\.\.\./.test(path)) continue
        const clean = path.replace(/[.]+$/, '')
        if (!exists(clean)) problems.push(`${at}: \`${clean}\`: no such file or folder`)
      }
    }
  })
  return problems
}

function readmesUnder(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? readmesUnder(join(dir, entry.name))
      : entry.name === 'README.md'
        ? [join(dir, entry.name)]
        : [],
  )
}

const docPaths = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
  ...readmesUnder('src'),
]
const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
  .scripts
const inRepository = (path: string) => existsSync(join(root, path))
const readRepository = (path: string) => readFileSync(join(root, path), 'utf8')

t.test('the checker finds each kind of broken reference', async (t) => {
  const files: Record<string, string> = {
    'README.md': '# Front\n',
    'docs/a.md': '# A\n\n## Two words\n\n## Two words\n\n## `code` and, punctuation!\n',
  }
  const exists = (path: string) => path in files || path === 'src/real.ts'
  const read = (path: string) => files[path] ?? ''
  const cases: [text: string, problems: number, why: string][] = [
    ['[a](docs/a.md#two-words)', 0, 'a heading'],
    ['[a](docs/a.md#two-words-1)', 0, 'the second heading of the same text'],
    ['[a](docs/a.md#code-and-punctuation)', 0, 'backticks and punctuation leave the slug'],
    ['[a](https://example.org/x)', 0, 'an absolute URL is not checked'],
    [
      '`src/real.ts` and `config/clients/<client_id>.json` and `test/docs/*.test.ts`',
      0,
      'a path that exists; patterns',
    ],
    ['```sh\ncat src/gone.ts\n```', 0, 'a fenced block is a command'],
    ['[a](docs/gone.md)', 1, 'no such file'],
    ['[a](docs/a.md#gone)', 1, 'no such heading'],
    ['[a](#two-words)', 1, 'no such heading in the same file'],
    ['[a](../../outside.md)', 1, 'outside the repository'],
    ['`src/gone.ts`', 1, 'no such path'],
    ['npm run nothing-like-this', 1, 'no such script'],
    ['npm run -s lint', 0, 'a script, with -s'],
  ]
  for (const [text, count, why] of cases) {
    const problems = problemsOf({ path: 'README.md', text, ownPaths: true }, scripts, exists, read)
    t.equal(problems.length, count, `${why}: ${problems.join('; ') || 'none'}`)
  }
})

t.test('README.md and docs/: links, anchors, npm scripts and paths resolve', async (t) => {
  t.ok(docPaths.length >= 9, `${docPaths.length} docs: ${docPaths.join(', ')}`)
  for (const path of docPaths) {
    const problems = problemsOf(
      { path, text: readRepository(path), ownPaths: !path.startsWith('src/') },
      scripts,
      inRepository,
      readRepository,
    )
    t.same(problems, [], `${path} has no broken reference`)
  }
})

t.test(`README.md is a front page: at most ${readmeLimit} lines`, async (t) => {
  const lines = readRepository('README.md').split('\n').length
  t.ok(lines <= readmeLimit, `${lines} lines`)
})
