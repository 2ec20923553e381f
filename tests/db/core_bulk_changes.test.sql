-- Bulk changes on compliance contracts: update, assign, trash and restore over ids or a filter
-- document, as the caller; all or nothing by default, row by row when asked; refused rows with
-- their reason; each change audited; the cap.
begin;
select plan(17);

select tests.create_user(e) from unnest(array['own@bk.test', 'law@bk.test', 'mem@bk.test', 'x@other.test']) e;
create temp table ids as select tests.create_org('bulk-a', tests.user_id('own@bk.test')) as a, tests.create_org('bulk-b', tests.user_id('x@other.test')) as b;
alter table ids add column theirs uuid;
grant select, update on ids to authenticated;
select tests.add_member((select a from ids), tests.user_id('law@bk.test'), 'legal');
select tests.add_member((select a from ids), tests.user_id('mem@bk.test'), 'member');
create temp table refs (n integer, id uuid);
grant select, insert on refs to authenticated;

select tests.act_as('law@bk.test');
insert into compliance.contracts (org_id, reference, title, contract_type, start_date)
select a, 'BK-' || i, 'Bulk ' || i, case when i <= 3 then 'nda' else 'supply' end, current_date from ids, generate_series(1, 5) i;
insert into refs select i, (select id from compliance.contracts where reference = 'BK-' || i) from generate_series(1, 5) i;
select tests.act_as('x@other.test');
with c as (insert into compliance.contracts (org_id, reference, title, start_date) select b, 'X-1', 'Theirs', current_date from ids returning id)
update ids set theirs = (select id from c);

-- Update over ids, all or nothing
select tests.act_as('law@bk.test');
select is((select count(*) filter (where ok) from public.bulk_change('compliance.contract', 'update', array(select id from refs where n <= 2),
  p_changes => '{"title": "Renamed"}')), 2::bigint, 'legal renames two contracts by id');
select is((select count(*) from compliance.contracts where title = 'Renamed'), 2::bigint, 'both are renamed');
select tests.act_as_postgres();
select is((select count(*) from audit.log where table_name = 'contracts' and operation = 'UPDATE' and new_record ->> 'title' = 'Renamed'), 2::bigint,
  'each change is in the audit trail');
select tests.act_as('law@bk.test');
select throws_ok($$ select * from public.bulk_change('compliance.contract', 'update', array(select id from refs where n = 3) || (select theirs from ids),
  p_changes => '{"title": "Mine now"}') $$, 'GW422', 'Cannot update 1 of 2 compliance.contract rows: nothing was changed',
  'another organization''s id makes the whole call fail');
select is((select count(*) from compliance.contracts where title = 'Mine now'), 0::bigint, 'and nothing changed');

-- Row by row
select is((select array_agg(coalesce(reason, 'ok') order by reason nulls first) from public.bulk_change('compliance.contract', 'update',
  array(select id from refs where n = 3) || (select theirs from ids), p_changes => '{"title": "Mine now"}', p_all_or_nothing => false)),
  array['ok', 'not_found'], 'row by row, each row says ok or why not');
select is((select count(*) from compliance.contracts where title = 'Mine now'), 1::bigint, 'and the row that passed is changed');
select is((select reason from public.bulk_change('compliance.contract', 'update', array(select id from refs where n = 4),
  p_changes => '{"start_date": "not a date"}', p_all_or_nothing => false)), 'validation', 'a value of the wrong type is a validation refusal');

-- Assign (on a table whose member column callers may change), trash over a filter, restore
select throws_ok($$ select * from public.bulk_change('compliance.contract', 'assign', array(select id from refs where n >= 4),
  p_changes => jsonb_build_object('owner_id', tests.user_id('mem@bk.test'))) $$, '22023', 'Cannot assign rows: owner_id is not a column you may change',
  'contracts keep their owner: the table''s column grants decide what bulk changes may touch');
select tests.act_as_postgres();
create table public.bulk_probe (id uuid primary key default gen_random_uuid(), org_id uuid not null references public.organizations (id), owner_id uuid);
select private.reference_member('public.bulk_probe', 'owner_id');
select private.create_scoped_policies('public.bulk_probe', 'membership', 'membership');
grant select, update (owner_id) on public.bulk_probe to authenticated;
select private.enable_views('public.bulk_probe', 'public.bulk_probe');
insert into public.bulk_probe (org_id) select a from ids, generate_series(1, 2);
select tests.act_as('law@bk.test');
select is((select count(*) filter (where ok) from public.bulk_change('public.bulk_probe', 'assign', p_filter => '{}',
  p_changes => jsonb_build_object('owner_id', tests.user_id('mem@bk.test')))), 2::bigint, 'legal assigns two rows to a member');
select is((select reason from public.bulk_change('public.bulk_probe', 'assign', p_filter => '{}',
  p_changes => jsonb_build_object('owner_id', tests.user_id('x@other.test')), p_all_or_nothing => false) limit 1), 'constraint',
  'assigning to someone outside the organization is a constraint refusal');
select is((select count(*) from public.bulk_change('compliance.contract', 'delete', p_filter => '{"where": {"field": "contract_type", "op": "eq", "value": "nda"}}')),
  3::bigint, 'a filter document trashes the three NDAs');
select is((select count(*) from compliance.contracts where deleted_at is not null), 3::bigint, 'which are in the trash');
select is((select count(*) filter (where ok) from public.bulk_change('compliance.contract', 'restore', array(select id from refs where n <= 3))), 3::bigint,
  'and come back together');

-- Refused up front
select throws_ok($$ select * from public.bulk_change('compliance.contract', 'update', array(select id from refs), p_changes => '{"status": "active"}') $$,
  '22023', 'Cannot update rows: status is not a column you may change', 'a column the caller may not update is refused before any row');
select throws_ok($$ select * from public.bulk_change('compliance.contract', 'update', array(select gen_random_uuid() from generate_series(1, 1001)),
  p_changes => '{"title": "x"}') $$, '22023', null, 'more than 1,000 rows are refused');
select throws_ok($$ select * from public.bulk_change('compliance.contract', 'explode', array(select id from refs)) $$, '22023', null,
  'an unknown action is refused');

select * from finish();
rollback;
