-- Invitations: who may invite whom, the token's single use and expiry, resend and revoke, and
-- that the email is enqueued in the same transaction.
begin;
select plan(30);

select tests.create_user(e) from unnest(array['boss@inv.test', 'adm@inv.test', 'mem@inv.test', 'x@other.test']) e;
select tests.create_user('newbie@inv.test');
select tests.create_user('unconfirmed@inv.test', '{}', false);
create temp table ids as select tests.create_org('inv-a', tests.user_id('boss@inv.test')) as a, tests.create_org('inv-b', tests.user_id('x@other.test')) as b;
alter table ids add column dept_b uuid;
update ids set dept_b = tests.create_department(b, 'B Ops');
grant select on ids to authenticated;
select tests.add_member((select a from ids), tests.user_id('adm@inv.test'), 'admin');
select tests.add_member((select a from ids), tests.user_id('mem@inv.test'), 'member');
create temp table tokens (label text primary key, token text);
insert into tokens values ('t1', 'tok1_' || repeat('a', 40)), ('t2', 'tok2_' || repeat('b', 40)), ('t3', 'tok3_' || repeat('c', 40)),
  ('t4', 'tok4_' || repeat('d', 40)), ('t5', 'tok5_' || repeat('e', 40)), ('t6', 'tok6_' || repeat('f', 40));
grant select on tokens to authenticated, service_role;
create function pg_temp.tok(p text) returns text language sql stable as $$ select token from tokens where label = p $$;
grant execute on function pg_temp.tok(text) to authenticated, service_role;

-- Inviting
select tests.act_as('adm@inv.test');
select lives_ok($$ select private.invite_member((select a from ids), ' NewBie@Inv.test ', tests.role_id((select a from ids), 'member'), null,
  pg_temp.tok('t1'), 'https://app.test/invitations/accept') $$, 'an admin invites an address with a role');
select tests.act_as_postgres();
select is((select email || '/' || status::text from public.invitations where org_id = (select a from ids)), 'newbie@inv.test/pending',
  'the address is normalized and the invitation pending');
select is((select token_hash from public.invitations where email = 'newbie@inv.test'), encode(extensions.digest(pg_temp.tok('t1'), 'sha256'), 'hex'),
  'only the token''s SHA-256 is stored');
select ok((select expires_at between now() + interval '167 hours' and now() + interval '169 hours' from public.invitations where email = 'newbie@inv.test'),
  'it expires after the organization''s 7 days');
select is((select template || '/' || recipient || '/' || (data ->> 'accept_url') from private.email_outbox where idempotency_key like 'invitation:%'
  and recipient = 'newbie@inv.test'), 'invitation/newbie@inv.test/https://app.test/invitations/accept?token=' || pg_temp.tok('t1'),
  'its email, with the link, is in the outbox in the same transaction');
select tests.act_as('adm@inv.test');
select throws_ok($$ select private.invite_member((select a from ids), 'newbie@inv.test', tests.role_id((select a from ids), 'member'), null,
  pg_temp.tok('t2'), 'https://app.test/a') $$, 'GW409', 'Cannot invite newbie@inv.test: an invitation is already pending; resend or revoke it',
  'a second pending invitation to the same address is a conflict');
select throws_ok($$ select private.invite_member((select a from ids), 'mem@inv.test', tests.role_id((select a from ids), 'member'), null,
  pg_temp.tok('t2'), 'https://app.test/a') $$, 'GW409', 'Cannot invite mem@inv.test: they are already a member', 'so is inviting a member');
select throws_ok($$ select private.invite_member((select a from ids), 'boss2@inv.test', tests.role_id((select a from ids), 'owner'), null,
  pg_temp.tok('t2'), 'https://app.test/a') $$, '42501', null, 'nobody invites with a role above their own');
select throws_ok($$ select private.invite_member((select a from ids), 'z@inv.test', tests.role_id((select b from ids), 'member'), null,
  pg_temp.tok('t2'), 'https://app.test/a') $$, '22023', null, 'a role of another organization is refused');
select throws_ok($$ select private.invite_member((select a from ids), 'z@inv.test', tests.role_id((select a from ids), 'member'), (select dept_b from ids),
  pg_temp.tok('t2'), 'https://app.test/a') $$, '22023', null, 'a department of another organization is refused');
select throws_ok($$ select private.invite_member((select b from ids), 'z@inv.test', tests.role_id((select b from ids), 'member'), null,
  pg_temp.tok('t2'), 'https://app.test/a') $$, '42501', null, 'nobody invites into another organization');
