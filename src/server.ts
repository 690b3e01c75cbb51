/*
 * The service's entry point, and (with cli.ts and demo/main.ts) the only place that reads process.env.
 * SIGTERM / SIGINT: stop accepting connections, finish in-flight requests, close the database, exit.
 * SIGHUP: reload the configuration directory (`kill -HUP "$(cat "$PID_FILE")"`).
 * PID_FILE: where to write this process's id once it is ready (the log's "bridge is ready" line has it
 * too); removed at shutdown.
 */
import { rmSync, writeFileSync } from 'node:fs'
import closeWithGrace from 'close-with-grace'
import { BridgeError } from './errors.js'
import { reportStartupFailure } from './startup-failure.js'
import { startService } from './service.js'

const service = await startService({ env: process.env }).catch(reportStartupFailure)

// SIGHUP: read the configuration directory again (regions and clients); an invalid one is refused.
process.on('SIGHUP', () => service.reload())

const pidFile = process.env.PID_FILE
if (pidFile) {
  try {
    writeFileSync(pidFile, `${process.pid}\n`)
  } catch (error) {
    await service.stop()
    reportStartupFailure(
      new BridgeError(
        'ERR_CONFIG_INVALID',
        `PID_FILE ${pidFile} cannot be written (${(error as Error).message}): does its folder exist?`,
      ),
    )
  }
}

closeWithGrace({ delay: 15_000, skip: ['SIGHUP'] }, async ({ signal, err }) => {
  if (err) service.logger.error({ err }, 'shutting down after an unexpected error')
  else service.logger.info({ signal }, 'shutting down')
  try {
    await service.stop()
  } finally {
    if (pidFile) rmSync(pidFile, { force: true })
  }
  service.logger.info('shutdown complete')
  service.logger.flush()
})
