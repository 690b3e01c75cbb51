// Frozen: this migration imports nothing from src/ and never changes once released.
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // audit_event stays append-only, but the retention step no longer switches the trigger off (ALTER TABLE
  // takes an exclusive lock: every audit insert, so every login, waited for each batch). A DELETE passes
  // when the transaction says it is the retention step (bridge.audit_retention = on, transaction-local)
  // and the role is the table's owner or a member of it: the roles that could switch the trigger off
  // anyway. Any other role, or an UPDATE, is refused as before.
  await sql`
    create or replace function audit_event_append_only() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE'
         and current_setting('bridge.audit_retention', true) = 'on'
         and pg_has_role(current_user, (select relowner from pg_class where oid = tg_relid), 'MEMBER') then
        return old;
      end if;
      raise exception 'audit_event is append-only';
    end
    $$`.execute(db)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    create or replace function audit_event_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_event is append-only';
    end
    $$`.execute(db)
}
