-- The audit trail: what it records, what it never records, who reads it, and that nobody changes it.
begin;
select plan(27);

select tests.create_user(e) from unnest(array['own@au.test', 'adm@au.test', 'exe@au.test', 'mem@au.test', 'x@other.test']) e;
create temp table ids as select tests.create_org('audit-a', tests.user_id('own@au.test')) as a, tests.create_org('audit-b', tests.user_id('x@other.test')) as b;
grant select on ids to authenticated;
select tests.add_member((select a from ids), tests.user_id('adm@au.test'), 'admin');
select tests.add_member((select a from ids), tests.user_id('exe@au.test'), 'executive');
select tests.add_member((select a from ids), tests.user_id('mem@au.test'), 'member');

-- Recording a change made through the API
select tests.act_as('adm@au.test', 'aal2');
select set_config('request.headers', '{"x-request-id": "req-audit-0001"}', true);
insert into public.departments (org_id, name) values ((select a from ids), 'Legal');
update public.departments set name = 'Legal & Compliance' where name = 'Legal';
delete from public.departments where name = 'Legal & Compliance';
select tests.act_as_postgres();
select results_eq($$ select operation, actor_id, actor_role, actor_aal, request_id, org_id from audit.log
  where table_name = 'departments' and org_id = (select a from ids) order by id $$,
  $$ values ('INSERT', tests.user_id('adm@au.test'), 'authenticated', 'aal2', 'req-audit-0001', (select a from ids)),
            ('UPDATE', tests.user_id('adm@au.test'), 'authenticated', 'aal2', 'req-audit-0001', (select a from ids)),
            ('DELETE', tests.user_id('adm@au.test'), 'authenticated', 'aal2', 'req-audit-0001', (select a from ids)) $$,
  'insert, update and delete are recorded with the actor, role, aal, request id and organization');
select ok((select new_record ->> 'name' = 'Legal & Compliance' and not new_record ? 'org_id' and not new_record ? 'id'
  from audit.log where table_name = 'departments' and operation = 'UPDATE' and org_id = (select a from ids)),
  'an update records only the changed columns (new values)');
select is((select old_record ->> 'name' from audit.log where table_name = 'departments' and operation = 'UPDATE' and org_id = (select a from ids)),
  'Legal', 'and their old values');
select is((select array(select jsonb_object_keys(new_record)) from audit.log where table_name = 'departments' and operation = 'UPDATE' and org_id = (select a from ids)),
  array['name'], 'the diff holds exactly the changed columns');
select isnt((select record_id from audit.log where table_name = 'departments' and operation = 'DELETE' and org_id = (select a from ids)), null,
  'the record id is kept for a deleted row');

-- Secrets never land in the log; truncation is logged; enable is idempotent.
create table public.audit_probe (id int primary key, org_id uuid, token_hash text, note text);
alter table public.audit_probe enable row level security;
select audit.enable('public.audit_probe', array['token_hash']);
select audit.enable('public.audit_probe', array['token_hash']);
select is((select count(*)::int from pg_trigger where tgrelid = 'public.audit_probe'::regclass and tgname like 'audit_%'), 2,
  'enabling twice leaves one row trigger and one truncate trigger');
insert into public.audit_probe values (1, (select a from ids), 'secret-hash', 'hello');
update public.audit_probe set token_hash = 'new-secret';
select ok(not exists (select 1 from audit.log where table_name = 'audit_probe' and (coalesce(old_record, '{}') || coalesce(new_record, '{}')) ? 'token_hash'),
  'excluded columns never appear');
select is((select new_record from audit.log where table_name = 'audit_probe' and operation = 'UPDATE'), '{}'::jsonb,
  'a change to excluded columns only is logged without values');
truncate public.audit_probe;
select is((select count(*)::int from audit.log where table_name = 'audit_probe' and operation = 'TRUNCATE'), 1, 'truncation is logged');
create table public.audit_no_key (note text);
select throws_ok($$ select audit.enable('public.audit_no_key') $$, 'P0001', 'Cannot audit public.audit_no_key: it has no primary key',
  'a table without a primary key cannot be audited');
select ok((select count(*) from audit.tables where table_id::text in ('organizations', 'departments', 'roles', 'role_permissions', 'members', 'profiles', 'permissions')) = 7,
  'every core table is audited');

-- Reading
select tests.act_as('adm@au.test');
select ok(tests.visible('public.audit_events') > 0, 'an admin reads the organization''s trail');
select is(tests.visible('public.audit_events', format('org_id <> %L', (select a from ids))), 0::bigint, 'and only that organization''s');
select tests.act_as('exe@au.test');
select ok(tests.visible('public.audit_events') > 0, 'an executive reads it');
select tests.act_as('mem@au.test');
select is(tests.visible('public.audit_events'), 0::bigint, 'a member does not');
select tests.act_as_anon();
select throws_ok($$ select count(*) from public.audit_events $$, '42501', null, 'anon cannot even ask');

-- Append-only
select tests.act_as('own@au.test');
select throws_ok($$ update public.audit_events set table_name = 'x' $$, '42501', null, 'an owner cannot change the trail');
select throws_ok($$ delete from public.audit_events $$, '42501', null, 'nor delete from it');
select throws_ok($$ insert into public.audit_events (table_schema, table_name, operation, actor_role) values ('a', 'b', 'TRUNCATE', 'x') $$,
  '42501', null, 'nor forge entries');
select tests.act_as_service_role();
select throws_ok($$ delete from audit.log $$, '42501', null, 'the service role cannot delete entries');
select throws_ok($$ update audit.log set actor_role = 'x' $$, '42501', null, 'nor change them');
select tests.act_as_postgres();
select throws_ok($$ update audit.log set actor_role = 'x' $$, '42501', 'Cannot update the audit log: it is append-only', 'even the owner cannot change entries');
select throws_ok($$ truncate audit.log $$, '42501', 'Cannot truncate the audit log: it is append-only', 'nor truncate the log');
-- What audit.capture writes (the log's only writer) keeps the log's shape: one of four operations,
-- and the record id and row images each operation fills. (Checked here rather than by CHECK
-- constraints, which PostgreSQL would re-plan for every audited row; see 20261123140200.)
select is((select count(*)::int from audit.log where operation not in ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')), 0,
  'every entry records one of the four operations');
select is((select count(*)::int from audit.log where not case operation
    when 'INSERT' then old_record is null and new_record is not null and record_id is not null
    when 'UPDATE' then old_record is not null and new_record is not null and record_id is not null
    when 'DELETE' then old_record is not null and new_record is null and record_id is not null
    else old_record is null and new_record is null and record_id is null
  end), 0, 'and the record id and row images its operation fills, no more');

-- Retention
update public.organizations set audit_retention_days = 30 where id = (select a from ids);
select tests.freeze_time(now() + interval '31 days');
select ok(audit.purge_expired() > 0, 'the retention sweep removes entries past the organization''s retention');
select ok((select count(*) from audit.log where org_id = (select a from ids)) = 0
  and (select count(*) from audit.log where org_id = (select b from ids)) > 0,
  'none of that organization''s older entries remain, while the other organization keeps its own');

select * from finish();
rollback;
