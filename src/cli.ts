/* eslint-disable no-console -- a command-line tool talks to its operator on stdout and stderr */
/*
 * The entry of the operator's tool (`diary-bridge <command>`, bin/diary-bridge.js; `npm run cli --
 * <command>` in a checkout): `serve` starts the service (server.ts), every other command lives in cli/
 * (run-cli.ts lists them; `--help` prints their usage). A configuration or database that cannot be used
 * ends it as at service start-up.
 * Exit codes: 0 done; 1 could not run; 2 an import finished but rejected some rows (they are listed).
 */
import { runCli, serveUsage } from './cli/run-cli.js'
import { reportStartupFailure } from './startup-failure.js'

const argv = process.argv.slice(2)
if (argv[0] === 'serve' && argv.length === 1) {
  await import('./server.js')
} else if (argv[0] === 'serve' && (argv[1] === '--help' || argv[1] === '-h')) {
  console.log(serveUsage)
} else {
  runCli(argv, {
    env: process.env,
    stdout: (line) => console.log(line),
    stderr: (line) => console.error(line),
    progress: (text) => process.stderr.write(text),
  }).then(
    (code) => process.exit(code),
    (error: unknown) => reportStartupFailure(error),
  )
}
