-- Platform stand-in, part 1: the roles and database settings Supabase manages.
-- Loaded by the native stack as the cluster superuser (supabase_admin), never by a migration.
-- Mirrors supabase/postgres init scripts: the API roles, the non-superuser `postgres`
-- that migrations run as, and Supabase's default privileges in `public`.

alter role supabase_admin with superuser createdb createrole replication bypassrls;

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'postgres') then
    create role postgres;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin bypassrls;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'supabase_auth_admin') then
    create role supabase_auth_admin noinherit createrole login noreplication;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'supabase_storage_admin') then
    create role supabase_storage_admin noinherit createrole login noreplication;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'dashboard_user') then
    create role dashboard_user nosuperuser createdb createrole replication;
  end if;
end
$$;

-- On a Supabase project `postgres` is demoted: not a superuser, but it may create roles and
-- databases, replicate and bypass RLS. Migrations, seed and tests run as this role.
alter role postgres with nosuperuser login createdb createrole replication bypassrls password 'postgres';
alter role authenticator with password 'postgres';

-- As on Supabase today: the API roles inherit (authenticator does not, it switches role per request).
alter role anon inherit;
alter role authenticated inherit;
alter role service_role inherit;
grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;
-- postgres is not a member of supabase_auth_admin: it reaches auth tables by grants (20_auth.sql).
revoke supabase_auth_admin from postgres;
-- Policies on storage tables: Supabase lets postgres create, alter and drop them through supautils'
-- policy_grants, and nothing else on those tables' structure. PostgreSQL itself only lets an owner
-- manage policies, so the stand-in makes postgres a member of their owner and an event trigger
-- (sql/platform/50_supautils.sql) refuses every other DDL postgres attempts on auth and storage.
grant supabase_storage_admin to postgres;

-- The database belongs to postgres, as on a hosted project.
alter database postgres owner to postgres;
alter schema public owner to pg_database_owner;
alter database postgres set timezone to 'UTC';

grant usage on schema public to postgres, anon, authenticated, service_role;

-- Supabase's default privileges: anon and authenticated get everything on new objects in
-- `public`, so row-level security is the only wall. Tests must face the same.
alter default privileges in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on sequences to anon, authenticated, service_role;

alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
-- PostgREST's login role, as on Supabase: every API request is cut after 8 s, and a lock wait too.
-- (Supabase also preloads pg-safeupdate here, refusing UPDATE/DELETE without WHERE in API requests;
-- it has no Debian package, so tests/db/platform_supabase.test.sql checks our functions instead.)
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';
alter role supabase_admin set search_path to "$user", public, auth, extensions;
alter role postgres set search_path to "$user", public, extensions;
