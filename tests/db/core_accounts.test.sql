-- Accounts: an admin corrects a member's name and department; a user deletes their account, a
-- last owner hears to hand over first (409), and erasure keeps the audit trail under a tombstone.
begin;
select plan(17);

select tests.create_user(e) from unnest(array['own@acc.test', 'adm@acc.test', 'mem@acc.test', 'bye@acc.test']) e;
create temp table ids as select tests.create_org('acc-a', tests.user_id('own@acc.test')) as a;
alter table ids add column ops uuid;
update ids set ops = tests.create_department(a, 'Ops');
grant select on ids to authenticated;
select tests.add_member((select a from ids), tests.user_id('adm@acc.test'), 'admin');
select tests.add_member((select a from ids), tests.user_id('mem@acc.test'), 'member');
select tests.add_member((select a from ids), tests.user_id('bye@acc.test'), 'member');

-- An admin corrects a member's profile
select tests.act_as('adm@acc.test');
select lives_ok($$ select public.update_member_profile(tests.member_id((select a from ids), tests.user_id('mem@acc.test')), 'Mark M. Member', (select ops from ids)) $$,
  'an admin renames a member and moves them to a department');
select tests.act_as_postgres();
select is((select display_name from public.profiles where id = tests.user_id('mem@acc.test')), 'Mark M. Member', 'the profile carries the new name');
select is((select department_id from public.members where user_id = tests.user_id('mem@acc.test')), (select ops from ids), 'and the membership the department');
select tests.act_as('adm@acc.test');
select throws_ok($$ select public.update_member_profile(tests.member_id((select a from ids), tests.user_id('own@acc.test')), 'Not the owner') $$,
  '42501', 'Cannot update a member whose role ranks above your own', 'but not the owner, who outranks them');
select throws_ok($$ select public.update_member_profile(tests.member_id((select a from ids), tests.user_id('mem@acc.test')), '   ') $$,
  '22023', null, 'an empty name is refused');
select tests.act_as('mem@acc.test');
select throws_ok($$ select public.update_member_profile(tests.member_id((select a from ids), tests.user_id('bye@acc.test')), 'Renamed') $$,
  'P0002', null, 'a member without core.members.manage cannot');

-- The last owner cannot leave by deleting their account
select tests.act_as('own@acc.test');
select throws_ok($$ select public.delete_my_account() $$, 'GW409',
  'Cannot delete the account of own@acc.test: they are the last owner of Acc A; make someone else owner first (transfer_ownership) or delete the organization',
  'a last owner is told to hand over first (409)');
select tests.act_as_postgres();
select throws_ok($$ delete from auth.users where email = 'own@acc.test' $$, 'GW409', null, 'Auth''s admin delete meets the same rule');

-- A member deletes their account
select tests.act_as('bye@acc.test');
update public.profiles set display_name = 'Bye Bye' where id = auth.uid();
select tests.act_as_postgres();
create temp table bye as select tests.user_id('bye@acc.test') as id;
insert into public.resources (org_id, name, time_zone, min_notice_minutes) select a, 'Room', 'UTC', 0 from ids;
select tests.act_as('bye@acc.test');
select private.create_booking((select id from public.resources where name = 'Room'), date_trunc('hour', now()) + interval '5 hours',
  date_trunc('hour', now()) + interval '6 hours', 'Mine', '', false, null, null, '[]');
select lives_ok($$ select public.delete_my_account() $$, 'a member deletes their own account');
select tests.act_as_postgres();
select is((select count(*) from auth.users where id = (select id from bye)), 0::bigint, 'the account is gone');
select is((select count(*) from public.profiles where id = (select id from bye)), 0::bigint, 'with its profile');
select is((select count(*) from public.members where user_id = (select id from bye)), 0::bigint, 'and its memberships');
select is((select count(*) from audit.log where actor_id = (select id from bye)), 0::bigint, 'no audit entry names them any more');
select ok((select count(*) from audit.log where table_name = 'profiles' and record_id = (select id from bye)::text) >= 2,
  'but their entries are kept (the profile''s creation, rename and deletion)');
select is((select count(*) from audit.log where table_name = 'profiles' and record_id = (select id from bye)::text
           and (coalesce(old_record, '{}') ?| array['email', 'display_name'] or coalesce(new_record, '{}') ?| array['email', 'display_name'])), 0::bigint,
  'without their name or address');
select is((select count(*) from public.booking_attendees where email = 'bye@acc.test'), 0::bigint, 'their address is gone from the bookings they attended');
select ok((select count(distinct actor_id) = 1 from audit.log where table_name = 'profiles' and record_id = (select id from bye)::text and actor_id is not null),
  'their own changes share one tombstone actor, so the trail still reads as one person''s');

select * from finish();
rollback;
