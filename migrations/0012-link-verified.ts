// Frozen: this migration imports nothing from src/ and never changes once released.
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Whether the provider vouched for the person (a confirmed State Services account) when the link was
  // made. A link by SNILS always was; for a binding by password it was not recorded before this
  // migration, so such links count as unverified: they end at the next password change and do not
  // serve "forgot your password" (the person binds again, and a verified one is recorded as such).
  await sql`alter table identity_link add column verified boolean not null default false`.execute(db)
  await sql`update identity_link set verified = true where method = 'auto_snils'`.execute(db)
  await sql`
    alter table identity_link
      alter column verified drop default,
      add constraint identity_link_snils_verified check (method <> 'auto_snils' or verified)`.execute(db)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table identity_link drop column verified`.execute(db)
}
