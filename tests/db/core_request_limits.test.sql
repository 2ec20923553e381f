-- The one request limiter: per user, per API key, per organization (only one the caller acts in),
-- per address when nobody signed in; rules per route and per organization; PostgREST's pre-request
-- hook; and the audit of a key's writes.
begin;
select plan(22);

select tests.create_user(e) from unnest(array['a@lim.test', 'b@lim.test']) e;
create temp table ids as select tests.create_org('lim-a', tests.user_id('a@lim.test')) as a, tests.create_org('lim-b', tests.user_id('b@lim.test')) as b;
alter table ids add column k uuid;
grant select, update on ids to authenticated, service_role;
create function pg_temp.hit(p_route text, p_user text, p_org uuid, p_key uuid default null, p_ip inet default null) returns jsonb
language sql as $$ select private.hit_request_limits(p_route, tests.user_id(p_user), p_key, p_org, p_ip) $$;
insert into private.request_limits (subject, route, org_id, max_hits, per) values
  ('user', 'fn POST /user', null, 2, interval '1 minute'),
  ('org', 'fn POST /org', (select a from ids), 2, interval '1 minute'),
  ('ip', 'fn POST /ip', null, 1, interval '1 minute');

-- Per user, per route
select is((pg_temp.hit('fn POST /user', 'a@lim.test', null) - 'retry_after'),
  '{"subject": "user", "limit": 2, "remaining": 1, "window_seconds": 60, "allowed": true}'::jsonb, 'a request is counted against its user and says what remains');
select lives_ok($$ select pg_temp.hit('fn POST /user', 'a@lim.test', null) $$, 'up to the route''s limit');
select is((pg_temp.hit('fn POST /user', 'a@lim.test', null) - 'retry_after'),
  '{"subject": "user", "limit": 2, "remaining": 0, "window_seconds": 60, "allowed": false}'::jsonb, 'then the burst is cut');
select is((pg_temp.hit('fn POST /user', 'b@lim.test', null) ->> 'allowed'), 'true', 'another user is not');
select is((select rejected from private.rate_limits where key = format('req:user:%s:fn POST /user', tests.user_id('a@lim.test'))), 1,
  'the refusal is counted for the metrics');

-- Per organization: one tenant's burst does not block another, and nobody spends another's budget
select lives_ok($$ select pg_temp.hit('fn POST /org', 'a@lim.test', (select a from ids)) $$, 'a request acting in organization A counts there');
select is((pg_temp.hit('fn POST /org', 'a@lim.test', (select a from ids)) ->> 'allowed'), 'true', 'twice');
select is((pg_temp.hit('fn POST /org', 'a@lim.test', (select a from ids)) ->> 'subject'), 'org',
  'the third is refused by organization A''s own limit');
select is((pg_temp.hit('fn POST /org', 'b@lim.test', (select b from ids)) ->> 'allowed'), 'true', 'organization B is not blocked by A''s burst');
select is((pg_temp.hit('fn POST /org', 'b@lim.test', (select a from ids)) ->> 'subject'), 'user',
  'naming an organization one is not a member of counts only against oneself');

-- Anonymous, by address
select lives_ok($$ select pg_temp.hit('fn POST /ip', null, null, null, '203.0.113.7') $$, 'an anonymous request counts against its address');
select is((pg_temp.hit('fn POST /ip', null, null, null, '203.0.113.7') ->> 'allowed'), 'false', 'and is cut at the address''s limit');
select is((pg_temp.hit('fn POST /ip', null, null, null, '203.0.113.8') ->> 'allowed'), 'true', 'another address is not');

-- A key: its own limit, and its organization's
select tests.act_as('a@lim.test');
update ids set k = (select id from private.create_api_key((select a from ids), 'Feed', 'test', 'cccccccc', rpad('k', 32, 'k'),
  '[{"permission": "core.departments.manage", "scope": "org"}]', p_rate_limit => 1));
select tests.act_as_postgres();
select is((select pg_temp.hit('fn POST /key', null, null, k) from ids), null, 'a key id without its member is not trusted');
select is((select (private.hit_request_limits('fn POST /key', user_id, id, null, null) ->> 'limit')::integer from public.api_keys where id = (select k from ids)),
  1, 'a key counts against its own limit');
select is((select private.hit_request_limits('fn POST /key', user_id, id, null, null) ->> 'allowed' from public.api_keys where id = (select k from ids)),
  'false', 'and is cut there');

-- PostgREST's pre-request hook
select tests.act_as('b@lim.test');
select set_config('request.method', 'POST', true), set_config('request.path', '/rest/v1/departments', true);
select lives_ok($$ select private.check_request() $$, 'a Data API write passes the limiter');
select is((select array_agg(k order by k) || array[(select e ->> 'RateLimit-Limit' from jsonb_array_elements(current_setting('response.headers')::jsonb) e
  where e ? 'RateLimit-Limit')] from jsonb_array_elements(current_setting('response.headers')::jsonb) e, jsonb_object_keys(e) k),
  array['RateLimit-Limit', 'RateLimit-Policy', 'RateLimit-Remaining', 'RateLimit-Reset', '120'],
  'and its answer carries the RateLimit-* headers');

select tests.act_as_postgres();
insert into private.request_limits (subject, route, max_hits, per) values ('user', 'rest POST /rest/v1/departments', 1, interval '1 minute');
select tests.act_as('b@lim.test');
select lives_ok($$ select private.check_request() $$, 'a route''s own limit applies to the Data API too');
select throws_ok($$ select private.check_request() $$, 'PGRST', null, 'over it PostgREST is told to answer 429');
select set_config('request.method', 'GET', true);
select lives_ok($$ select private.check_request() $$, 'reads are not counted');

-- A key's writes are audited with the key
select tests.act_as_postgres();
select set_config('role', 'authenticated', true), set_config('request.jwt.claims', json_build_object('sub', user_id, 'role', 'authenticated',
  'aal', 'aal2', 'api_key_id', id)::text, true) from public.api_keys where id = (select k from ids);
insert into public.departments (org_id, name) values ((select a from ids), 'Lab results');
select tests.act_as_postgres();
select is((select api_key_id from audit.log where table_name = 'departments' and new_record ->> 'name' = 'Lab results'), (select k from ids),
  'a department the key''s token adds is audited with the key');

select * from finish();
rollback;
