/* eslint-disable no-console -- a command-line tool talks to its operator on stdout and stderr */
/*
 * The entry of `npm run cli -- <command>`: the commands live in cli/ (run-cli.ts lists them; `--help`
 * prints their usage). A configuration or database that cannot be used ends it as at service start-up.
 * Exit codes: 0 done; 1 could not run; 2 an import finished but rejected some rows (they are listed).
 */
import { runCli } from './cli/run-cli.js'
import { reportStartupFailure } from './startup-failure.js'

runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (line) => console.log(line),
  stderr: (line) => console.error(line),
  progress: (text) => process.stderr.write(text),
}).then(
  (code) => process.exit(code),
  (error: unknown) => reportStartupFailure(error),
)
