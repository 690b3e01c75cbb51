/* Runs one of the project's entry points (src/server.ts, src/cli.ts, bin/diary-bridge.js) as a child process, as an operator would. */
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'

export interface Spawned {
  child: ChildProcess
  output(): { stdout: string; stderr: string }
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>
}

export function spawnEntry(entry: string, args: string[], env: Record<string, string | undefined>): Spawned {
  // The TypeScript entries through tsx; bin/diary-bridge.js finds its own way.
  const child = spawn(process.execPath, [...(entry.endsWith('.ts') ? ['--import', 'tsx'] : []), entry, ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  )
  return { child, output: () => ({ stdout, stderr }), exited }
}

/*
 * The waits below are generous on purpose: a spawned entry compiles its TypeScript through tsx and opens
 * a database before it answers, which takes seconds on an idle machine and many times that on a loaded
 * one. They poll for the signal itself (an answer, a log line) and return as soon as it is there.
 */
const patienceMs = 90_000

/**
 * The time budget of a test file that starts processes, instead of tap's 120 s (package.json): under
 * load one start of the service with its embedded database took 15–20 s in a trial, and a file starts
 * up to four. Each wait inside keeps its own bound, so a hang still fails with its reason.
 */
export function allowProcessStarts(t: { setTimeout(ms: number): unknown }): void {
  t.setTimeout(300_000)
}

/** Polls `url` until it answers 200; fails when the process exits first, or after `timeoutMs`. */
export async function waitForOk(url: string, spawned: Spawned, timeoutMs = patienceMs): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (spawned.child.exitCode !== null)
      throw new Error(`process exited early:\n${spawned.output().stderr}${spawned.output().stdout}`)
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`${url} did not become ready in ${timeoutMs} ms`)
}

/** Polls `condition` until it holds, or fails after `timeoutMs`. */
export async function waitUntil(
  condition: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = patienceMs,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not seen in ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
