-- The generator's policy forms: reads put the caller's organizations in an index condition (so
-- "all my organizations" reads only their rows) from one stored row per user and permission
-- (private.access_sets, whatever their number of organizations), writes probe the one row's
-- organization, and no permission helper is called unless a department tree must be walked.
begin;
select plan(20);

insert into public.permissions (key, module, description) values
  ('probe.forms.read', 'probe', 'Read probe rows'), ('probe.forms.write', 'probe', 'Write probe rows');
create table public.forms_probe (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id),
  department_id uuid,
  owner_id uuid,
  created_at timestamptz not null default now()
);
select private.create_scoped_policies('public.forms_probe', 'probe.forms.read', 'probe.forms.write', 'org_id', 'department_id', 'owner_id');
create index forms_probe_org_created_idx on public.forms_probe (org_id, created_at desc);
grant select, insert, update, delete on public.forms_probe to authenticated;

select tests.create_user(e) from unnest(array['boss@f.test', 'lead@f.test', 'sales@f.test', 'rep@f.test']) e;
create temp table ids as select tests.create_org('forms-a', tests.user_id('boss@f.test')) as a;
alter table ids add column sales uuid, add column field uuid, add column ops uuid, add column b uuid;
update ids set sales = tests.create_department(a, 'Sales'), ops = tests.create_department(a, 'Ops'),
  b = tests.create_org('forms-b', tests.user_id('boss@f.test'));
update ids set field = tests.create_department(a, 'Field', sales);
grant select on ids to authenticated;
insert into public.roles (org_id, key, name, rank) select a, k, k, 30 from ids, unnest(array['dept_writer', 'own_writer']) k;
insert into public.role_permissions (role_id, permission, scope)
select tests.role_id((select a from ids), r), p, 'department'::public.permission_scope from (values ('dept_writer', 'probe.forms.read'), ('dept_writer', 'probe.forms.write')) g (r, p)
union all
select tests.role_id((select a from ids), 'own_writer'), p, 'own' from unnest(array['probe.forms.read', 'probe.forms.write']) p;
-- lead@ leads both organizations with a custom role at org scope.
insert into public.roles (org_id, key, name, rank) select o, 'org_lead', 'Lead', 30 from ids, unnest(array[a, b]) o;
insert into public.role_permissions (role_id, permission, scope)
select tests.role_id(o, 'org_lead'), p, 'org' from ids, unnest(array[a, b]) o, unnest(array['probe.forms.read', 'probe.forms.write']) p;
select tests.add_member(o, tests.user_id('lead@f.test'), 'org_lead') from ids, unnest(array[a, b]) o;
select tests.add_member((select a from ids), tests.user_id('sales@f.test'), 'dept_writer', (select sales from ids));
select tests.add_member((select a from ids), tests.user_id('rep@f.test'), 'own_writer', (select ops from ids));
insert into public.forms_probe (org_id, department_id) select a, sales from ids;
insert into public.forms_probe (org_id, department_id) select b, null from ids;

select matches(
  (select qual from pg_policies where tablename = 'forms_probe' and cmd = 'SELECT' and permissive = 'PERMISSIVE'),
  '^\(\(org_id = ANY \(\( SELECT s\.org_ids\s+FROM private\.my_access_sets s',
  'reads: the caller''s organizations are one stored array, an index condition'
);
select matches(
  (select with_check from pg_policies where tablename = 'forms_probe' and cmd = 'INSERT' and permissive = 'PERMISSIVE'),
  '^\(EXISTS \( SELECT 1\s+FROM private\.my_access a\s+WHERE \(\(a\.org_id = forms_probe\.org_id\)',
  'writes: one probe of the row''s organization'
);
select is(
  (select count(*)::int from pg_policies where tablename = 'forms_probe'
   and coalesce(qual, '') || coalesce(with_check, '') ~ 'private\.(org_ids_with|has_permission|mfa_blocked_org_ids)'),
  0, 'no policy of the table calls a permission helper per statement');

