-- Members: role and department changes, ranks, suspension, removal, the last owner, ownership transfer.
begin;
select plan(35);

select tests.create_user(e) from unnest(array['owen@a.test', 'ada@a.test', 'mia@a.test', 'max@a.test', 'val@a.test', 'sam@a.test',
  'xena@b.test']) e;
select tests.create_org('org-a', tests.user_id('owen@a.test'));
select tests.create_org('org-b', tests.user_id('xena@b.test'));
create temp table ids as select
  (select id from public.organizations where slug = 'org-a') as a,
  (select id from public.organizations where slug = 'org-b') as b;
grant select on ids to authenticated;
select tests.add_member((select a from ids), tests.user_id('ada@a.test'), 'admin');
select tests.add_member((select a from ids), tests.user_id('mia@a.test'), 'manager');
select tests.add_member((select a from ids), tests.user_id('max@a.test'), 'member');
select tests.add_member((select a from ids), tests.user_id('val@a.test'), 'viewer');
select tests.add_member((select a from ids), tests.user_id('sam@a.test'), 'member');
alter table ids add column sales_a uuid, add column sales_b uuid;
update ids set sales_a = tests.create_department(a, 'Sales'), sales_b = tests.create_department(b, 'B Sales');

-- Reading
select tests.act_as('max@a.test');
select is(tests.visible('public.members'), 6::bigint, 'a member sees every member of the organization');
select tests.act_as('xena@b.test');
select is(tests.visible('public.members'), 1::bigint, 'a member of another organization sees only their own');

-- Changing roles (admin)
select tests.act_as('ada@a.test');
select lives_ok($$ select public.change_member_role(tests.member_id((select a from ids), tests.user_id('max@a.test')), tests.role_id((select a from ids), 'manager')) $$,
  'an admin promotes a member to manager');
select is((select r.key from public.members m join public.roles r on r.id = m.role_id where m.user_id = tests.user_id('max@a.test')), 'manager',
  'the role changed');
select throws_ok($$ select public.change_member_role(tests.member_id((select a from ids), tests.user_id('max@a.test')), tests.role_id((select a from ids), 'owner')) $$,
  '42501', 'Cannot assign a role ranked above your own', 'an admin cannot make anyone owner');
select throws_ok($$ select public.change_member_role(tests.member_id((select a from ids), tests.user_id('ada@a.test')), tests.role_id((select a from ids), 'owner')) $$,
  '42501', 'Cannot assign a role ranked above your own', 'an admin cannot make themself owner');
select throws_ok($$ select public.change_member_role(tests.member_id((select a from ids), tests.user_id('owen@a.test')), tests.role_id((select a from ids), 'viewer')) $$,
  '42501', 'Cannot change a member whose role ranks above your own', 'an admin cannot demote the owner');
select throws_ok($$ select public.change_member_role(tests.member_id((select a from ids), tests.user_id('max@a.test')), tests.role_id((select b from ids), 'viewer')) $$,
  '22023', null, 'a role of another organization is refused');
select throws_ok($$ update public.members set role_id = tests.role_id((select b from ids), 'viewer') where user_id = tests.user_id('max@a.test') $$,
  '23503', null, 'the composite key refuses another organization''s role even in a direct update');
select throws_ok($$ select public.change_member_department(tests.member_id((select a from ids), tests.user_id('max@a.test')), (select sales_b from ids)) $$,
  '22023', null, 'a department of another organization is refused');
select lives_ok($$ select public.change_member_department(tests.member_id((select a from ids), tests.user_id('max@a.test')), (select sales_a from ids)) $$,
  'an admin moves a member to a department');
select throws_ok($$ select public.change_member_role(tests.member_id((select b from ids), tests.user_id('xena@b.test')), tests.role_id((select b from ids), 'viewer')) $$,
  'P0002', null, 'a member of another organization is not found');
select throws_ok($$ update public.members set user_id = tests.user_id('val@a.test') where user_id = tests.user_id('sam@a.test') $$,
  '42501', null, 'a membership cannot be handed to another user (column grant)');

-- Without core.members.manage
select tests.act_as('mia@a.test');
select throws_ok($$ select public.suspend_member(tests.member_id((select a from ids), tests.user_id('sam@a.test'))) $$,
  '42501', null, 'a manager cannot suspend');
