/* eslint-disable no-console -- before the logger exists, stderr is the only place to say why we stop */
import { formatProblem, ConfigError } from './config/problems.js'
import { BridgeError, isDatabaseUnavailable } from './errors.js'

/** Prints why the service or a command cannot start, one line per problem, and exits non-zero. */
export function reportStartupFailure(error: unknown): never {
  if (error instanceof ConfigError) {
    const [only] = error.problems
    if (error.problems.length === 1 && only !== undefined)
      console.error(`Configuration is invalid: ${formatProblem(only)}`)
    else {
      console.error(`Configuration is invalid (${error.problems.length} problems):`)
      for (const problem of error.problems) console.error(`  ${formatProblem(problem)}`)
    }
  } else if (
    isDatabaseUnavailable(error) ||
    (error instanceof BridgeError && error.code === 'ERR_DATABASE_UNAVAILABLE')
  ) {
    const cause = error instanceof BridgeError ? error.cause : error
    console.error(`Cannot start: the database is not reachable (${(cause as Error).message}); check DATABASE_URL`)
  } else if (error instanceof BridgeError) {
    console.error(`Cannot start: ${error.message}`)
  } else if ((error as { code?: string }).code === 'EADDRINUSE') {
    console.error(`Cannot start: ${(error as Error).message} (is another instance running? set PORT)`)
  } else {
    console.error('Cannot start:', error)
  }
  process.exit(1)
}
