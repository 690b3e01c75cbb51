/* eslint-disable no-console -- a command-line tool talks to its operator on stdout and stderr */
/*
 * The entry of the operator's tool (`diary-bridge <command>`, bin/diary-bridge.js; `npm run cli --
 * <command>` in a checkout): `serve` starts the service (server.ts), every other command lives in cli/
 * (run-cli.ts lists them; `--help` prints their usage). A configuration or database that cannot be used
 * ends it as at service start-up. In development on the shipped demo configuration (`config/`), the
 * demo's own secrets and keys are added where the environment does not set them (demo/environment.ts).
 * Exit codes: 0 done; 1 could not run; 2 an import finished but rejected some rows (they are listed).
 */
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCli, serveUsage } from './cli/run-cli.js'
import { reportStartupFailure } from './startup-failure.js'

const argv = process.argv.slice(2)

/** process.env, with the demo's values when the demo configuration is read in development. */
async function environment(): Promise<Record<string, string | undefined>> {
  const demoConfig = fileURLToPath(new URL('../config', import.meta.url))
  if (process.env.NODE_ENV === 'production' || resolve(process.env.BRIDGE_CONFIG_DIR ?? 'config') !== demoConfig) return process.env
  const { demoEnvironment } = await import('./demo/environment.js')
  const demo = demoEnvironment(process.env)
  if (demo.generated) console.error(`made the demo's GOST keys (demo values) in ${resolve(process.env.DATA_DIR ?? 'data', 'esia-demo')}`)
  return demo.env
}

if (argv[0] === 'serve' && argv.length === 1) {
  await import('./server.js')
} else if (argv[0] === 'serve' && (argv[1] === '--help' || argv[1] === '-h')) {
  console.log(serveUsage)
} else {
  runCli(argv, {
    env: await environment().catch(reportStartupFailure),
    stdout: (line) => console.log(line),
    stderr: (line) => console.error(line),
    progress: (text) => process.stderr.write(text),
  }).then(
    (code) => process.exit(code),
    (error: unknown) => reportStartupFailure(error),
  )
}
