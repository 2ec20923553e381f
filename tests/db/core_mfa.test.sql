-- Organizations that require MFA: their data is hidden from aal1 sessions, shown after MFA.
begin;
select plan(8);

select tests.create_user(e) from unnest(array['o@mfa.test', 'm@mfa.test']) e;
create temp table ids as select tests.create_org('mfa-a', tests.user_id('o@mfa.test')) as a;
grant select on ids to authenticated;
select tests.add_member((select a from ids), tests.user_id('m@mfa.test'), 'member');
select tests.create_department((select a from ids), 'Ops');

select tests.act_as('m@mfa.test', 'aal1');
select is(tests.visible('public.departments'), 1::bigint, 'without require_mfa, aal1 reads');
select tests.act_as_postgres();
update public.organizations set require_mfa = true where id = (select a from ids);

select tests.act_as('m@mfa.test', 'aal1');
select is(tests.visible('public.organizations'), 1::bigint, 'an aal1 session still sees the organization, to learn MFA is required');
select is(tests.visible('public.departments'), 0::bigint, 'but none of its departments');
select is(tests.visible('public.members'), 1::bigint, 'only its own membership');
select is(tests.visible('public.roles'), 0::bigint, 'and no roles');
select tests.act_as('o@mfa.test', 'aal1');
update public.organizations set require_mfa = false where id = (select a from ids);
select tests.act_as_postgres();
select ok((select require_mfa from public.organizations where id = (select a from ids)), 'an owner cannot turn MFA off from an aal1 session');

select tests.act_as('m@mfa.test', 'aal2');
select is(tests.visible('public.departments'), 1::bigint, 'an aal2 session reads again');
select is(tests.visible('public.members'), 2::bigint, 'including the other members');

select * from finish();
rollback;
