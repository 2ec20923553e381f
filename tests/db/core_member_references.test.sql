-- Every column that names a user inside an organization's row references a member of that
-- organization (a composite foreign key to members (org_id, user_id)), checked over the catalog;
-- and another organization's user is refused where it used to slip through.
begin;
select plan(8);

-- Columns naming a user: a key to auth.users, or a name that says so.
create temp view user_columns as
  select c.oid::regclass as tbl, a.attname::text as col
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
  join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
  where c.relkind in ('r', 'p')
    and n.nspname not in ('pg_catalog', 'information_schema', 'auth', 'storage', 'cron', 'extensions', 'realtime', 'net', 'vault', 'tests', 'pgtap')
    and exists (select 1 from pg_attribute o where o.attrelid = c.oid and o.attname = 'org_id' and not o.attisdropped)
    and a.atttypid = 'uuid'::regtype
    and (a.attname ~ '(^|_)(user_id|owner_id|approver_id)$' or a.attname ~ '_by$'
         or exists (select 1 from pg_constraint k where k.conrelid = c.oid and k.contype = 'f' and k.confrelid = 'auth.users'::regclass and a.attnum = any (k.conkey)))
    and not (c.oid = 'public.members'::regclass and a.attname = 'user_id');

create temp view member_keyed as
  select k.conrelid::regclass as tbl, a.attname::text as col
  from pg_constraint k
  join pg_attribute a on a.attrelid = k.conrelid and a.attnum = k.conkey[2]
  join pg_attribute o on o.attrelid = k.conrelid and o.attnum = k.conkey[1] and o.attname = 'org_id'
  where k.contype = 'f' and k.confrelid = 'public.members'::regclass and cardinality(k.conkey) = 2;

select ok((select count(*) from user_columns) >= 18, 'the catalog check finds the user columns of organization rows (' || (select count(*) from user_columns) || ')');
select is(
  (select array_agg(tbl::text || '.' || col order by 1) from (select tbl, col from user_columns except select tbl, col from member_keyed) missing),
  null,
  'every column naming a user in an organization''s row references members (org_id, user_id)');

select tests.create_user(e) from unnest(array['a@mr.test', 'b@mr.test', 'gone@mr.test']) e;
create temp table ids as select tests.create_org('mr-a', tests.user_id('a@mr.test')) as a, tests.create_org('mr-b', tests.user_id('b@mr.test')) as b;
grant select on ids to authenticated;

select tests.act_as('a@mr.test');
insert into compliance.contracts (org_id, reference, title, start_date) values ((select a from ids), 'MR-1', 'Supply', '2026-01-01');
select throws_ok($$ insert into compliance.contract_assignees (org_id, contract_id, user_id)
                    select org_id, id, tests.user_id('b@mr.test') from compliance.contracts where reference = 'MR-1' $$,
  '23503', null, 'an org-A contract cannot name an org-B user as assignee');
select lives_ok($$ insert into compliance.contract_assignees (org_id, contract_id, user_id)
                   select org_id, id, tests.user_id('a@mr.test') from compliance.contracts where reference = 'MR-1' $$,
  'a member of org A can be assigned');

select tests.act_as_postgres();
insert into compliance.certification_types (org_id, name) values ((select a from ids), 'First aid');
insert into compliance.certifications (org_id, user_id, type_id, completed_on)
select (select a from ids), tests.user_id('a@mr.test'), id, '2026-01-01' from compliance.certification_types where name = 'First aid' and org_id = (select a from ids);
select throws_ok($$ update compliance.certifications set verified_by = tests.user_id('b@mr.test'), verified_at = now() where org_id = (select a from ids) $$,
  '23503', null, 'even the service path cannot name a non-member as verifier');
select throws_ok($$ insert into public.resources (org_id, name, kind, member_user_id, time_zone)
                    values ((select a from ids), 'Dr. B', 'member', tests.user_id('b@mr.test'), 'UTC') $$,
  '23503', null, 'a resource cannot stand for a user outside the organization');

-- Leaving the organization removes the assignment and clears the owner, keeping the contract.
select tests.add_member((select a from ids), tests.user_id('gone@mr.test'), 'admin');
update compliance.contracts set owner_id = tests.user_id('gone@mr.test') where reference = 'MR-1';
insert into compliance.contract_assignees (org_id, contract_id, user_id)
select org_id, id, tests.user_id('gone@mr.test') from compliance.contracts where reference = 'MR-1';
delete from public.members where user_id = tests.user_id('gone@mr.test');
select is((select count(*) from compliance.contract_assignees where user_id = tests.user_id('gone@mr.test')), 0::bigint,
  'a member who leaves is no longer assigned');
select is((select owner_id from compliance.contracts where reference = 'MR-1'), null::uuid,
  'and no longer owns the contract, which stays');

select * from finish();
rollback;
