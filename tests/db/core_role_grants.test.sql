-- Whoever grants a role holds every permission of that role, at least as far: rank alone is not
-- enough (legal and hr share a rank; only legal approves contracts).
begin;
select plan(12);

select tests.create_user(e) from unnest(array['own@rg.test', 'adm@rg.test', 'hr@rg.test', 'mem@rg.test', 'cus@rg.test']) e;
create temp table ids as select tests.create_org('rg-a', tests.user_id('own@rg.test')) as a;
grant select on ids to authenticated;
select tests.add_member((select a from ids), tests.user_id('adm@rg.test'), 'admin');
select tests.add_member((select a from ids), tests.user_id('hr@rg.test'), 'hr');
select tests.add_member((select a from ids), tests.user_id('mem@rg.test'), 'member');

select tests.act_as('hr@rg.test');
select throws_ok($$ select private.invite_member((select a from ids), 'approver@rg.test', tests.role_id((select a from ids), 'legal'), null, repeat('t', 43), 'https://app.test/accept') $$,
  '42501', 'Cannot invite: role legal holds permissions you do not hold yourself: compliance.contracts.approve (org), compliance.contracts.delete (org), compliance.contracts.read (org), compliance.contracts.write (org), core.documents.write (org)',
  'HR (rank 65) cannot invite someone as legal (rank 65): legal approves contracts, HR does not');
select lives_ok($$ select private.invite_member((select a from ids), 'newbie@rg.test', tests.role_id((select a from ids), 'member'), null, repeat('u', 43), 'https://app.test/accept') $$,
  'HR invites a member, whose every permission HR holds');
select lives_ok($$ select private.invite_member((select a from ids), 'watcher@rg.test', tests.role_id((select a from ids), 'viewer'), null, repeat('v', 43), 'https://app.test/accept') $$,
  'and a viewer');

-- Changing a role follows the same rule, through the RPC and through a direct update alike.
select tests.act_as('adm@rg.test');
select lives_ok($$ select public.change_member_role(tests.member_id((select a from ids), tests.user_id('mem@rg.test')), tests.role_id((select a from ids), 'legal')) $$,
  'an admin, who holds all of legal''s permissions, makes a member legal');

-- A custom role carrying a permission the admin lacks (core.org.delete), made by the owner.
select tests.act_as('own@rg.test');
insert into public.roles (org_id, key, name, rank) values ((select a from ids), 'closer', 'Closer', 50);
insert into public.role_permissions (role_id, permission, scope) values (tests.role_id((select a from ids), 'closer'), 'core.org.delete', 'org');
select tests.add_member((select a from ids), tests.user_id('cus@rg.test'), 'viewer');

select tests.act_as('adm@rg.test');
select throws_ok($$ select public.change_member_role(tests.member_id((select a from ids), tests.user_id('cus@rg.test')), tests.role_id((select a from ids), 'closer')) $$,
  '42501', 'Cannot assign a role: role closer holds permissions you do not hold yourself: core.org.delete (org)',
  'an admin cannot give a lower-ranked role that can delete the organization');
select throws_ok($$ update public.members set role_id = tests.role_id((select a from ids), 'closer') where user_id = tests.user_id('cus@rg.test') $$,
  '42501', null, 'nor by updating the membership directly');
select throws_ok($$ select private.invite_member((select a from ids), 'closer@rg.test', tests.role_id((select a from ids), 'closer'), null, repeat('w', 43), 'https://app.test/accept') $$,
  '42501', null, 'nor invite someone with it');

select tests.act_as('own@rg.test');
select lives_ok($$ select public.change_member_role(tests.member_id((select a from ids), tests.user_id('cus@rg.test')), tests.role_id((select a from ids), 'closer')) $$,
  'the owner, who holds core.org.delete, may');

-- Resending an invitation re-checks the rule: an inviter who lost a permission cannot resend it.
select tests.act_as('adm@rg.test');
select private.invite_member((select a from ids), 'later@rg.test', tests.role_id((select a from ids), 'legal'), null, repeat('x', 43), 'https://app.test/accept');
select tests.act_as_postgres();
update public.members set role_id = tests.role_id((select a from ids), 'hr') where user_id = tests.user_id('adm@rg.test');
select tests.act_as('adm@rg.test');
select throws_ok($$ select private.resend_invitation((select id from public.invitations where email = 'later@rg.test'), repeat('y', 43), 'https://app.test/accept') $$,
  '42501', null, 'resending re-checks that the inviter may still grant the role');

-- Renaming a role answers about what was asked, not a rank that did not change.
select tests.act_as('own@rg.test');
select lives_ok($$ update public.roles set name = 'Proprietor' where org_id = (select a from ids) and key = 'owner' $$, 'the owner renames the owner role');
select tests.act_as('adm@rg.test');
select tests.act_as_postgres();
update public.members set role_id = tests.role_id((select a from ids), 'admin') where user_id = tests.user_id('adm@rg.test');
select tests.act_as('adm@rg.test');
select throws_ok($$ update public.roles set name = 'Boss' where org_id = (select a from ids) and key = 'owner' $$,
  '42501', 'Cannot change role owner: it ranks above your own (80)', 'an admin renaming the owner role hears that the role ranks above theirs');

select tests.act_as('hr@rg.test');
select ok(cardinality(private.role_permissions_beyond_caller((select a from ids), tests.role_id((select a from ids), 'manager'))) > 0,
  'role_permissions_beyond_caller names what a role holds beyond the caller (HR lacks a manager''s department scopes)');

select * from finish();
rollback;
