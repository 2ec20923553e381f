-- Profiles: created on sign-up, private to the user and their co-members, only some columns writable.
begin;
select plan(13);

select tests.create_user('pia@p.test', '{"full_name": "Pia Park", "locale": "de"}');
select tests.create_user('quin@p.test');
select tests.create_user('rex@elsewhere.test');
select is((select display_name || '/' || locale from public.profiles where id = tests.user_id('pia@p.test')), 'Pia Park/de',
  'sign-up creates the profile from the user metadata');
select is((select display_name from public.profiles where id = tests.user_id('quin@p.test')), 'quin', 'without a name, the email''s local part');

select tests.act_as('pia@p.test');
select is(tests.visible('public.profiles'), 1::bigint, 'a user without organizations sees only their own profile');
select tests.act_as_postgres();
select tests.create_org('profiles-a', tests.user_id('pia@p.test'));
select tests.add_member((select id from public.organizations where slug = 'profiles-a'), tests.user_id('quin@p.test'), 'viewer');
select tests.act_as('quin@p.test');
select is(tests.visible('public.profiles'), 2::bigint, 'a member sees their co-members'' profiles');
select is(tests.visible('public.profiles', $$email = 'rex@elsewhere.test'$$), 0::bigint, 'and nobody else''s');

select lives_ok($$ update public.profiles set display_name = 'Quin Q', locale = 'pt-BR', time_zone = 'America/Sao_Paulo', status = 'busy'
  where id = auth.uid() $$, 'a user updates their name, locale, time zone and status');
select throws_ok($$ update public.profiles set time_zone = 'Mars/Olympus' where id = auth.uid() $$, '22023',
  'Cannot use time zone Mars/Olympus: it is not an IANA time zone name', 'an unknown time zone is refused');
select throws_ok($$ update public.profiles set locale = 'english' where id = auth.uid() $$, '23514', null, 'a malformed locale is refused');
select throws_ok($$ update public.profiles set email = 'forged@p.test' where id = auth.uid() $$, '42501', null, 'the email is not writable');
update public.profiles set display_name = 'Hacked' where email = 'pia@p.test';
select tests.act_as_postgres();
select is((select display_name from public.profiles where email = 'pia@p.test'), 'Pia Park', 'nobody changes someone else''s profile');

update auth.users set email = 'quin.new@p.test' where email = 'quin@p.test';
select is((select email from public.profiles where id = tests.user_id('quin.new@p.test')), 'quin.new@p.test', 'an email change is copied');
delete from auth.users where email = 'quin.new@p.test';
select is((select count(*)::int from public.profiles where email like 'quin%'), 0, 'deleting the auth user deletes the profile');
select is((select count(*)::int from public.members m join public.organizations o on o.id = m.org_id where o.slug = 'profiles-a'), 1,
  'and their memberships');

select * from finish();
rollback;
