-- The Supabase platform of today, as far as our migrations rely on it (Supabase's postgres image,
-- supautils, Auth and Storage migrations): if the stand-in drifts from these facts, this fails.
begin;
select plan(31);

-- 1. Storage's own triggers
select tests.create_user('plat@platform.test');
create temp table ids as select tests.create_org('plat-a', tests.user_id('plat@platform.test')) as a;
grant select on ids to authenticated;
insert into storage.objects (bucket_id, name, owner_id, metadata)
select 'documents', a || '/probe/1/file.pdf', tests.user_id('plat@platform.test')::text, '{"size": 1, "mimetype": "application/pdf"}' from ids;
select has_trigger('storage', 'objects', 'protect_objects_delete', 'storage.objects refuses direct deletes (protect_delete)');
select has_trigger('storage', 'buckets', 'protect_buckets_delete', 'so does storage.buckets');
select throws_ok($$ delete from storage.objects where name like '%/probe/%' $$, '42501',
  'Direct deletion from storage tables is not allowed. Use the Storage API instead.', 'even postgres cannot delete objects directly');
select tests.act_as('plat@platform.test');
select throws_ok($$ delete from storage.objects $$, '42501', null, 'nor can an API caller');
select tests.act_as_postgres();
select lives_ok($$ select set_config('storage.allow_delete_query', 'true', true); delete from storage.objects where name like '%/probe/%' $$,
  'the Storage server''s own path (storage.allow_delete_query) deletes');
select set_config('storage.allow_delete_query', '', true);
select has_trigger('storage', 'objects', 'update_objects_updated_at', 'objects keep updated_at current');
select throws_like($$ insert into storage.buckets (id, name) values ('long', repeat('b', 101)) $$, '%is too long%', 'bucket names are at most 100 characters');
select has_column('storage', 'buckets', 'versioning_status', 'buckets have versioning_status');
select has_column('storage', 'objects', 'is_versioned', 'objects have is_versioned');
select has_column('storage', 'objects', 'is_delete_marker', 'objects have is_delete_marker');
select has_column('storage', 'objects', 'archived_at', 'objects have archived_at');

-- 2. What postgres may do in auth and storage: no more than the platform gives it
select ok(not pg_has_role('postgres', 'supabase_auth_admin', 'member'), 'postgres is not a member of supabase_auth_admin');
select ok(not has_schema_privilege('postgres', 'auth', 'create'), 'postgres has no CREATE on schema auth');
select ok(not has_schema_privilege('postgres', 'storage', 'create') or pg_has_role('postgres', 'supabase_storage_admin', 'member'),
  'postgres has no CREATE on schema storage of its own');
select throws_ok($$ create table storage.sneaky (id int) $$, '42501', null, 'postgres cannot create tables in storage (supautils)');
select throws_ok($$ alter table storage.objects add column sneaky int $$, '42501', null, 'nor alter storage.objects');
select lives_ok($$ create policy "probe policy" on storage.objects for select to authenticated using (false) $$,
  'but may create policies on storage.objects (supautils policy_grants)');
select lives_ok($$ create trigger platform_probe after insert on auth.users for each row execute function private.touch_updated_at() $$,
  'and add triggers on auth.users');
select throws_ok($$ create table auth.sneaky (id int) $$, '42501', null, 'nor create tables in auth');

-- 3. pg_cron: schedule and read, never write its tables
select ok(has_table_privilege('postgres', 'cron.job', 'select'), 'postgres reads cron.job');
select ok(not has_table_privilege('postgres', 'cron.job', 'insert,update,delete') and not has_table_privilege('postgres', 'cron.job_run_details', 'insert,update'),
  'but does not write jobs or run details directly (pg_cron still lets anyone delete their own old run details)');
select lives_ok($$ select cron.unschedule(cron.schedule('platform-probe', '0 0 1 1 *', 'select 1')) $$, 'postgres schedules and unschedules jobs');

-- 4. API roles
select ok((select bool_and(rolinherit) from pg_roles where rolname in ('anon', 'authenticated', 'service_role')), 'anon, authenticated and service_role inherit');
select is((select array_agg(s order by s) from pg_db_role_setting d cross join unnest(d.setconfig) s
           where d.setrole = 'authenticator'::regrole and (s like 'statement_timeout=%' or s like 'lock_timeout=%')),
  array['lock_timeout=8s', 'statement_timeout=8s'], 'authenticator cuts statements and lock waits at 8 s');
-- safeupdate (preloaded for authenticator on Supabase) refuses UPDATE/DELETE without WHERE in API
-- requests; no function of ours runs one.
select is(
  (select array_agg(p.oid::regprocedure::text order by 1)
   from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   cross join lateral regexp_split_to_table(lower(p.prosrc), ';') stmt
   where n.nspname in ('public', 'private', 'compliance', 'audit') and p.prolang in (select oid from pg_language where lanname in ('plpgsql', 'sql'))
     and (stmt ~ '\mupdate\s+[a-z_."]+(\s+(as\s+)?[a-z_]+)?\s+set\M' or stmt ~ '\mdelete\s+from\M')
     and stmt !~ '\mwhere\M'),
  null,
  'no function of ours runs an UPDATE or DELETE without WHERE');

-- 5. Auth's tables
select ok((select relrowsecurity from pg_class where oid = 'auth.users'::regclass), 'auth.users has RLS enabled (no policies)');
select ok((select relrowsecurity from pg_class where oid = 'auth.sessions'::regclass), 'auth.sessions has RLS enabled');
select has_table('auth', 'identities', 'auth.identities exists');
select has_table('auth', 'mfa_factors', 'auth.mfa_factors exists');
select is((select nspowner::regrole::text from pg_namespace where nspname = 'extensions'), 'postgres', 'schema extensions belongs to postgres');

-- Our heaviest API calls finish within authenticator's 8 s on the demo load (npm test seeds the
-- demo organization; without it, on this test's own organization), as its executive would call them.
create temp table heavy as
  select coalesce((select id from public.organizations where id = '00000000-0000-4000-9000-000000000001'), (select a from ids)) as org,
         coalesce(tests.user_id('executive@groundwork.test'), tests.user_id('plat@platform.test')) as who;
grant select on heavy to authenticated;
select tests.act_as((select who from heavy));
select lives_ok($$ set local statement_timeout = '8s';
  select count(*) from compliance.contracts_by_status((select org from heavy));
  select count(*) from compliance.upcoming_deadlines((select org from heavy), 365);
  select count(*) from compliance.compliance_rate((select org from heavy));
  select count(*) from compliance.missing_certifications((select org from heavy));
  select count(*) from compliance.certification_status;
  select count(*) from public.audit_events where org_id = (select org from heavy);
  select count(*) from (select * from public.audit_events order by id desc limit 50) page $$,
  'dashboards, the certification view and the audit trail finish within 8 s on the demo load');

select * from finish();
rollback;