select throws_ok($$ select public.change_member_role(tests.member_id((select a from ids), tests.user_id('mia@a.test')), tests.role_id((select a from ids), 'admin')) $$,
  '42501', null, 'a manager cannot promote themself');
update public.members set role_id = tests.role_id((select a from ids), 'admin') where user_id = tests.user_id('mia@a.test');
select tests.act_as_postgres();
select is((select r.key from public.members m join public.roles r on r.id = m.role_id where m.user_id = tests.user_id('mia@a.test')), 'manager',
  'a direct update without the permission changes nothing');

-- Suspension: access is gone at the next request
select tests.act_as('ada@a.test');
select lives_ok($$ select public.suspend_member(tests.member_id((select a from ids), tests.user_id('sam@a.test'))) $$, 'an admin suspends a member');
select tests.act_as_postgres();
select isnt((select suspended_at from public.members where user_id = tests.user_id('sam@a.test')), null, 'suspended_at is set');
select tests.act_as('sam@a.test');
select is(tests.visible('public.members'), 1::bigint, 'a suspended member sees only their own membership');
select is(tests.visible('public.departments'), 0::bigint, 'and none of the organization''s data');
select is(tests.visible('public.organizations'), 0::bigint, 'nor the organization');
select tests.act_as('ada@a.test');
select lives_ok($$ select public.reactivate_member(tests.member_id((select a from ids), tests.user_id('sam@a.test'))) $$, 'an admin reactivates them');
select tests.act_as('sam@a.test');
select is(tests.visible('public.departments'), 1::bigint, 'a reactivated member reads again');

-- The last owner
select tests.act_as('owen@a.test');
select throws_ok($$ select public.suspend_member(tests.member_id((select a from ids), tests.user_id('owen@a.test'))) $$,
  '42501', 'Cannot suspend the last owner of the organization: make someone else owner first', 'the last owner cannot be suspended');
select throws_ok($$ select public.change_member_role(tests.member_id((select a from ids), tests.user_id('owen@a.test')), tests.role_id((select a from ids), 'admin')) $$,
  '42501', 'Cannot demote the last owner of the organization: make someone else owner first', 'nor demoted');
select throws_ok($$ select public.remove_member(tests.member_id((select a from ids), tests.user_id('owen@a.test'))) $$,
  '42501', 'Cannot remove the last owner of the organization: make someone else owner first', 'nor leave');
select tests.act_as_postgres();
select throws_ok($$ delete from auth.users where email = 'owen@a.test' $$, 'GW409', null,
  'deleting the last owner''s account is refused until ownership moves (409: make someone else owner first)');

-- Transfer
select tests.act_as('ada@a.test');
select throws_ok($$ select public.transfer_ownership((select a from ids), tests.member_id((select a from ids), tests.user_id('ada@a.test'))) $$,
  '42501', null, 'only an owner transfers ownership');
select tests.act_as('owen@a.test');
select throws_ok($$ select public.transfer_ownership((select a from ids), tests.member_id((select b from ids), tests.user_id('xena@b.test'))) $$,
  'P0002', null, 'ownership cannot go to a member of another organization');
select lives_ok($$ select public.transfer_ownership((select a from ids), tests.member_id((select a from ids), tests.user_id('ada@a.test'))) $$,
  'the owner transfers ownership to the admin');
select tests.act_as_postgres();
select is((select string_agg(r.key, ',' order by r.key) from public.members m join public.roles r on r.id = m.role_id
  where m.user_id in (tests.user_id('owen@a.test'), tests.user_id('ada@a.test'))), 'admin,owner', 'roles swapped atomically');

-- Removing and leaving
select tests.act_as('ada@a.test');
select lives_ok($$ select public.remove_member(tests.member_id((select a from ids), tests.user_id('val@a.test'))) $$, 'an owner removes a viewer');
select tests.act_as('max@a.test');
select lives_ok($$ select public.remove_member(tests.member_id((select a from ids), tests.user_id('max@a.test'))) $$, 'a member leaves');
select tests.act_as('sam@a.test');
select throws_ok($$ select public.remove_member(tests.member_id((select a from ids), tests.user_id('mia@a.test'))) $$,
  '42501', null, 'a member cannot remove someone else');
select tests.act_as_postgres();
select is((select count(*)::int from public.members where org_id = (select a from ids)), 4, 'exactly the removed and the leaver are gone');

select * from finish();
rollback;
