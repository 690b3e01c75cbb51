/*
 * The service's entry point, and (with cli.ts and demo/main.ts) the only place that reads process.env.
 * SIGTERM / SIGINT: stop accepting connections, finish in-flight requests, close the database, exit.
 */
import closeWithGrace from 'close-with-grace'
import { reportStartupFailure } from './startup-failure.js'
import { startService } from './service.js'

const service = await startService({ env: process.env }).catch(reportStartupFailure)

closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
  if (err) service.logger.error({ err }, 'shutting down after an unexpected error')
  else service.logger.info({ signal }, 'shutting down')
  await service.stop()
  service.logger.info('shutdown complete')
  service.logger.flush()
})
