#!/usr/bin/env node
// The operator's tool: `diary-bridge <command>` (`npx diary-bridge --help` lists them; `serve` starts
// the service). In a checkout with the development dependencies it runs the TypeScript sources through
// tsx; in a production install (no tsx, or no src/) it runs the build in dist/ (`npm run build`).
import { existsSync } from 'node:fs'

const root = new URL('..', import.meta.url)
const source = new URL('src/cli.ts', root)
const fromSource =
  process.env.NODE_ENV !== 'production' &&
  existsSync(source) &&
  (await import('tsx/esm/api').then(
    (tsx) => (tsx.register(), true),
    () => false,
  ))
const entry = fromSource ? source : new URL('dist/src/cli.js', root)
if (!existsSync(entry)) {
  console.error(`diary-bridge: ${entry.pathname} is missing: run "npm run build" first`)
  process.exit(1)
}
await import(entry.href)
