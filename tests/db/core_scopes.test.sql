-- The policy shape modules reuse (private.create_scoped_policies): org, department (with
-- sub-departments) and own scopes, the MFA restriction, and helpers that run once per statement.
begin;
select plan(18);

insert into public.permissions (key, module, description) values
  ('probe.items.read', 'probe', 'Read probe items'), ('probe.items.write', 'probe', 'Write probe items');
create table public.scope_probe (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id),
  department_id uuid,
  owner_id uuid,
  title text not null
);
select private.create_scoped_policies('public.scope_probe', 'probe.items.read', 'probe.items.write', 'org_id', 'department_id', 'owner_id');
grant select, insert, update, delete on public.scope_probe to authenticated;

select tests.create_user(e) from unnest(array['own@s.test', 'orgwide@s.test', 'dept@s.test', 'mine@s.test', 'none@s.test']) e;
create temp table ids as select tests.create_org('scopes', tests.user_id('own@s.test')) as org;
alter table ids add column sales uuid, add column field uuid, add column ops uuid;
update ids set sales = tests.create_department(org, 'Sales');
update ids set field = tests.create_department(org, 'Field Sales', sales), ops = tests.create_department(org, 'Ops');
grant select on ids to authenticated;

-- Custom roles at each scope.
insert into public.roles (org_id, key, name, rank) select org, k, k, 30 from ids, unnest(array['org_reader', 'dept_writer', 'own_writer']) k;
insert into public.role_permissions (role_id, permission, scope)
select tests.role_id((select org from ids), r), p, s::public.permission_scope from (values
  ('org_reader', 'probe.items.read', 'org'),
  ('dept_writer', 'probe.items.read', 'department'), ('dept_writer', 'probe.items.write', 'department'),
  ('own_writer', 'probe.items.read', 'own'), ('own_writer', 'probe.items.write', 'own')) g (r, p, s);
select tests.add_member((select org from ids), tests.user_id('orgwide@s.test'), 'org_reader');
select tests.add_member((select org from ids), tests.user_id('dept@s.test'), 'dept_writer', (select sales from ids));
select tests.add_member((select org from ids), tests.user_id('mine@s.test'), 'own_writer', (select ops from ids));
select tests.add_member((select org from ids), tests.user_id('none@s.test'), 'viewer');

insert into public.scope_probe (org_id, department_id, owner_id, title) select org, sales, null, 'sales' from ids;
insert into public.scope_probe (org_id, department_id, owner_id, title) select org, field, null, 'field' from ids;
insert into public.scope_probe (org_id, department_id, owner_id, title) select org, ops, null, 'ops' from ids;
insert into public.scope_probe (org_id, department_id, owner_id, title) select org, ops, tests.user_id('mine@s.test'), 'mine' from ids;

select tests.act_as('orgwide@s.test');
select is(tests.visible('public.scope_probe'), 4::bigint, 'org scope reads every row of the organization');
select tests.act_as('dept@s.test');
select is((select string_agg(title, ',' order by title) from public.scope_probe), 'field,sales',
  'department scope reads its department and the sub-departments');
select lives_ok($$ insert into public.scope_probe (org_id, department_id, title) select org, field, 'new' from ids $$,
  'department scope writes in a sub-department');
select throws_ok($$ insert into public.scope_probe (org_id, department_id, title) select org, ops, 'spy' from ids $$,
  '42501', null, 'but not in another department');
select tests.act_as('mine@s.test');
select is((select string_agg(title, ',') from public.scope_probe), 'mine', 'own scope reads only the rows it owns');
update public.scope_probe set title = 'changed';
select tests.act_as_postgres();
select is((select count(*)::int from public.scope_probe where title = 'changed'), 1, 'and changes only those');
select tests.act_as('none@s.test');
select is(tests.visible('public.scope_probe'), 0::bigint, 'a role without the permission reads nothing');

-- Suspension and MFA apply at once.
select tests.act_as_postgres();
update public.members set status = 'suspended', suspended_at = now() where user_id = tests.user_id('orgwide@s.test');
select tests.act_as('orgwide@s.test');
select is(tests.visible('public.scope_probe'), 0::bigint, 'a suspended member reads nothing at their next statement');
select tests.act_as_postgres();
update public.members set status = 'active', suspended_at = null where user_id = tests.user_id('orgwide@s.test');
update public.organizations set require_mfa = true where id = (select org from ids);
select tests.act_as('orgwide@s.test', 'aal1');
select is(tests.visible('public.scope_probe'), 0::bigint, 'an organization requiring MFA hides its rows from aal1 sessions');
select tests.act_as('orgwide@s.test', 'aal2');
select is(tests.visible('public.scope_probe'), 5::bigint, 'and shows them after MFA (aal2), the row added above included');
select tests.act_as('dept@s.test', 'aal1');
select throws_ok($$ insert into public.scope_probe (org_id, department_id, title) select org, sales, 'x' from ids $$,
  '42501', null, 'and refuses writes from aal1 sessions');

-- Every column the policies read is indexed.
select tests.act_as_postgres();
select is((select count(*)::int from pg_indexes where tablename = 'scope_probe' and indexname like '%_policy_idx'), 3,
  'the generator indexes the org, department and owner columns');
select is((select count(*)::int from pg_policies where tablename = 'scope_probe' and permissive = 'PERMISSIVE'), 4,
  'one permissive policy per operation');
select throws_ok($$ select private.create_scoped_policies('public.scope_probe', 'probe.nothing.read', 'probe.items.write') $$,
  'P0001', null, 'unknown permissions are refused');

-- The helpers run once per statement, never per row: every subplan executes at most once.
create function pg_temp.subplan_loops(p_sql text) returns int[] language plpgsql as $fn$
declare
  v_plan json;
  v_loops int[];
begin
  execute 'explain (analyze, format json) ' || p_sql into v_plan;
  with recursive nodes (n) as (
    select v_plan -> 0 -> 'Plan'
    union all
    select c from nodes, json_array_elements(coalesce(n -> 'Plans', '[]'::json)) c
  )
  select array_agg((n ->> 'Actual Loops')::int) into v_loops from nodes
  where n ->> 'Parent Relationship' in ('InitPlan', 'SubPlan');
  return v_loops;
end
$fn$;
grant execute on function pg_temp.subplan_loops(text) to authenticated;
select tests.act_as('dept@s.test', 'aal2');
select ok(cardinality(pg_temp.subplan_loops('select * from public.scope_probe')) >= 2, 'the policies'' helpers are subplans of the statement');
select ok(1 >= all (pg_temp.subplan_loops('select * from public.scope_probe')), 'each runs at most once per statement, never per row');

-- private.reaches, the per-row twin of the policy shape, is never null (a null would skip a raise).
select tests.act_as('mine@s.test');
select is(private.reaches((select org from ids), 'probe.items.write', null, null), false, 'an unknown owner (null) does not count as own');
select is(private.reaches((select org from ids), 'probe.items.write', null, true), true, 'own scope reaches the rows one owns');

select * from finish();
rollback;
