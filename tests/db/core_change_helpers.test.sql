-- One name for the helpers that load the row a workflow changes (<entity>_for_change), and the
-- member workflows behave as before through it.
begin;
select plan(5);

select has_function('private', 'member_for_change', array['uuid', 'text'], 'members load through private.member_for_change');
select hasnt_function('private', 'member_for_update', array['uuid', 'text'], 'the old name is gone');
select is(
  (select array_agg(p.proname::text order by p.proname) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname = 'private' and p.proname ~ '(_for_(update|edit|write)|_for)$'),
  null,
  'no helper loads a row for a change under another name'
);

select tests.create_user(e) from unnest(array['own@ch.test', 'mem@ch.test', 'peer@ch.test']) e;
create temp table ids as select tests.create_org('change-helpers', tests.user_id('own@ch.test')) as a;
grant select on ids to authenticated;
select tests.add_member((select a from ids), tests.user_id('mem@ch.test'), 'member');
select tests.add_member((select a from ids), tests.user_id('peer@ch.test'), 'member');

select tests.act_as('mem@ch.test');
select throws_ok(
  $$ select public.suspend_member(tests.member_id((select a from ids), tests.user_id('peer@ch.test'))) $$,
  '42501', 'Cannot suspend member: you need core.members.manage in this organization',
  'a member without core.members.manage is refused, as before'
);
select tests.act_as('own@ch.test');
select is(
  (public.suspend_member(tests.member_id((select a from ids), tests.user_id('peer@ch.test')))).status,
  'suspended'::public.member_status,
  'the owner suspends a member'
);

select * from finish();
rollback;
