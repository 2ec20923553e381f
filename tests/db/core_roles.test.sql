-- Roles: custom roles by rank, fixed system roles, no grant wider than the granter's own.
begin;
select plan(15);

create temp table system_role_count as select count(*)::int as n from private.system_roles;
grant select on system_role_count to authenticated;
select tests.create_user(e) from unnest(array['o@r.test', 'a@r.test', 'm@r.test', 'x@other.test']) e;
create temp table ids as select tests.create_org('roles-a', tests.user_id('o@r.test')) as a, tests.create_org('roles-b', tests.user_id('x@other.test')) as b;
grant select on ids to authenticated;
select tests.add_member((select a from ids), tests.user_id('a@r.test'), 'admin');
select tests.add_member((select a from ids), tests.user_id('m@r.test'), 'member');

select tests.act_as('a@r.test');
select lives_ok($$ insert into public.roles (org_id, key, name, rank) values ((select a from ids), 'auditor', 'Auditor', 50) $$,
  'an admin creates a custom role below their rank');
select throws_ok($$ insert into public.roles (org_id, key, name, rank) values ((select a from ids), 'boss', 'Boss', 90) $$,
  '42501', 'Cannot give role boss rank 90: it is above your own (80)', 'nobody creates a role ranked above their own');
select throws_ok($$ update public.roles set rank = 95 where key = 'auditor' $$, '42501', null, 'nor raises one above their own');
select throws_ok($$ insert into public.roles (org_id, key, name, rank, is_system) values ((select a from ids), 'fake', 'Fake', 10, true) $$,
  '42501', null, 'is_system cannot be set through the API (column grant)');
select throws_ok($$ insert into public.roles (org_id, key, name, rank) values ((select a from ids), 'Bad Key', 'Bad', 10) $$,
  '23514', null, 'a role key must be lowercase letters, digits and underscores');
select throws_ok($$ insert into public.roles (org_id, key, name, rank) values ((select b from ids), 'spy', 'Spy', 10) $$,
  '42501', null, 'nobody creates a role in another organization');
select throws_ok($$ delete from public.roles where key = 'viewer' $$, '42501', 'Cannot delete the system role viewer: system roles are fixed',
  'system roles cannot be deleted');
select throws_ok($$ update public.roles set rank = 10 where key = 'viewer' $$, '42501', null, 'nor re-ranked');
select lives_ok($$ update public.roles set name = 'Reader' where key = 'viewer' $$, 'a system role can be renamed');

select lives_ok($$ insert into public.role_permissions (role_id, permission, scope)
  values ((select id from public.roles where key = 'auditor'), 'core.audit.read', 'org') $$,
  'an admin grants a permission they hold to a custom role');
select is((select org_id from public.role_permissions where permission = 'core.audit.read' and role_id = (select id from public.roles where key = 'auditor')),
  (select a from ids), 'the grant takes its organization from the role');
select throws_ok($$ insert into public.role_permissions (role_id, permission, scope)
  values ((select id from public.roles where key = 'auditor'), 'core.org.delete', 'org') $$,
  '42501', 'Cannot grant core.org.delete at scope org: you do not hold it that far yourself', 'nobody grants what they do not hold');
select throws_ok($$ insert into public.role_permissions (role_id, permission, scope)
  values ((select id from public.roles where key = 'member'), 'core.audit.read', 'org') $$,
  '42501', null, 'the grants of system roles are fixed');

select tests.act_as('m@r.test');
select throws_ok($$ insert into public.roles (org_id, key, name, rank) values ((select a from ids), 'mine', 'Mine', 10) $$,
  '42501', null, 'a member cannot create roles');
select tests.act_as_postgres();
select is((select count(*)::int from public.roles where org_id = (select a from ids)), (select n + 1 from system_role_count), 'the system roles and one custom role');

select * from finish();
rollback;
