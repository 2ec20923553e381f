-- API keys: who may create one and with what, the machine member they become, the exchange
-- (secret, rotation overlap, expiry, revocation, IP allow-list), and the audit of their use.
begin;
select plan(33);

select tests.create_user(e) from unnest(array['own@key.test', 'adm@key.test', 'mem@key.test', 'x@other.test']) e;
create temp table ids as select tests.create_org('key-a', tests.user_id('own@key.test')) as a, tests.create_org('key-b', tests.user_id('x@other.test')) as b;
alter table ids add column k uuid;
grant select, update on ids to authenticated, service_role;
select tests.add_member((select a from ids), tests.user_id('adm@key.test'), 'admin');
select tests.add_member((select a from ids), tests.user_id('mem@key.test'), 'member');
create function pg_temp.s(p text) returns text language sql immutable as $$ select rpad(p, 32, 'q') $$;
grant execute on function pg_temp.s(text) to authenticated, service_role;

-- Creating
select tests.act_as('mem@key.test');
select throws_ok($$ select private.create_api_key((select a from ids), 'Lab', 'test', 'aaaaaaaa', pg_temp.s('one'),
  '[{"permission": "core.members.read", "scope": "org"}]') $$, '42501', 'Cannot create API key: you need core.api_keys.manage in this organization',
  'a member without core.api_keys.manage cannot create a key');
select tests.act_as('adm@key.test');
select throws_ok($$ select private.create_api_key((select a from ids), 'Lab', 'test', 'aaaaaaaa', pg_temp.s('one'),
  '[{"permission": "core.org.delete", "scope": "org"}]') $$, '42501', 'Cannot give the key core.org.delete at scope org: you do not hold it that far yourself',
  'an admin cannot give a key a permission only the owner holds');
select throws_ok($$ select private.create_api_key((select a from ids), 'Lab', 'test', 'aaaaaaaa', pg_temp.s('one'),
  '[{"permission": "core.api_keys.manage", "scope": "org"}]') $$, '42501', 'Cannot create API key: a key cannot manage API keys',
  'a key cannot be given the right to make keys');
select throws_ok($$ select private.create_api_key((select a from ids), 'Lab', 'test', 'aaaaaaaa', pg_temp.s('one'), '[]') $$,
  '22023', null, 'a key needs at least one permission');
select throws_ok($$ select private.create_api_key((select a from ids), 'Lab', 'test', 'aaaaaaaa', pg_temp.s('one'),
  '[{"permission": "core.nothing.here", "scope": "org"}]') $$, '22023', 'Cannot create API key: core.nothing.here is not a permission',
  'an unknown permission is refused');
select throws_ok($$ select private.create_api_key((select b from ids), 'Lab', 'test', 'aaaaaaaa', pg_temp.s('one'),
  '[{"permission": "core.members.read", "scope": "org"}]') $$, '42501', null, 'nobody creates a key in another organization');
select lives_ok($$ update ids set k = (select id from private.create_api_key((select a from ids), ' Lab ', 'test', 'aaaaaaaa', pg_temp.s('one'),
  '[{"permission": "core.departments.manage", "scope": "org"}]', p_allowed_ips => '{10.0.0.0/8}')) $$,
  'an admin creates a key with a permission they hold');
select tests.act_as_postgres();
select is((select secret_hash from public.api_keys where id = (select k from ids)), encode(extensions.digest(pg_temp.s('one'), 'sha256'), 'hex'),
  'only the secret''s SHA-256 is stored');
select is((select r.is_api_key::text || '/' || r.rank || '/' || m.status::text from public.api_keys k join public.roles r on r.id = k.role_id
  join public.members m on m.org_id = k.org_id and m.user_id = k.user_id where k.id = (select k from ids)), 'true/1/active',
  'the key is an active member with a role of its own');
select is((select array_agg(permission order by permission) from private.access where user_id = (select user_id from public.api_keys where id = (select k from ids))),
  array['core.departments.manage', 'membership'], 'and holds exactly the permission it was given');
select is((select email is null and banned_until = 'infinity' from auth.users where id = (select user_id from public.api_keys where id = (select k from ids))),
  true, 'its user has no email and cannot sign in through Auth');

-- The key's member and role change only through the key workflows
select tests.act_as('own@key.test');
select throws_ok($$ select public.suspend_member(tests.member_id((select a from ids), (select user_id from public.api_keys where id = (select k from ids)))) $$,
  '42501', 'Cannot change the member of an API key, or give its role to anyone: revoke the key instead', 'nobody suspends a key''s member directly');
