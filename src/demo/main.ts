/*
 * `npm run demo`: the bridge on its embedded defaults, with demo diary accounts. An entry point
 * like server.ts: it reads process.env, adding the demo's own secrets where they are not set.
 * Demo accounts (password "diary-demo"): see accounts-29.csv and accounts-78.csv.
 */
import { fileURLToPath } from 'node:url'
import closeWithGrace from 'close-with-grace'
import { importAccounts } from '../accounts/import/import-accounts.js'
import { startService } from '../service.js'
import { reportStartupFailure } from '../startup-failure.js'

const demoEnv = {
  REGION_29_CLIENT_SECRET: 'demo-state-services-secret-29',
  DEMO_DIARY_CLIENT_SECRET: 'demo-diary-client-secret',
}

const service = await startService({
  env: { ...demoEnv, ...process.env },
  beforeListen: async (db, config, logger) => {
    for (const region of ['29', '78']) {
      const existing = await db.selectFrom('diary_account').select('id').where('region', '=', region).limit(1).execute()
      if (existing.length > 0 || !config.regions.has(region)) continue
      const report = await importAccounts(db, {
        file: fileURLToPath(new URL(`./accounts-${region}.csv`, import.meta.url)),
        format: 'csv',
        region,
        snilsPepper: config.secrets.snilsPepper.reveal(),
      })
      logger.info({ region, created: report.created }, 'demo accounts imported (password "diary-demo")')
    }
  },
}).catch(reportStartupFailure)

closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
  if (err) service.logger.error({ err }, 'shutting down after an unexpected error')
  else service.logger.info({ signal }, 'shutting down')
  await service.stop()
  service.logger.flush()
})
