-- Scheduled calls of edge functions on hosted Supabase: pg_cron calls a function through pg_net
-- with the scheduler secret. Only where pg_net exists (hosted projects and `supabase start`); the
-- native stack's gateway makes the same calls itself.
-- Needs two Vault secrets: project_url (https://<ref>.supabase.co) and dispatch_secret (the
-- functions' DISPATCH_SECRET): select vault.create_secret('<value>', '<name>');

do $migration$
begin
  if exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_net') then
    create extension if not exists pg_net with schema extensions;
  end if;
end
$migration$;

-- Schedules a POST to /functions/v1/<function> (body {}) with the scheduler secret. Returns false,
-- scheduling nothing, where pg_net is missing.
create or replace function private.schedule_function(p_job text, p_schedule text, p_function text)
returns boolean
language plpgsql
set search_path = ''
as $$
begin
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_net') then
    raise notice 'pg_net is not installed: % is called by the native stack instead', p_function;
    return false;
  end if;
  perform cron.schedule(p_job, p_schedule, format($job$
    select net.http_post(
      url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url') || %L,
      headers := jsonb_build_object(
        'content-type', 'application/json',
        'x-dispatch-secret', (select decrypted_secret from vault.decrypted_secrets where name = 'dispatch_secret')),
      body := '{}'::jsonb,
      timeout_milliseconds := 55000)
  $job$, '/functions/v1/' || p_function));
  return true;
end
$$;
comment on function private.schedule_function(text, text, text) is 'Has pg_cron call an edge function through pg_net with the scheduler secret (hosted projects); a no-op without pg_net.';
revoke all on function private.schedule_function(text, text, text) from public;

select private.schedule_function('groundwork-email-dispatch', '* * * * *', 'email-dispatch');
