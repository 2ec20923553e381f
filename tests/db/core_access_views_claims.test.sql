-- The views every generated policy reads (private.my_access_sets, private.my_access) find the caller
-- in the claims as auth.uid() does — read as json, not jsonb (20261123160000) — and read the
-- session's assurance level only for a user with organizations requiring MFA.
begin;
select plan(9);

select tests.create_user(e) from unnest(array['own@cv.test', 'two@cv.test', 'one@cv.test']) e;
create temp table ids as select tests.create_org('cv-plain', tests.user_id('own@cv.test')) as plain,
  tests.create_org('cv-mfa', tests.user_id('own@cv.test')) as strict;
grant select on ids to authenticated;
select tests.add_member(o, tests.user_id('two@cv.test'), 'member') from ids, unnest(array[plain, strict]) o;
select tests.add_member((select plain from ids), tests.user_id('one@cv.test'), 'member');
update public.organizations set require_mfa = true where id = (select strict from ids);
-- What the views must find, read as the table owner.
create temp table expected as
  select u.id, u.email, (select count(*) from private.access_sets s where s.user_id = u.id) as sets,
    (select count(*) from private.access a where a.user_id = u.id) as rows
  from auth.users u where u.email like '%@cv.test';
grant select on expected to authenticated;

-- The claims as PostgREST sets them (tests.act_as: the token's payload).
select tests.act_as('two@cv.test', 'aal1');
select is((select count(*) from private.my_access_sets), (select sets from expected where email = 'two@cv.test'),
  'my_access_sets: every stored set of the caller, found from the whole token payload');
select is((select count(*) from private.my_access), (select rows from expected where email = 'two@cv.test'),
  'my_access: every access row of the caller');
select is((select blocked_org_ids from private.my_access_sets where permission = 'membership'), array[(select strict from ids)],
  'aal1: the organization requiring MFA is blocked');
select tests.act_as('two@cv.test', 'aal2');
select is((select blocked_org_ids from private.my_access_sets where permission = 'membership'), '{}'::uuid[],
  'aal2: nothing is blocked');
select tests.act_as('one@cv.test', 'aal1');
select is((select blocked_org_ids from private.my_access_sets where permission = 'membership'), '{}'::uuid[],
  'a user in no organization requiring MFA has nothing blocked at aal1');

-- Odd payloads: the views find whoever auth.uid() finds (auth.uid() is the oracle), or nobody.
create temp table seen (label text, found bigint, accesses bigint, uid_sets bigint, uid_rows bigint);
grant insert, select on seen to authenticated;
create function pg_temp.see(p_label text) returns void language sql as $$
  insert into seen select p_label, (select count(*) from private.my_access_sets), (select count(*) from private.my_access),
    coalesce((select sets from expected where id = auth.uid()), 0), coalesce((select rows from expected where id = auth.uid()), 0)
$$;
select set_config('request.jwt.claims', format('{"sub": "%s", "aal": "aal2", "sub": "%s", "aal": "aal1"}',
  tests.user_id('one@cv.test'), tests.user_id('two@cv.test')), true);
select pg_temp.see('twice');
select is((select blocked_org_ids from private.my_access_sets where permission = 'membership'), array[(select strict from ids)],
  'a key given twice: the last aal is the session''s, as for auth.jwt()');
select set_config('request.jwt.claims', format('{"s\u0075b": "%s"}', tests.user_id('one@cv.test')), true);
select pg_temp.see('escaped');
select set_config('request.jwt.claims', format('{"user_metadata": {"sub": "%s"}}', tests.user_id('one@cv.test')), true);
select pg_temp.see('nested');
select set_config('request.jwt.claims', '["not", "an", "object"]', true);
select pg_temp.see('array');
select set_config('request.jwt.claims', '{}', true);
select set_config('request.jwt.claim.sub', tests.user_id('one@cv.test')::text, true);
select pg_temp.see('legacy');
select set_config('request.jwt.claim.sub', '', true);
select tests.act_as_postgres();
select is((select array_agg(label order by label) from seen where found = uid_sets and accesses = uid_rows),
  array['array', 'escaped', 'legacy', 'nested', 'twice'],
  'a key given twice (the last), an escaped key, a sub nested in another claim (nobody), a payload that is not an object (nobody), the legacy request.jwt.claim.sub (first): the views find whom auth.uid() finds');
select is((select array_agg(label order by label) from seen where found > 0),
  array['escaped', 'legacy', 'twice'], 'and those three find a user with sets at all');
select tests.act_as('one@cv.test');
select set_config('request.jwt.claims', 'not json', true);
select throws_ok($$ select count(*) from private.my_access_sets $$, '22P02', null, 'a payload that is not JSON is refused');

select * from finish();
rollback;
