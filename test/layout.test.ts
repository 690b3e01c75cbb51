/*
 * The top-level folders, checked on the source text (test/architecture.test.ts checks inside src/):
 * - src/ (what ships, with migrations/) imports nothing from demo/, peers/, bench/ or test/; the one reach outside is
 *   cli.ts's computed import of demo/environment.ts, which runs from source only and which the compiler
 *   does not follow
 * - demo/ (`npm run demo`: the simulators, the diary module) imports src/ only
 * - peers/ (protocol peers the tests and the benchmarks run against) imports src/ and demo/ only
 * - bench/ never imports test/: what both need is in peers/
 * - the production build (tsconfig.build.json) compiles src/ and migrations/ and nothing else
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : /\.[cm]?[jt]s$/.test(entry.name)
        ? [join(dir, entry.name)]
        : [],
  )
}

/** The top-level folders a file's relative imports reach (static, and dynamic with a literal specifier). */
function importedFolders(text: string, file: string): string[] {
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((match) => match[1] as string)
  return specifiers.map((specifier) => relative(root, resolve(dirname(file), specifier)).split('/')[0] as string)
}

function importsOf(folder: string): Map<string, Set<string>> {
  const imports = new Map<string, Set<string>>()
  for (const file of sourceFiles(join(root, folder))) {
    for (const target of importedFolders(readFileSync(file, 'utf8'), file)) {
      if (target === folder) continue
      if (!imports.has(target)) imports.set(target, new Set())
      imports.get(target)?.add(relative(root, file))
    }
  }
  return imports
}

const allowed: Record<string, string[]> = {
  src: ['migrations'],
  demo: ['src'],
  peers: ['src', 'demo'],
  bench: ['src', 'peers', 'dist'],
}

for (const [folder, may] of Object.entries(allowed)) {
  t.test(`${folder}/ imports from ${may.join('/, ')}/ only`, async (t) => {
    const imports = importsOf(folder)
    t.ok(sourceFiles(join(root, folder)).length > 1, 'the folder was read')
    for (const [target, files] of imports) {
      t.ok(may.includes(target), `${folder}/ → ${target}/: ${[...files].join(', ')}`)
    }
  })
}

t.test('the check sees a forbidden import', async (t) => {
  t.same(importedFolders("import { startFakeIdp } from '../test/helpers/fake-idp.js'", join(root, 'bench/run.ts')), [
    'test',
  ])
  t.same(importedFolders("const m = await import('../../demo/main.js')", join(root, 'src/cli/x.ts')), ['demo'])
  t.same(importedFolders("import type { X } from './x.js'", join(root, 'src/cli/x.ts')), ['src'])
})

t.test('the production build compiles src/ and migrations/ only: no demo, simulator or peer', async (t) => {
  const listed = execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--listFilesOnly'],
    { cwd: root, encoding: 'utf8' },
  )
  const ours = listed
    .split('\n')
    .filter((line) => line !== '' && !line.includes('/node_modules/'))
    .map((line) => relative(root, line).split('/')[0])
  t.ok(ours.length > 100, 'the build was listed')
  t.same([...new Set(ours)].sort(), ['migrations', 'src'])
})
