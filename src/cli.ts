/* eslint-disable no-console -- a command-line tool talks to its operator on stdout and stderr */
/*
 * The entry of the operator's tool (`diary-bridge <command>`, bin/diary-bridge.js; `npm run cli --
 * <command>` in a checkout): `serve` starts the service (server.ts), every other command lives in cli/
 * (run-cli.ts lists them; `--help` prints their usage). A configuration or database that cannot be used
 * ends it as at service start-up. In development on the shipped demo configuration (`config/`), the
 * demo's own secrets and keys are added where the environment does not set them (demo/environment.ts,
 * outside src/ and the build: only a checkout run from source has the demo configuration beside it).
 * Exit codes: 0 done; 1 could not run; 2 an import finished but rejected some rows (they are listed).
 */
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { reportStartupFailure } from './startup-failure.js'

const argv = process.argv.slice(2)
const isHelp = (arg: string | undefined) => arg === '--help' || arg === '-h'

const serveUsage = [
  'Usage: diary-bridge serve',
  '',
  'Starts the service on HOST:PORT with the configuration in BRIDGE_CONFIG_DIR (what `npm start` and the Docker image run).',
  'SIGTERM or SIGINT: finish the requests in flight and stop. SIGHUP: read the configuration directory again.',
  'PID_FILE: a file to write the process id to (removed at exit).',
].join('\n')

/** What demo/environment.ts exports, as far as the tool uses it. */
interface DemoEnvironmentModule {
  demoSecrets: Record<string, string>
  demoEnvironment: (env: Record<string, string>) => { env: Record<string, string | undefined>; generated: boolean }
}

/**
 * process.env, with the demo's values when the demo configuration is read in development. Help needs
 * no configuration; when the demo's GOST keys cannot be made (a folder that cannot be written), a
 * warning, and the configuration check names what is missing.
 */
async function environment(): Promise<Record<string, string>> {
  const own = Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  )
  const demoConfig = fileURLToPath(new URL('../config', import.meta.url))
  if (argv.length === 0 || argv.some(isHelp)) return own
  if (process.env.NODE_ENV === 'production' || resolve(process.env.BRIDGE_CONFIG_DIR ?? 'config') !== demoConfig)
    return own
  // A computed specifier: the compiler does not follow it, so the demo stays out of dist/ (which has no
  // config/ beside it: from dist/src/cli.js, demoConfig is dist/config, and this line is never reached).
  const { demoEnvironment, demoSecrets } = (await import(
    new URL('../demo/environment.ts', import.meta.url).href
  )) as DemoEnvironmentModule
  try {
    const demo = demoEnvironment(own)
    if (demo.generated)
      console.error(
        `made the demo's GOST keys (demo values) in ${resolve(process.env.DATA_DIR ?? 'data', 'esia-demo')}`,
      )
    return demo.env as Record<string, string>
  } catch (error) {
    console.error(`warning: the demo's GOST keys could not be made: ${(error as Error).message}`)
    return { ...demoSecrets, ...own }
  }
}

if (argv[0] === 'serve') {
  if (argv.length === 1) {
    // server.ts reads process.env: the demo's values go there (development on the demo configuration only).
    Object.assign(process.env, await environment().catch(reportStartupFailure))
    await import('./server.js')
  } else if (argv.length === 2 && isHelp(argv[1])) {
    console.log(serveUsage)
  } else {
    console.error(`serve takes no arguments (got "${argv.slice(1).join(' ')}")\n${serveUsage}`)
    process.exit(1)
  }
} else {
  // Loaded only for commands: the service started by `serve` does not carry the command modules.
  const { runCli } = await import('./cli/run-cli.js')
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