select throws_ok($$ insert into public.role_permissions (role_id, permission, scope)
  values ((select role_id from public.api_keys where id = (select k from ids)), 'core.members.read', 'org') $$,
  '42501', 'Cannot change the role of an API key: rotate, change or revoke the key instead', 'nor widens its role');
select throws_ok($$ select public.change_member_role(tests.member_id((select a from ids), tests.user_id('mem@key.test')),
  (select role_id from public.api_keys where id = (select k from ids))) $$, '42501', null, 'nor gives its role to a person');
select throws_ok($$ select secret_hash from public.api_keys $$, '42501', null, 'the hash is not readable, even to key managers');
select is((select name from public.api_keys where id = (select k from ids)), 'Lab', 'who manages keys reads them');
select tests.act_as('mem@key.test');
select is((select count(*) from public.api_keys), 0::bigint, 'a member without core.api_keys.manage sees no key');

-- Exchanging
select tests.act_as_service_role();
select is((select org_id from private.exchange_api_key('aaaaaaaa', pg_temp.s('one'), '10.1.2.3')), (select a from ids),
  'the key is exchanged for its member');
select throws_ok($$ select private.exchange_api_key('aaaaaaaa', pg_temp.s('two'), '10.1.2.3') $$, 'GW401',
  'Cannot accept the API key: it is not a valid key', 'a wrong secret is refused');
select throws_ok($$ select private.exchange_api_key('bbbbbbbb', pg_temp.s('one'), '10.1.2.3') $$, 'GW401',
  'Cannot accept the API key: it is not a valid key', 'an unknown prefix answers the same');
select throws_ok($$ select private.exchange_api_key('aaaaaaaa', pg_temp.s('one'), '192.168.1.1') $$, 'GW403',
  'Cannot accept API key aaaaaaaa: it is not allowed from this address', 'an address outside the allow-list is refused');
select tests.act_as_postgres();
select is((select use_count || '/' || host(last_used_ip) from public.api_keys where id = (select k from ids)), '1/10.1.2.3',
  'a use is counted with its address');
select is((select count(*) from audit.log where table_name = 'api_keys' and record_id = (select k from ids)::text and operation = 'UPDATE'
  and new_record ? 'use_count'), 1::bigint, 'and audited on the key');

-- Rotating
select tests.act_as('adm@key.test');
select lives_ok($$ select private.rotate_api_key((select k from ids), pg_temp.s('two'), interval '1 hour') $$, 'the key is rotated with an hour''s overlap');
select tests.act_as_service_role();
select is((select valid_until > now() and valid_until <= now() + interval '1 hour' from private.exchange_api_key('aaaaaaaa', pg_temp.s('one'), '10.0.0.1')),
  true, 'the old secret still works, for tokens ending with the overlap');
select is((select valid_until from private.exchange_api_key('aaaaaaaa', pg_temp.s('two'), '10.0.0.1')), 'infinity'::timestamptz,
  'the new secret works');
select tests.freeze_time(now() + interval '61 minutes');
select throws_ok($$ select private.exchange_api_key('aaaaaaaa', pg_temp.s('one'), '10.0.0.1') $$, 'GW401', null,
  'after the overlap the old secret is refused');
select tests.unfreeze_time();

-- Expiry and revocation
select tests.act_as('adm@key.test');
select lives_ok($$ select private.change_api_key((select k from ids), '{"expires_at": "2099-01-01T00:00:00Z"}') $$, 'an admin sets the key''s expiry');
select tests.act_as_service_role();
select is((select valid_until from private.exchange_api_key('aaaaaaaa', pg_temp.s('two'), '10.0.0.1')), '2099-01-01T00:00:00Z'::timestamptz,
  'no token outlives the key''s expiry');
select tests.freeze_time('2099-01-02');
select throws_ok($$ select private.exchange_api_key('aaaaaaaa', pg_temp.s('two'), '10.0.0.1') $$, 'GW401',
  'Cannot accept API key aaaaaaaa: it has expired', 'an expired key is refused');
select tests.unfreeze_time();
select tests.act_as('adm@key.test');
select is((select revoked_at is not null from private.revoke_api_key((select k from ids))), true, 'an admin revokes the key');
select tests.act_as_postgres();
select is((select count(*) from private.access where user_id = (select user_id from public.api_keys where id = (select k from ids))), 0::bigint,
  'its member loses every permission at once');
select tests.act_as_service_role();
select throws_ok($$ select private.exchange_api_key('aaaaaaaa', pg_temp.s('two'), '10.0.0.1') $$, 'GW401',
  'Cannot accept API key aaaaaaaa: it was revoked', 'a revoked key is refused');

select * from finish();
rollback;
