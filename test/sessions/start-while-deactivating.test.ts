/*
 * A sign-in at the moment the account is deactivated: the deactivation holds the account's row until it
 * commits, the session start reads the row `for share` and so waits for it, then finds the account
 * deactivated and starts nothing. Without the lock it read the old row, started a session the
 * deactivation's end of sessions could not see, and that session lived on.
 * Needs two connections at once: PostgreSQL (DATABASE_URL); the embedded database has one.
 */
import t from 'tap'
import { findAccountByLogin, setDeactivated } from '../../src/accounts/account.repository.js'
import { openDatabase } from '../../src/db/open-database.js'
import { startSession } from '../../src/sessions/login-session.js'
import { openTestDatabase, serverUrl } from '../helpers/test-database.js'

t.test(
  'a session start waits for a deactivation in progress and then starts nothing',
  { skip: serverUrl === undefined ? 'needs DATABASE_URL (two connections at once)' : false },
  async (t) => {
    const { db, url } = await openTestDatabase(t)
    const other = await openDatabase({ databaseUrl: url })
    t.teardown(() => other.destroy())
    await db
      .insertInto('diary_account')
      .values({ region: '29', login: 'leaver', role: 'pupil', family_name: 'Т', given_name: 'Т' })
      .execute()
    const account = (await findAccountByLogin(db, '29', 'leaver'))!
    const start = () =>
      startSession(other, {
        accountId: account.id,
        method: 'password',
        browser: null,
        lifetimeSeconds: 3600,
        now: new Date(),
      })

    let started: Promise<unknown> | undefined
    await db.transaction().execute(async (trx) => {
      t.ok(await setDeactivated(trx, '29', account.id, { at: new Date(), reason: null, by: 'import' }))
      started = start().then(
        () => 'started',
        (error: { code?: string }) => error.code,
      )
      // The sign-in is now waiting on the row; the deactivation ends what sessions it can see, and commits.
      await new Promise((resolve) => setTimeout(resolve, 300))
    })
    t.equal(await started, 'ERR_ACCOUNT_CLOSED', 'the waiting sign-in sees the account deactivated')
    const sessions = await db.selectFrom('login_session').select('id').where('account_id', '=', account.id).execute()
    t.same(sessions, [], 'no session was started')
  },
)
