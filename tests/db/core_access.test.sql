-- private.access (the materialized effective permissions) always equals its definition:
-- active members × their role's grants, plus one membership row each, with the MFA flag; and
-- private.access_sets (what generated policies read) always equals private.access aggregated.
begin;
select plan(20);

create function pg_temp.drift() returns bigint language sql as $$
  with expected as (
    select m.user_id, m.org_id, g.permission, g.scope, o.require_mfa as requires_mfa
    from public.members m
    join public.organizations o on o.id = m.org_id
    cross join lateral (
      select 'membership' as permission, 'org'::public.permission_scope as scope
      union all select rp.permission, rp.scope from public.role_permissions rp where rp.role_id = m.role_id
    ) g
    where m.status = 'active'
  ), actual as (select user_id, org_id, permission, scope, requires_mfa from private.access)
  select count(*) from ((select * from expected except select * from actual) union all (select * from actual except select * from expected)) d
$$;

create function pg_temp.set_drift() returns bigint language sql as $$
  with expected as (
    select a.user_id, a.permission, array_agg(a.org_id order by a.org_id) as org_ids,
      coalesce(array_agg(a.org_id order by a.org_id) filter (where a.scope <> 'org'), '{}') as partial_org_ids,
      coalesce(array_agg(a.org_id order by a.org_id) filter (where a.permission = 'membership' and a.requires_mfa), '{}') as mfa_org_ids
    from private.access a group by a.user_id, a.permission
  ), actual as (
    select s.user_id, s.permission, s.org_ids, s.partial_org_ids, s.mfa_org_ids from private.access_sets s where s.org_ids <> '{}'
  )
  select count(*) from ((select * from expected except select * from actual) union all (select * from actual except select * from expected)) d
$$;

select tests.create_user(e) from unnest(array['o@ac.test', 'a@ac.test', 'm@ac.test']) e;
create temp table ids as select tests.create_org('access-a', tests.user_id('o@ac.test')) as a;
select tests.add_member((select a from ids), tests.user_id('a@ac.test'), 'admin');
select tests.add_member((select a from ids), tests.user_id('m@ac.test'), 'member');
select is(pg_temp.drift() + pg_temp.set_drift(), 0::bigint, 'after creating an organization and adding members');

update public.members set role_id = tests.role_id((select a from ids), 'viewer') where user_id = tests.user_id('m@ac.test');
select is(pg_temp.drift() + pg_temp.set_drift(), 0::bigint, 'after a role change');
update public.members set status = 'suspended', suspended_at = now() where user_id = tests.user_id('m@ac.test');
select is(pg_temp.drift() + pg_temp.set_drift(), 0::bigint, 'after a suspension');
select is((select count(*)::int from private.access where user_id = tests.user_id('m@ac.test')), 0, 'a suspended member has no access rows');
update public.members set status = 'active', suspended_at = null where user_id = tests.user_id('m@ac.test');
select is(pg_temp.drift() + pg_temp.set_drift(), 0::bigint, 'after a reactivation');

insert into public.roles (org_id, key, name, rank) values ((select a from ids), 'auditor', 'Auditor', 30);
update public.members set role_id = tests.role_id((select a from ids), 'auditor') where user_id = tests.user_id('m@ac.test');
insert into public.role_permissions (role_id, permission, scope)
  values (tests.role_id((select a from ids), 'auditor'), 'core.audit.read', 'department'), (tests.role_id((select a from ids), 'auditor'), 'core.members.read', 'org');
select is(pg_temp.drift() + pg_temp.set_drift(), 0::bigint, 'after granting permissions to a role in use');
update public.role_permissions set scope = 'org' where role_id = tests.role_id((select a from ids), 'auditor') and permission = 'core.audit.read';
select is(pg_temp.drift() + pg_temp.set_drift(), 0::bigint, 'after rescoping a grant');
delete from public.role_permissions where role_id = tests.role_id((select a from ids), 'auditor') and permission = 'core.members.read';
select is(pg_temp.drift() + pg_temp.set_drift(), 0::bigint, 'after withdrawing a grant');