create function pg_temp.plan_of(p_sql text) returns text language plpgsql as $fn$
declare
  v_plan text := '';
  v_line text;
begin
  for v_line in execute 'explain (costs off) ' || p_sql loop
    v_plan := v_plan || v_line || E'\n';
  end loop;
  return v_plan;
end
$fn$;
grant execute on function pg_temp.plan_of(text) to authenticated;
set local enable_seqscan = off;  -- a table this small would be scanned anyway; the question is whether it can be avoided
select tests.act_as('lead@f.test');
select matches(pg_temp.plan_of('select id from public.forms_probe order by created_at desc limit 50'),
  'Index Cond: \(org_id = ANY',
  '"all my organizations, newest 50" is an index scan on the organization, not a filter over the table');
select is((select count(*) from public.forms_probe)::int, 2, 'a lead of both organizations reads both rows');
select is((select cardinality(org_ids) from private.my_access_sets where permission = 'probe.forms.read'), 2,
  'their stored set holds both organizations');
select is((select partial_org_ids from private.my_access_sets where permission = 'probe.forms.read'), '{}'::uuid[],
  'and none below org scope');

select tests.act_as('sales@f.test');
select is((select partial_org_ids from private.my_access_sets where permission = 'probe.forms.read'), array[(select a from ids)],
  'a department-scoped reader''s organization is marked as partial');
select is((select count(*)::int from private.my_access_sets where permission = 'probe.forms.read'), 1,
  'and the view shows only their own set');
select is((select count(*) from public.forms_probe)::int, 1, 'and reads the rows of their department');
select lives_ok($$ insert into public.forms_probe (org_id, department_id) select a, field from ids $$,
  'writes in a department below theirs');
select throws_ok($$ insert into public.forms_probe (org_id, department_id) select a, ops from ids $$, '42501', null,
  'but not in another department');

select tests.act_as('rep@f.test');
select lives_ok($$ insert into public.forms_probe (org_id, owner_id) select a, tests.user_id('rep@f.test') from ids $$,
  'an own-scoped writer adds a row they own');
select is((select count(*) from public.forms_probe)::int, 1, 'and reads only that row');
select throws_ok($$ insert into public.forms_probe (org_id) select b from ids $$, '42501', null,
  'nobody writes into an organization they do not belong to');

-- The hand-written policies whose organization test stands alone take the same forms (20261123150000).
reset role;
select is(
  (select string_agg(schemaname || '.' || tablename || ': ' || policyname, '; ' order by 1)
   from pg_policies
   where permissive = 'PERMISSIVE'
     and ((schemaname, tablename) in (('public', 'bookings'), ('public', 'organizations'), ('compliance', 'settings'))
          or (schemaname, tablename, cmd) in (('audit', 'log', 'SELECT'), ('public', 'members', 'UPDATE'), ('public', 'members', 'DELETE'),
                                              ('compliance', 'certifications', 'INSERT'), ('compliance', 'certifications', 'UPDATE'),
                                              ('compliance', 'certifications', 'DELETE')))
     and coalesce(qual, '') || coalesce(with_check, '') ~ 'private\.(org_ids_with|member_org_ids|has_permission)'),
  null, 'bookings, organizations, compliance settings, the audit trail''s reads and the organization-scoped writes call no set helper');
select tests.act_as('boss@f.test');
set local enable_seqscan = off;
select matches(pg_temp.plan_of('select id from public.bookings'), 'Index Cond: \(org_id = ANY',
  'every booking of my organizations is an index scan on the organization');
select matches(pg_temp.plan_of('select id from audit.log'), 'Index Cond: \(org_id = ANY',
  'so is the audit trail of my organizations');
select matches(pg_temp.plan_of('select name from public.organizations'), 'Index Cond: \(id = ANY',
  'and my organizations');
select is((select count(*)::int from public.organizations where slug like 'forms-%'), 2,
  'whose owner reads both');

select * from finish();
rollback;
