/*
 * `npm run demo`: the bridge on its embedded defaults, with demo diary accounts and a local
 * state-services simulator. An entry point like server.ts: it reads process.env, adding the demo's own
 * secrets where they are not set.
 * Demo accounts (password "diary-demo"): accounts-29.csv and accounts-78.csv. Simulator persons:
 * state-services-simulator.ts. The demo diary module (diary-module.ts) is the `demo-diary` client.
 */
import { fileURLToPath } from 'node:url'
import closeWithGrace from 'close-with-grace'
import { importAccounts } from '../accounts/import/import-accounts.js'
import { logoutDonePath } from '../login/logout.js'
import { stateServicesCallbackPath } from '../regions/registry.js'
import { startService } from '../service.js'
import { reportStartupFailure } from '../startup-failure.js'
import { startDiaryModule } from './diary-module.js'
import { startSimulator } from './state-services-simulator.js'

const demoEnv = {
  REGION_29_CLIENT_SECRET: 'demo-state-services-secret-29',
  DEMO_DIARY_CLIENT_SECRET: 'demo-diary-client-secret',
}
const env: Record<string, string | undefined> = { ...demoEnv, ...process.env }
const publicUrl = env.PUBLIC_URL ?? `http://localhost:${env.PORT ?? 3000}`
const simulatorPort = Number(env.DEMO_SIMULATOR_PORT ?? 3001)

const simulator = await startSimulator({
  port: simulatorPort,
  clients: [
    {
      clientId: 'diary-bridge-29',
      clientSecret: env.REGION_29_CLIENT_SECRET ?? demoEnv.REGION_29_CLIENT_SECRET,
      redirectUris: [`${publicUrl}${stateServicesCallbackPath}`],
      postLogoutRedirectUris: [`${publicUrl}${logoutDonePath}`],
    },
  ],
}).catch(reportStartupFailure)

const service = await startService({
  env,
  beforeListen: async (db, config, logger, hasher) => {
    // Every start: an import of the same file changes nothing, and new demo accounts reach an old ./data.
    for (const region of ['29', '78']) {
      if (!config.regions.has(region)) continue
      const report = await importAccounts(db, {
        file: fileURLToPath(new URL(`./accounts-${region}.csv`, import.meta.url)),
        format: 'csv',
        region,
        snilsPepper: config.secrets.snilsPepper.reveal(),
        hasher,
      })
      if (report.created + report.updated > 0) {
        logger.info({ region, created: report.created, updated: report.updated }, 'demo accounts imported (password "diary-demo")')
      }
    }
  },
}).catch(reportStartupFailure)

const diary = await startDiaryModule({
  port: Number(env.DEMO_DIARY_PORT ?? 3002),
  bridgeUrl: service.config.publicUrl,
  clientId: 'demo-diary',
  clientSecret: env.DEMO_DIARY_CLIENT_SECRET ?? demoEnv.DEMO_DIARY_CLIENT_SECRET,
}).catch(reportStartupFailure)

service.logger.info(
  { open: diary.url, bridgeLogin: `${service.config.publicUrl}/login`, stateServicesSimulator: simulator.issuer },
  `demo is running: open ${diary.url} in a browser`,
)

process.on('SIGHUP', () => service.reload())

closeWithGrace({ delay: 15_000, skip: ['SIGHUP'] }, async ({ signal, err }) => {
  if (err) service.logger.error({ err }, 'shutting down after an unexpected error')
  else service.logger.info({ signal }, 'shutting down')
  await diary.app.close()
  await service.stop()
  await simulator.close()
  service.logger.flush()
})
