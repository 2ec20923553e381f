-- Wakes the email dispatcher on hosted Supabase: pg_cron calls the email-dispatch function every
-- minute through pg_net. Runs only where pg_net exists (hosted projects and `supabase start`);
-- the native stack wakes the dispatcher itself (LISTEN/NOTIFY and a timer).
-- Needs two Vault secrets: project_url (https://<ref>.supabase.co) and dispatch_secret (the
-- function's DISPATCH_SECRET): select vault.create_secret('<value>', '<name>');

do $migration$
begin
  if not exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_net') then
    raise notice 'pg_net is not available: the email dispatcher is woken by the native stack instead';
    return;
  end if;
  create extension if not exists pg_net with schema extensions;
  perform cron.schedule('groundwork-email-dispatch', '* * * * *', $job$
    select net.http_post(
      url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url') || '/functions/v1/email-dispatch',
      headers := jsonb_build_object(
        'content-type', 'application/json',
        'x-dispatch-secret', (select decrypted_secret from vault.decrypted_secrets where name = 'dispatch_secret')),
      body := '{}'::jsonb,
      timeout_milliseconds := 55000)
  $job$);
end
$migration$;
