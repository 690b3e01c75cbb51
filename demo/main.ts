/*
 * `npm run demo`: the bridge on its embedded defaults, with demo diary accounts and two local
 * state-services simulators. An entry point like server.ts: it reads process.env, adding the demo's own
 * secrets and keys where they are not set.
 * - region 29 logs in through the ESIA simulator (esia-simulator.ts, DEMO_SIMULATOR_PORT, 3001). Its
 *   GOST keys are made on the first run into <DATA_DIR>/esia-demo/ (with OpenSSL's GOST engine, or in
 *   JavaScript without it; the log's GOST line says which implementation signs): the
 *   bridge's system pair "system" (REGION_29_ESIA_PRIVATE_KEY, REGION_29_ESIA_CERTIFICATE) and the
 *   simulator's token-signing pair "esia" (its certificate: DEMO_ESIA_CERTIFICATES)
 * - region 78 logs in through the standard OIDC simulator (state-services-simulator.ts,
 *   DEMO_OIDC_SIMULATOR_PORT, 3003; REGION_78_CLIENT_SECRET)
 * - the demo diary module (diary-module.ts, DEMO_DIARY_PORT, 3002) is the `demo-diary` client of both
 * - the bridge's e-mails and SMS go to an in-memory mailbox (mailbox.ts), shown at <diary module>/mailbox
 * Demo accounts (password "diary-demo"): accounts-29.csv and accounts-78.csv; both simulators offer the
 * same test persons, whom the accounts of both regions match.
 */
import { fileURLToPath } from 'node:url'
import closeWithGrace from 'close-with-grace'
import { importAccounts } from '../src/accounts/import/import-accounts.js'
import { findAccountByLogin } from '../src/accounts/account.repository.js'
import { setSchoolContact } from '../src/accounts/school.repository.js'
import { grantOperatorRole } from '../src/console/operator.repository.js'
import { logoutDonePath } from '../src/login/logout.js'
import { stateServicesCallbackPath } from '../src/regions/registry.js'
import { startService } from '../src/service.js'
import { reportStartupFailure } from '../src/startup-failure.js'
import { startDiaryModule } from './diary-module.js'
import { startEsiaSimulator } from './esia-simulator.js'
import { createMailbox, mailboxPath } from './mailbox.js'
import { type DemoEnvironment, demoEnvironment, demoSecrets } from './environment.js'
import { startSimulator } from './state-services-simulator.js'

let demo: DemoEnvironment
try {
  demo = demoEnvironment(process.env)
} catch (error) {
  reportStartupFailure(error)
}
const { env, keys } = demo
const publicUrl = env.PUBLIC_URL ?? `http://localhost:${env.PORT ?? 3000}`
const callbackUrl = `${publicUrl}${stateServicesCallbackPath}`
const esiaPort = Number(env.DEMO_SIMULATOR_PORT ?? 3001)
const oidcPort = Number(env.DEMO_OIDC_SIMULATOR_PORT ?? 3003)
// Region 29's portalUrl; its `issuer` is the bridge's default for it, http://<portal host>/.
const esiaUrl = `http://localhost:${esiaPort}/`

const esiaSimulator = await startEsiaSimulator({
  port: esiaPort,
  issuer: esiaUrl,
  signingKey: keys.esia,
  // ESIA's logout returns to any URL of a redirect URI's origin: the bridge's /logout/done is one.
  clients: [
    {
      clientId: 'DIARY29',
      certificatePem: env.REGION_29_ESIA_CERTIFICATE ?? keys.system.certificatePem,
      redirectUris: [callbackUrl],
    },
  ],
}).catch(reportStartupFailure)

const oidcSimulator = await startSimulator({
  port: oidcPort,
  clients: [
    {
      clientId: 'diary-bridge-78',
      clientSecret: env.REGION_78_CLIENT_SECRET ?? demoSecrets.REGION_78_CLIENT_SECRET,
      redirectUris: [callbackUrl],
      postLogoutRedirectUris: [`${publicUrl}${logoutDonePath}`],
    },
  ],
}).catch(reportStartupFailure)

const mailbox = createMailbox()

const service = await startService({
  env,
  senders: { mail: mailbox, sms: mailbox },
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
        contactsVerified: true,
      })
      if (report.created + report.updated > 0) {
        logger.info(
          { region, created: report.created, updated: report.updated },
          'demo accounts imported (password "diary-demo")',
        )
      }
    }
    // The school console (/console): Кузнецова Е. В. answers for Школа № 1 of region 29, whose contact
    // card the help page shows. Granted once; a later start finds the role there.
    const teacher = config.regions.has('29') ? await findAccountByLogin(db, '29', 'kuznetsova.e') : undefined
    if (teacher !== undefined && teacher.schoolId !== null) {
      const grant = await grantOperatorRole(db, {
        accountId: teacher.id,
        role: 'school-admin',
        region: '29',
        schoolId: teacher.schoolId,
        grantedBy: 'operator:demo',
      })
      if (grant.kind === 'granted') {
        await setSchoolContact(
          db,
          '29',
          teacher.schoolId,
          {
            name: 'Кузнецова Елена Викторовна, заместитель директора',
            room: '214',
            phone: '+7 8182 00-00-14',
            hours: 'пн–пт 9:00–16:00',
          },
          new Date(),
        )
        logger.info({ login: teacher.login }, 'demo school admin of Школа № 1 (region 29): /console')
      }
    }
  },
}).catch(reportStartupFailure)

const diary = await startDiaryModule({
  port: Number(env.DEMO_DIARY_PORT ?? 3002),
  bridgeUrl: service.config.publicUrl,
  clientId: 'demo-diary',
  clientSecret: env.DEMO_DIARY_CLIENT_SECRET ?? demoSecrets.DEMO_DIARY_CLIENT_SECRET,
  mailbox,
}).catch(reportStartupFailure)
const mailboxUrl = `${diary.url}${mailboxPath}`

service.logger.info(
  {
    open: diary.url,
    mailbox: mailboxUrl,
    bridgeLogin: `${service.config.publicUrl}/login`,
    esiaSimulator: esiaUrl,
    oidcSimulator: oidcSimulator.issuer,
  },
  `demo is running: open ${diary.url} in a browser; mails and SMS of the bridge: ${mailboxUrl}`,
)

process.on('SIGHUP', () => service.reload())

closeWithGrace({ delay: 15_000, skip: ['SIGHUP'] }, async ({ signal, err }) => {
  if (err) service.logger.error({ err }, 'shutting down after an unexpected error')
  else service.logger.info({ signal }, 'shutting down')
  await diary.app.close()
  await service.stop()
  await Promise.all([esiaSimulator.close(), oidcSimulator.close()])
  service.logger.flush()
})
