// Frozen: this migration imports nothing from src/ and never changes once released.
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Schools as records of a region. `diary_id` is the diary's own id of the school (unique in the
  // region when given); a school known only by its name (imported before the diary sent ids) has none,
  // and its name is then unique among the region's schools without an id.
  await sql`
    create table school (
      id uuid primary key default gen_random_uuid(),
      region text not null,
      diary_id text check (diary_id <> ''),
      name text not null check (name = btrim(name) and name <> ''),
      short_name text check (short_name <> ''),
      contact_name text,
      contact_room text,
      contact_phone text,
      contact_hours text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint school_diary_id_unique unique (region, diary_id)
    )`.execute(db)
  await sql`create unique index school_name_without_id_unique on school (region, name) where diary_id is null`.execute(
    db,
  )

  // Today's free text becomes records, one per distinct (region, trimmed text); blank text was no school.
  await sql`alter table diary_account add column school_id uuid references school (id)`.execute(db)
  await sql`
    insert into school (region, name)
    select distinct region, btrim(school) from diary_account where btrim(coalesce(school, '')) <> ''`.execute(db)
  await sql`
    update diary_account a set school_id = s.id from school s
    where s.region = a.region and s.diary_id is null and s.name = btrim(a.school)`.execute(db)
  await sql`alter table diary_account drop column school`.execute(db)
  await sql`create index diary_account_school_idx on diary_account (school_id, class_name) where school_id is not null`.execute(
    db,
  )

  // Account states: active; deactivated, with when, why and by whom; erased: the row keeps its id, region,
  // role and school and nothing personal (lifecycle/account-state.ts), so that the sessions it had stay
  // on the revocation list until their tokens expire. The diary's own id of the account (SCIM externalId), unique per region.
  await sql`
    alter table diary_account
      add column external_id text check (external_id <> ''),
      add column state text not null default 'active' check (state in ('active', 'deactivated', 'erased')),
      add column deactivated_at timestamptz,
      add column deactivated_reason text,
      add column deactivated_by text,
      add column version bigint not null default 1,
      add constraint diary_account_external_id_unique unique (region, external_id),
      add constraint diary_account_deactivation check (
        (state = 'active' and deactivated_at is null and deactivated_reason is null and deactivated_by is null)
        or (state in ('deactivated', 'erased') and deactivated_at is not null and deactivated_by is not null))`.execute(
    db,
  )

  // Every change of a row is a new version (SCIM meta.version, If-Match): the database counts, so no
  // writer can forget it.
  await sql`
    create function diary_account_next_version() returns trigger language plpgsql as $$
    begin
      new.version := old.version + 1;
      return new;
    end $$`.execute(db)
  await sql`
    create trigger diary_account_version before update on diary_account
    for each row execute function diary_account_next_version()`.execute(db)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger diary_account_version on diary_account`.execute(db)
  await sql`drop function diary_account_next_version()`.execute(db)
  await sql`
    alter table diary_account
      drop constraint diary_account_deactivation,
      drop constraint diary_account_external_id_unique,
      drop column version,
      drop column deactivated_by,
      drop column deactivated_reason,
      drop column deactivated_at,
      drop column state,
      drop column external_id`.execute(db)
  await sql`alter table diary_account add column school text`.execute(db)
  await sql`update diary_account a set school = s.name from school s where s.id = a.school_id`.execute(db)
  await sql`alter table diary_account drop column school_id`.execute(db)
  await sql`drop table school`.execute(db)
}