select throws_ok($$ select private.invite_member((select a from ids), 'z@inv.test', tests.role_id((select a from ids), 'member'), null,
  'short', 'https://app.test/a') $$, '22023', null, 'a token under 128 bits is refused');
select tests.act_as('mem@inv.test');
select throws_ok($$ select private.invite_member((select a from ids), 'y@inv.test', tests.role_id((select a from ids), 'viewer'), null,
  pg_temp.tok('t2'), 'https://app.test/a') $$, '42501', null, 'a member without core.members.invite cannot invite');
select throws_ok($$ insert into public.invitations (org_id, email, role_id, token_hash, expires_at)
  values ((select a from ids), 'w@inv.test', tests.role_id((select a from ids), 'viewer'), repeat('0', 64), now() + interval '1 day') $$,
  '42501', null, 'nor write invitations directly');

-- Accepting
select tests.act_as('x@other.test');
select throws_ok($$ select private.accept_invitation(pg_temp.tok('t1')) $$, '42501', 'Cannot accept invitation: it was sent to another address',
  'a token sent to someone else does not work for you');
select tests.act_as('unconfirmed@inv.test');
select throws_ok($$ select private.accept_invitation(pg_temp.tok('t1')) $$, '42501', 'Cannot accept invitation: confirm your email address first',
  'an unconfirmed address cannot accept');
select tests.act_as('newbie@inv.test');
select is(tests.visible('public.invitations'), 1::bigint, 'the invitee reads the invitation to their address');
select throws_ok($$ select private.accept_invitation('tok9_' || repeat('z', 40)) $$, 'P0002', null, 'an unknown token is not found');
select lives_ok($$ select private.accept_invitation(pg_temp.tok('t1')) $$, 'the invitee accepts');
select tests.act_as_postgres();
select is((select r.key from public.members m join public.roles r on r.id = m.role_id where m.user_id = tests.user_id('newbie@inv.test')), 'member',
  'membership with the invited role exists, in the same transaction');
select tests.act_as('newbie@inv.test');
select throws_ok($$ select private.accept_invitation(pg_temp.tok('t1')) $$, 'GW410', 'Cannot accept invitation: it has already been accepted',
  'a token works once');

-- Expiry, resend, revoke, decline
select tests.act_as('adm@inv.test');
select private.invite_member((select a from ids), 'late@inv.test', tests.role_id((select a from ids), 'viewer'), null, pg_temp.tok('t3'), 'https://app.test/a');
select tests.freeze_time(now() + interval '8 days');
select throws_ok($$ select private.decline_invitation(pg_temp.tok('t3')) $$, 'GW410', 'Cannot decline invitation: it has expired',
  'an expired token is refused');
select lives_ok($$ select private.resend_invitation((select id from public.invitations where email = 'late@inv.test'), pg_temp.tok('t4'), 'https://app.test/a') $$,
  'an expired invitation can be resent');
select tests.unfreeze_time();
select throws_ok($$ select private.decline_invitation(pg_temp.tok('t3')) $$, 'P0002', null, 'the old token died with the resend');
select is((select status::text || '/' || resent_count from public.invitations where email = 'late@inv.test'), 'pending/1', 'the invitation is pending again');
select tests.act_as_postgres();
update public.invitations set resent_count = 5 where email = 'late@inv.test';
select tests.act_as('adm@inv.test');
select throws_ok($$ select private.resend_invitation((select id from public.invitations where email = 'late@inv.test'), pg_temp.tok('t5'), 'https://app.test/a') $$,
  'GW409', null, 'resending is bounded');
select lives_ok($$ select private.revoke_invitation((select id from public.invitations where email = 'late@inv.test')) $$, 'an admin revokes it');
select throws_ok($$ select private.decline_invitation(pg_temp.tok('t4')) $$, 'GW410', 'Cannot decline invitation: it has been revoked',
  'a revoked token is refused');
select private.invite_member((select a from ids), 'nope@inv.test', tests.role_id((select a from ids), 'viewer'), null, pg_temp.tok('t6'), 'https://app.test/a');
select tests.act_as_service_role();
select lives_ok($$ select private.decline_invitation(pg_temp.tok('t6')) $$, 'declining needs only the token');
select tests.act_as_postgres();
select is((select count(*)::int from public.members where user_id is not distinct from tests.user_id('nope@inv.test')), 0, 'declining joins nothing');

select * from finish();
rollback;
