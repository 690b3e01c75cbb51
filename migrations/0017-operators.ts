// Frozen: this migration imports nothing from src/ and never changes once released.
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // A school is named with its region where a row must stay in the school's region (operator_role below).
  await sql`alter table school add constraint school_region_id_unique unique (region, id)`.execute(db)

  // Console roles of staff accounts: a school's administrator (one school), a region's operator, or the
  // support desk of a region. `granted_by` is the operator who granted it (`operator:<name>`).
  // The school belongs to the role's region (the composite key); the unique index treats "no school" as one
  // value (coalesce: PostgreSQL 13 has no NULLS NOT DISTINCT).
  await sql`
    create table operator_role (
      id uuid primary key default gen_random_uuid(),
      account_id uuid not null references diary_account (id) on delete cascade,
      role text not null check (role in ('school-admin', 'region-operator', 'support')),
      region text not null,
      school_id uuid,
      granted_by text not null check (granted_by <> ''),
      reason text,
      granted_at timestamptz not null default now(),
      constraint operator_role_school_shape check ((role = 'school-admin') = (school_id is not null)),
      constraint operator_role_school_region foreign key (region, school_id)
        references school (region, id) on delete cascade
    )`.execute(db)
  await sql`
    create unique index operator_role_unique on operator_role
      (account_id, role, region, coalesce(school_id, '00000000-0000-0000-0000-000000000000'::uuid))`.execute(db)
  await sql`create index operator_role_account_idx on operator_role (account_id)`.execute(db)

  // Only a teacher's or staff account of the role's region holds a role; an erased account holds none.
  // The account row is read `for share`: a change of its role waits for the grant, then removes it (below).
  await sql`
    create function operator_role_check_account() returns trigger language plpgsql as $$
    declare
      holder record;
    begin
      select role, region, state into holder from diary_account where id = new.account_id for share;
      if not found then
        return new;
      end if;
      if holder.role not in ('teacher', 'staff') then
        raise exception 'only teacher or staff accounts may hold a console role' using errcode = '23514';
      end if;
      if holder.region <> new.region then
        raise exception 'a console role is of the account''s own region' using errcode = '23514';
      end if;
      if holder.state = 'erased' then
        raise exception 'an erased account holds no console role' using errcode = '23514';
      end if;
      return new;
    end $$`.execute(db)
  await sql`
    create trigger operator_role_check_account before insert or update on operator_role
      for each row execute function operator_role_check_account()`.execute(db)

  // An account that stops being a teacher or staff, moves region or is erased loses its roles. A deactivated
  // account keeps them (a reactivation gives them back): whoever reads roles checks the account's state.
  await sql`
    create function operator_role_follow_account() returns trigger language plpgsql as $$
    begin
      delete from operator_role where account_id = new.id;
      return null;
    end $$`.execute(db)
  await sql`
    create trigger operator_role_follow_account after update of role, region, state on diary_account
      for each row
      when (new.role not in ('teacher', 'staff') or new.region <> old.region or new.state = 'erased')
      execute function operator_role_follow_account()`.execute(db)
  // A teacher who moves to another school is no longer the admin of the school she left (an admin of
  // other schools stays theirs: that is a grant of its own).
  await sql`
    create function operator_role_follow_school() returns trigger language plpgsql as $$
    begin
      delete from operator_role where account_id = new.id and role = 'school-admin' and school_id = old.school_id;
      return null;
    end $$`.execute(db)
  await sql`
    create trigger operator_role_follow_school after update of school_id on diary_account
      for each row
      when (old.school_id is not null and new.school_id is distinct from old.school_id)
      execute function operator_role_follow_school()`.execute(db)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger operator_role_follow_school on diary_account`.execute(db)
  await sql`drop function operator_role_follow_school()`.execute(db)
  await sql`drop trigger operator_role_follow_account on diary_account`.execute(db)
  await sql`drop function operator_role_follow_account()`.execute(db)
  await sql`drop table operator_role`.execute(db)
  await sql`drop function operator_role_check_account()`.execute(db)
  await sql`alter table school drop constraint school_region_id_unique`.execute(db)
}