-- Only the difference is written: a change rewrites the sets of the permissions it reaches, nothing
-- else (a row's ctid moves when it is rewritten, even within one transaction).
create function pg_temp.rows_of(p_user uuid) returns table (k text, c tid) language sql as $$
  select 'access ' || a.permission || ' ' || a.org_id, a.ctid from private.access a where a.user_id = p_user
  union all select 'sets ' || s.permission, s.ctid from private.access_sets s where s.user_id = p_user
$$;
create temp table seen (k text, c tid);
create function pg_temp.rewritten() returns text[] language plpgsql as $$
declare
  v_out text[];
begin
  select coalesce(array_agg(b.k order by b.k), '{}') into v_out from seen b
  where not exists (select 1 from pg_temp.rows_of(tests.user_id('m@ac.test')) n where n.k = b.k and n.c = b.c);
  delete from seen;
  insert into seen select * from pg_temp.rows_of(tests.user_id('m@ac.test'));
  return v_out;
end
$$;
select pg_temp.rewritten();
update public.members set status = 'active' where user_id = tests.user_id('m@ac.test');
select is(pg_temp.rewritten(), '{}'::text[], 'an update that changes nothing in a membership rewrites none of its access rows or sets');
insert into public.role_permissions (role_id, permission, scope) values (tests.role_id((select a from ids), 'auditor'), 'core.members.read', 'org');
select is(pg_temp.rewritten(), array['sets core.members.read'],
  'granting a permission to the role rewrites the member''s set of that permission only');
create temp table differ as
  select coalesce(x.permission, y.permission) as permission
  from (select permission, scope from public.role_permissions where role_id = tests.role_id((select a from ids), 'auditor')) x
  full join (select permission, scope from public.role_permissions where role_id = tests.role_id((select a from ids), 'viewer')) y
    on x.permission = y.permission
  where x.scope is distinct from y.scope;
update public.members set role_id = tests.role_id((select a from ids), 'viewer') where user_id = tests.user_id('m@ac.test');
select is(pg_temp.rewritten(), array(
    select k from (
      select 'sets ' || d.permission as k from differ d
      union all
      -- the auditor's rows the viewer role does not grant alike are gone (the viewer's new ones were not seen before)
      select 'access ' || d.permission || ' ' || (select a from ids) from differ d
      where exists (select 1 from public.role_permissions rp where rp.role_id = tests.role_id((select a from ids), 'auditor') and rp.permission = d.permission)
    ) e order by k),
  'a role change rewrites the access rows and sets of the permissions the two roles grant differently, and no others');
select ok((select count(*) from differ) < (select count(*) from seen where k like 'sets %'), 'and the roles share grants, so some sets were left alone');
update public.members set role_id = tests.role_id((select a from ids), 'auditor') where user_id = tests.user_id('m@ac.test');
select is(pg_temp.drift() + pg_temp.set_drift(), 0::bigint, 'after those changes and a change back');
update public.organizations set require_mfa = true where id = (select a from ids);
select is(pg_temp.drift() + pg_temp.set_drift(), 0::bigint, 'after the organization starts requiring MFA');
insert into private.system_role_grants values ('viewer', 'core.audit.read', 'own');
select private.install_system_roles(id) from public.organizations;
select is(pg_temp.drift() + pg_temp.set_drift(), 0::bigint, 'after a module changes the system role templates for every organization');
delete from public.members where user_id = tests.user_id('a@ac.test');
select is(pg_temp.drift() + pg_temp.set_drift(), 0::bigint, 'after removing a member');
delete from public.organizations where id = (select a from ids);
select is((select count(*)::int from private.access where org_id = (select a from ids)), 0, 'deleting the organization leaves no access rows');
select is(pg_temp.set_drift(), 0::bigint, 'and no stored set names it');
select is((select org_ids from private.access_sets where user_id = tests.user_id('m@ac.test') and permission = 'membership'), '{}'::uuid[],
  'a user left without organizations keeps an empty set');
create temp table gone as select tests.user_id('m@ac.test') as id;
delete from auth.users where id = (select id from gone);
select is((select count(*)::int from private.access_sets where user_id = (select id from gone)), 0, 'a deleted user''s sets go with them');

select * from finish();
rollback;
