-- Platform stand-in, part 2: schema `extensions` and the extensions Supabase provides.
-- Extensions live in `extensions`, never in `public`, so nothing of theirs reaches the API
-- or the generated types. pg_cron creates its own `cron` schema, as on Supabase.

create schema if not exists extensions;
grant usage on schema extensions to postgres, anon, authenticated, service_role;
grant all on schema extensions to dashboard_user;

create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists btree_gist with schema extensions;
create extension if not exists pgtap with schema extensions;
-- Supabase installs pg_cron into pg_catalog (its objects live in schema cron).
create extension if not exists pg_cron with schema pg_catalog;
-- plpgsql_check backs `supabase db lint`; on a hosted project postgres may create it.
create extension if not exists plpgsql_check with schema extensions;

-- What Supabase's grant_pg_cron_access event trigger grants once pg_cron exists.
grant usage on schema cron to postgres with grant option;
grant all privileges on all tables in schema cron to postgres with grant option;
grant all privileges on all sequences in schema cron to postgres with grant option;
grant all privileges on all routines in schema cron to postgres with grant option;
alter default privileges in schema cron grant all on tables to postgres with grant option;
alter default privileges in schema cron grant all on functions to postgres with grant option;
alter default privileges in schema cron grant all on sequences to postgres with grant option;
