-- Runs documents-purge hourly on hosted Supabase (pg_cron + pg_net; the native stack's gateway
-- calls it itself).
select private.schedule_function('groundwork-documents-purge', '11 * * * *', 'documents-purge');
