-- No API role reads a secret or its hash: invitation and calendar-feed token hashes are withheld by
-- column grants, checked over the catalog for every column named like a secret.
begin;
select plan(4);

select is(
  (select array_agg(format('%s.%s.%s', n.nspname, c.relname, a.attname) order by 1)
   from pg_class c join pg_namespace n on n.oid = c.relnamespace
   join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
   cross join unnest(array['anon', 'authenticated']) r
   where c.relkind in ('r', 'p', 'v') and a.attname ~ '(token|secret|password|key)_hash$|^encrypted_|_secret$'
     and n.nspname not in ('auth', 'storage', 'pg_catalog', 'information_schema', 'vault', 'pgsodium', 'tests')
     and has_column_privilege(r, c.oid, a.attnum, 'select')),
  null,
  'no column holding a secret or its hash is readable by anon or authenticated');

select tests.create_user(e) from unnest(array['own@sc.test']) e;
create temp table ids as select tests.create_org('sc-a', tests.user_id('own@sc.test')) as a;
grant select on ids to authenticated;
select tests.act_as('own@sc.test');
select private.invite_member((select a from ids), 'new@sc.test', tests.role_id((select a from ids), 'member'), null, repeat('s', 43), 'https://app.test/accept');
select throws_ok($$ select token_hash from public.invitations $$, '42501', null, 'an inviter cannot read an invitation''s token hash');
select is((select email from public.invitations where org_id = (select a from ids)), 'new@sc.test', 'but reads the invitation''s other columns');
select throws_ok($$ select token_hash from public.calendar_feeds $$, '42501', null, 'nor the hash of their own calendar feed token');

select * from finish();
rollback;
