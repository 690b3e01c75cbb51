// The ordered list of migrations. A new migration gets a new file and a new line here; old ones never change.
import type { Migration } from 'kysely'
import * as initial from './0001-initial.js'
import * as sessions from './0002-sessions.js'
import * as tokens from './0003-tokens.js'
import * as throttling from './0004-throttling.js'
import * as selfService from './0005-self-service.js'
import * as singleUse from './0006-single-use.js'
import * as requestRate from './0007-request-rate.js'
import * as auditRetention from './0008-audit-retention.js'
import * as contactsRecovery from './0009-contacts-recovery.js'
import * as logoutNotices from './0010-logout-notices.js'
import * as linksPerRegion from './0011-links-per-region.js'
import * as linkVerified from './0012-link-verified.js'
import * as twoLiveRecoverySecrets from './0013-two-live-recovery-secrets.js'
import * as accessTokenLifetimes from './0014-access-token-lifetimes.js'
import * as accountLifecycle from './0015-account-lifecycle.js'
import * as secondFactors from './0016-second-factors.js'
import * as operators from './0017-operators.js'
import * as auditOverview from './0018-audit-overview.js'
import * as consoleSearch from './0019-console-search.js'

export const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-sessions': sessions,
  '0003-tokens': tokens,
  '0004-throttling': throttling,
  '0005-self-service': selfService,
  '0006-single-use': singleUse,
  '0007-request-rate': requestRate,
  '0008-audit-retention': auditRetention,
  '0009-contacts-recovery': contactsRecovery,
  '0010-logout-notices': logoutNotices,
  '0011-links-per-region': linksPerRegion,
  '0012-link-verified': linkVerified,
  '0013-two-live-recovery-secrets': twoLiveRecoverySecrets,
  '0014-access-token-lifetimes': accessTokenLifetimes,
  '0015-account-lifecycle': accountLifecycle,
  '0016-second-factors': secondFactors,
  '0017-operators': operators,
  '0018-audit-overview': auditOverview,
  '0019-console-search': consoleSearch,
}
