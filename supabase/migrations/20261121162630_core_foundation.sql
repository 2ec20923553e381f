-- Core foundation: safe defaults for every later migration, the private helper schema and the
-- one clock all business rules read.

-- Functions are never callable by default: each function is granted explicitly right after it
-- is defined. (PostgreSQL grants EXECUTE to PUBLIC, and Supabase grants it to the API roles in
-- public; both are withdrawn for functions that postgres creates from here on.)
alter default privileges for role postgres revoke execute on functions from public;
alter default privileges for role postgres in schema public revoke execute on functions from anon, authenticated, service_role;

-- Helpers that policies call live here: not exposed through the API, never security definer
-- in an exposed schema.
create schema if not exists private;
comment on schema private is 'Groundwork internals: permission helpers and triggers called by policies and functions. Not exposed through the Data API.';
revoke all on schema private from public;
grant usage on schema private to authenticated, service_role;

-- One clock for every rule that depends on time (expiry, reminders, retention), so tests can
-- freeze it. The override is honoured only outside API requests: PostgREST connects as
-- authenticator, and a client can never move the clock.
create or replace function private.now()
returns timestamptz
language sql
stable
set search_path = ''
as $$
  select case
    when session_user <> 'authenticator' and coalesce(current_setting('groundwork.frozen_now', true), '') <> ''
      then current_setting('groundwork.frozen_now', true)::timestamptz
    else pg_catalog.now()
  end
$$;
comment on function private.now() is 'The current time for business rules: now(), or the time a test froze with set_config(''groundwork.frozen_now'', ...) (ignored for API requests).';
grant execute on function private.now() to authenticated, service_role;
