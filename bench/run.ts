/* `npm run bench`: builds, starts a production-configured bridge on a throw-away database, measures, reports. */
import { availableParallelism, cpus, totalmem } from 'node:os'
import { writeFileSync } from 'node:fs'
import { benchPasswords } from './password.js'
import { cleanupDir, createBenchDatabase, startBridge, writeBenchConfig } from './lib.js'

const port = 3900
const database = await createBenchDatabase()
const configDir = writeBenchConfig(port)
const bridge = await startBridge({ port, configDir, databaseUrl: database.url })
const lines: string[] = []
const say = (line: string) => {
  lines.push(line)
  process.stdout.write(`${line}\n`)
}
try {
  const passwords = await benchPasswords(bridge, configDir, database.url)
  const ratio = passwords.signIn.okPerSecond / passwords.rawVerifyPerSecond
  const slowdown = passwords.userinfoIdle.okPerSecond / passwords.userinfoLoaded.okPerSecond
  say(`## Passwords (argon2id pool of ${passwords.workers} worker thread(s))`)
  say('')
  say('| measure | value | target |')
  say('| --- | --- | --- |')
  say(`| raw argon2id verify, same pool size | ${passwords.rawVerifyPerSecond.toFixed(1)}/s | |`)
  say(`| password sign-in (303) | ${passwords.signIn.okPerSecond.toFixed(1)}/s, p50 ${passwords.signIn.p50} ms, p99 ${passwords.signIn.p99} ms | |`)
  say(`| sign-in / raw verify | ${(ratio * 100).toFixed(0)} % | ≥ 85 % ${ratio >= 0.85 ? '✔' : '✘'} |`)
  say(`| /userinfo idle | ${passwords.userinfoIdle.okPerSecond.toFixed(0)}/s, p99 ${passwords.userinfoIdle.p99} ms | |`)
  say(`| /userinfo under saturated sign-ins (${passwords.workers + 8} connections: pool and queue full) | ${passwords.userinfoLoaded.okPerSecond.toFixed(0)}/s, p99 ${passwords.userinfoLoaded.p99} ms; sign-ins ${passwords.signInSaturated.okPerSecond.toFixed(1)}/s, codes ${JSON.stringify(passwords.signInSaturated.statusCodes)} | |`)
  say(`| idle / saturated | ${slowdown.toFixed(2)}× | ≤ 2× ${slowdown <= 2 ? '✔' : '✘'} |`)
  say(`| /userinfo during a sign-in flood (64 connections) | ${passwords.userinfoFlooded.okPerSecond.toFixed(0)}/s, p99 ${passwords.userinfoFlooded.p99} ms; sign-ins ${passwords.signInFlood.okPerSecond.toFixed(1)}/s, codes ${JSON.stringify(passwords.signInFlood.statusCodes)} | excess shed with 503 |`)
} finally {
  await bridge.stop()
  await database.drop()
  cleanupDir(configDir)
}
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`
writeFileSync('bench/results.md', `# Benchmark results\n\nMachine: ${machine}. Run: ${new Date().toISOString()}.\n\n${lines.join('\n')}\n`)
