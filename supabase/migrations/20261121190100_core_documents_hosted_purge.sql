-- Runs documents-purge hourly on hosted Supabase through pg_cron + pg_net (only where pg_net
-- exists; the native stack's gateway calls it itself). Uses the same Vault secrets as the email
-- dispatcher: project_url and dispatch_secret.

do $migration$
begin
  if not exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_net') then
    raise notice 'pg_net is not available: documents-purge is called by the native stack instead';
    return;
  end if;
  create extension if not exists pg_net with schema extensions;
  perform cron.schedule('groundwork-documents-purge', '11 * * * *', $job$
    select net.http_post(
      url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url') || '/functions/v1/documents-purge',
      headers := jsonb_build_object(
        'content-type', 'application/json',
        'x-dispatch-secret', (select decrypted_secret from vault.decrypted_secrets where name = 'dispatch_secret')),
      body := '{}'::jsonb,
      timeout_milliseconds := 55000)
  $job$);
end
$migration$;
