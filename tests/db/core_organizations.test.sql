-- Organizations: creation makes the creator owner, input is validated, only the right roles change them.
begin;
select plan(21);

create temp table system_role_count as select count(*)::int as n from private.system_roles;
grant select on system_role_count to authenticated;
select tests.create_user('olga@acme.test');
select tests.create_user('adele@acme.test');
select tests.create_user('milo@acme.test');
select tests.create_user('xavier@other.test');

select tests.act_as('olga@acme.test');
select lives_ok($$ select public.create_organization('  Acme Corp ', 'Acme-Test') $$, 'a signed-in user creates an organization');
select is((select name || '/' || slug from public.organizations), 'Acme Corp/acme-test', 'name is trimmed and the slug lowercased');
select is((select r.key from public.members m join public.roles r on r.id = m.role_id where m.user_id = tests.user_id('olga@acme.test')),
  'owner', 'the creator is the owner, in the same transaction');
select is((select count(*)::int from public.roles where is_system), (select n from system_role_count), 'every system role is installed');
select is((select count(*)::int from public.role_permissions rp join public.roles r on r.id = rp.role_id where r.key = 'owner' and rp.permission like 'core.%'),
  (select count(*)::int from public.permissions where module = 'core'), 'the owner holds every core permission');

select throws_ok($$ select public.create_organization('Bad', 'no') $$, '23514', null, 'a slug of two characters is refused');
select throws_ok($$ select public.create_organization('Bad', 'bad_slug') $$, '23514', null, 'a slug with an underscore is refused');
select throws_ok($$ select public.create_organization('Bad', '-acme-') $$, '23514', null, 'a slug starting with a hyphen is refused');
select throws_ok($$ select public.create_organization('Bad', 'a--b') $$, '23514', null, 'a slug with a double hyphen is refused');
select throws_ok($$ select public.create_organization('   ', 'blank-name') $$, '23514', null, 'a blank name is refused');
select throws_ok($$ select public.create_organization('Acme Again', 'acme-test') $$, '23505', null, 'a taken slug is refused');
select throws_ok($$ insert into public.organizations (name, slug, created_by) values ('Spoof', 'spoof', tests.user_id('adele@acme.test')) $$,
  '42501', null, 'nobody creates an organization in someone else''s name');
select throws_ok($$ update public.organizations set created_by = tests.user_id('adele@acme.test') $$,
  '42501', null, 'created_by cannot be changed (column grant)');

select tests.act_as_postgres();
select tests.add_member((select id from public.organizations where slug = 'acme-test'), tests.user_id('adele@acme.test'), 'admin');
select tests.add_member((select id from public.organizations where slug = 'acme-test'), tests.user_id('milo@acme.test'), 'member');

select tests.act_as('adele@acme.test');
update public.organizations set require_mfa = true, audit_retention_days = 90 where slug = 'acme-test';
select is((select audit_retention_days from public.organizations where slug = 'acme-test'), 90, 'an admin changes the settings');
select tests.act_as('adele@acme.test', 'aal2');
select throws_ok($$ update public.organizations set audit_retention_days = 7 where slug = 'acme-test' $$, '23514', null,
  'a retention under 30 days is refused');
delete from public.organizations where slug = 'acme-test';
select tests.act_as_postgres();
select is((select count(*)::int from public.organizations where slug = 'acme-test'), 1, 'an admin cannot delete the organization (owner only)');

select tests.act_as('milo@acme.test');
update public.organizations set name = 'Hacked' where slug = 'acme-test';
select tests.act_as('xavier@other.test');
update public.organizations set name = 'Hacked' where slug = 'acme-test';
select is(tests.visible('public.organizations'), 0::bigint, 'an outsider sees no organization');
select tests.act_as_postgres();
select is((select name from public.organizations where slug = 'acme-test'), 'Acme Corp', 'a member and an outsider change nothing');

-- The organization requires MFA now: the owner must step up to delete it.
select tests.act_as('olga@acme.test');
delete from public.organizations where slug = 'acme-test';
select tests.act_as_postgres();
select is((select count(*)::int from public.organizations where slug = 'acme-test'), 1, 'the owner cannot delete it without MFA (aal1)');
select tests.act_as('olga@acme.test', 'aal2');
delete from public.organizations where slug = 'acme-test';
select tests.act_as_postgres();
select is((select count(*)::int from public.organizations where slug = 'acme-test'), 0, 'the owner deletes it with MFA (aal2)');
select is((select count(*)::int from public.members m where not exists (select 1 from public.organizations o where o.id = m.org_id)), 0,
  'its members, roles and departments go with it');

select * from finish();
rollback;
