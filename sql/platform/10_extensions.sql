-- Platform stand-in, part 2: schema `extensions` and the extensions Supabase provides.
-- Extensions live in `extensions`, never in `public`, so nothing of theirs reaches the API
-- or the generated types. pg_cron creates its own `cron` schema, as on Supabase.

create schema if not exists extensions;
alter schema extensions owner to postgres;
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

-- What postgres may do with pg_cron on Supabase today: schedule and unschedule jobs (pg_cron's
-- own functions check who owns a job), and read cron.job and cron.job_run_details; not write them.
grant usage on schema cron to postgres;
grant select on cron.job, cron.job_run_details to postgres;
revoke insert, update, delete, truncate on cron.job, cron.job_run_details from postgres;
grant execute on function cron.schedule(text, text), cron.schedule(text, text, text), cron.unschedule(bigint)
  to postgres;
