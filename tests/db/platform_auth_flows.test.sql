-- Supabase Auth's flows, replayed as Auth writes them to the database, and what our schema makes of
-- each: sign-up (profile), email verification (invitations become visible), sign-in and refresh
-- (a session; the access-token hook's claims follow memberships), MFA enrolment and verification
-- (aal2 opens an MFA organization), password reset and email change.
begin;
select plan(14);

-- Sign-up with email confirmation on: unconfirmed user, an identity, a confirmation token.
insert into auth.users (instance_id, id, aud, role, email, encrypted_password, confirmation_token, confirmation_sent_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', 'flow@auth.test',
        crypt('Secret-pass-2026!', gen_salt('bf')), encode(gen_random_bytes(16), 'hex'), now(),
        '{"provider": "email", "providers": ["email"]}', '{"full_name": "Flo Flow", "locale": "de"}', now(), now());
insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
select id::text, id, jsonb_build_object('sub', id, 'email', email, 'email_verified', false), 'email', now(), now() from auth.users where email = 'flow@auth.test';
select is((select display_name || '/' || locale from public.profiles where id = tests.user_id('flow@auth.test')), 'Flo Flow/de',
  'sign-up: our trigger makes a profile from the user metadata');
select tests.create_user('boss@auth.test');
create temp table ids as select tests.create_org('auth-flow', tests.user_id('boss@auth.test')) as a;
grant select on ids to authenticated;
select tests.act_as('boss@auth.test');
select private.invite_member((select a from ids), 'flow@auth.test', tests.role_id((select a from ids), 'member'), null, repeat('f', 43), 'https://app.test/accept');
select tests.act_as('flow@auth.test');
select is(tests.visible('public.invitations'), 0::bigint, 'before confirming the email, the invitation to it is not readable');
select throws_ok($$ select private.accept_invitation(repeat('f', 43)) $$, '42501', 'Cannot accept invitation: confirm your email address first',
  'nor can it be accepted');

-- Email verification: Auth sets email_confirmed_at and clears the token.
select tests.act_as_postgres();
update auth.users set email_confirmed_at = now(), confirmation_token = '' where email = 'flow@auth.test';
select tests.act_as('flow@auth.test');
select is(tests.visible('public.invitations'), 1::bigint, 'verification: the invitation to the confirmed address is readable');
select lives_ok($$ select private.accept_invitation(repeat('f', 43)) $$, 'and accepted');

-- Sign-in (password, OTP or magic link): last_sign_in_at and an aal1 session; the hook's claims.
select tests.act_as_postgres();
update auth.users set last_sign_in_at = now() where email = 'flow@auth.test';
insert into auth.sessions (id, user_id, created_at, updated_at, aal) select gen_random_uuid(), id, now(), now(), 'aal1' from auth.users where email = 'flow@auth.test';
select is((private.custom_access_token_hook(jsonb_build_object('user_id', tests.user_id('flow@auth.test'), 'claims', '{}'::jsonb)) -> 'claims' -> 'orgs' -> 0 ->> 'role'),
  'member', 'sign-in: the access-token hook puts the membership in the claims');
-- Refresh: the same session, a new token; the hook runs again and sees today's memberships.
update public.members set role_id = tests.role_id((select a from ids), 'viewer') where user_id = tests.user_id('flow@auth.test');
select is((private.custom_access_token_hook(jsonb_build_object('user_id', tests.user_id('flow@auth.test'), 'claims', '{}'::jsonb)) -> 'claims' -> 'orgs' -> 0 ->> 'role'),
  'viewer', 'refresh: the next token carries the current role');
update public.organizations set require_mfa = true where id = (select a from ids);
select tests.act_as('flow@auth.test', 'aal1');
select is(tests.visible('public.departments') + tests.visible('public.roles'), 0::bigint, 'an aal1 session sees nothing of an organization requiring MFA');

-- MFA: enrol a TOTP factor (unverified), verify it (verified; the session becomes aal2).
select tests.act_as_postgres();
insert into auth.mfa_factors (id, user_id, friendly_name, factor_type, status, created_at, updated_at, secret)
select gen_random_uuid(), id, 'Phone', 'totp', 'unverified', now(), now(), 'JBSWY3DPEHPK3PXP' from auth.users where email = 'flow@auth.test';
select is((select count(*) from auth.mfa_factors where user_id = tests.user_id('flow@auth.test') and status = 'unverified'), 1::bigint, 'enrolment: an unverified TOTP factor');
update auth.mfa_factors set status = 'verified', updated_at = now() where user_id = tests.user_id('flow@auth.test');
update auth.sessions s set aal = 'aal2', factor_id = f.id, updated_at = now()
from auth.mfa_factors f where f.user_id = s.user_id and s.user_id = tests.user_id('flow@auth.test');
select is((select aal::text from auth.sessions where user_id = tests.user_id('flow@auth.test')), 'aal2', 'verification: the session is aal2');
select tests.act_as('flow@auth.test', 'aal2');
select ok(tests.visible('public.roles') > 0, 'an aal2 token opens the organization requiring MFA');

-- Password reset: Auth writes a recovery token, then the new hash; our tables do not change.
select tests.act_as_postgres();
create temp table before_reset as select (select count(*) from audit.log) as entries;
update auth.users set recovery_token = encode(gen_random_bytes(16), 'hex'), recovery_sent_at = now() where email = 'flow@auth.test';
update auth.users set encrypted_password = crypt('New-secret-2026!', gen_salt('bf')), recovery_token = '' where email = 'flow@auth.test';
select is((select count(*) from audit.log) - (select entries from before_reset), 0::bigint, 'password reset: nothing of ours changes (no secret reaches the trail)');

-- Email change (double confirmation): Auth writes the new address once both links are followed.
update auth.users set email_change = 'flow.new@auth.test', email_change_sent_at = now() where email = 'flow@auth.test';
update auth.users set email = 'flow.new@auth.test', email_change = '', email_confirmed_at = now() where email = 'flow@auth.test';
select is((select email from public.profiles where id = tests.user_id('flow.new@auth.test')), 'flow.new@auth.test', 'email change: the profile follows');
select tests.act_as('flow.new@auth.test', 'aal2');
select is(tests.visible('public.members', 'user_id = auth.uid()'), 1::bigint, 'and the membership stays with the account');

select * from finish();
rollback;
