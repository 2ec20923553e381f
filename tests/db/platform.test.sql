-- The platform stand-in behaves as Supabase does for everything Groundwork relies on.
begin;
select plan(30);

-- Roles and their attributes
select ok(not (select rolsuper from pg_roles where rolname = 'postgres'), 'postgres is not a superuser, as on a hosted project');
select ok((select rolbypassrls and rolcreaterole from pg_roles where rolname = 'postgres'), 'postgres may create roles and bypass RLS');
select ok((select not rolinherit and rolcanlogin from pg_roles where rolname = 'authenticator'), 'authenticator logs in and does not inherit');
select ok((select rolbypassrls from pg_roles where rolname = 'service_role'), 'service_role bypasses RLS');
select ok((select not rolbypassrls and not rolcanlogin from pg_roles where rolname = 'authenticated'), 'authenticated cannot log in and obeys RLS');
select ok(pg_has_role('authenticator', 'anon', 'member') and pg_has_role('authenticator', 'authenticated', 'member')
  and pg_has_role('authenticator', 'service_role', 'member'), 'authenticator can switch to each API role');
select is(current_user::text, 'postgres', 'tests run as postgres');

-- Claims, exactly as PostgREST passes them
select tests.act_as_anon();
select is(auth.role(), 'anon', 'auth.role() reads the role claim');
select is(auth.uid(), null, 'anon has no auth.uid()');
select tests.act_as_postgres();
select tests.act_as(tests.create_user('claims@example.test'), 'aal2');
select is(auth.uid(), tests.user_id('claims@example.test'), 'auth.uid() reads sub from request.jwt.claims');
select is(auth.email(), 'claims@example.test', 'auth.email() reads the email claim');
select is(auth.jwt() ->> 'aal', 'aal2', 'auth.jwt() returns every claim');
select is(current_user::text, 'authenticated', 'act_as switches to the authenticated role');
select tests.act_as_postgres();
select set_config('request.jwt.claims', '', true);
select set_config('request.jwt.claim.sub', '7f9c0c4e-1f7e-4a57-9d1e-2b8b8e2b0c11', true);
select is(auth.uid(), '7f9c0c4e-1f7e-4a57-9d1e-2b8b8e2b0c11'::uuid, 'auth.uid() also honours the older per-claim setting');
select set_config('request.jwt.claim.sub', '', true);

-- Supabase's default privileges: RLS is the only wall on new tables in public
create table public.platform_probe (id int primary key);
select ok(has_table_privilege('anon', 'public.platform_probe', 'select,insert,update,delete'), 'anon gets ALL on a new public table, as on Supabase');
select ok(has_table_privilege('authenticated', 'public.platform_probe', 'select,insert,update,delete'), 'authenticated gets ALL on a new public table');
drop table public.platform_probe;

-- Our safe default for functions
create function public.platform_probe_fn() returns int language sql as 'select 1';
select ok(not has_function_privilege('anon', 'public.platform_probe_fn()', 'execute'), 'a new function is not executable by anon until granted');
select ok(not has_function_privilege('authenticated', 'public.platform_probe_fn()', 'execute'), 'nor by authenticated');
drop function public.platform_probe_fn();

-- Schemas and extensions
select is((select count(*)::int from pg_extension e join pg_namespace n on n.oid = e.extnamespace where n.nspname = 'public'), 0,
  'no extension lives in public');
select is((select n.nspname::text from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pgtap'), 'extensions',
  'pgTAP lives in extensions, out of the generated types');
select has_schema('cron', 'pg_cron is installed');
select ok(has_schema_privilege('postgres', 'cron', 'usage'), 'postgres may schedule cron jobs');
select ok(not has_schema_privilege('anon', 'private', 'usage'), 'anon cannot reach the private schema');

-- Storage
select ok((select relrowsecurity from pg_class where oid = 'storage.objects'::regclass), 'storage.objects has RLS enabled');
select ok((select relrowsecurity from pg_class where oid = 'storage.buckets'::regclass), 'storage.buckets has RLS enabled');
select is(storage.foldername('org/doc/1/file.pdf'), array['org', 'doc', '1'], 'storage.foldername splits the folders');
select is(storage.filename('org/doc/1/file.pdf'), 'file.pdf', 'storage.filename returns the last part');
select is(storage.extension('org/doc/1/file.tar.gz'), 'gz', 'storage.extension returns the extension');

-- Realtime and the clock
select ok(exists (select 1 from pg_publication where pubname = 'supabase_realtime'), 'the supabase_realtime publication exists');
select tests.freeze_time('2030-03-31 01:30:00+00');
select is(private.now(), '2030-03-31 01:30:00+00'::timestamptz, 'freeze_time moves private.now() for the transaction');

select * from finish();
rollback;
