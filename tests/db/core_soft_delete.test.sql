-- The trash, on compliance contracts: who may trash and restore, a trashed row in no read path
-- (rows, counts, children, linked documents) for anyone but who may restore it, frozen while
-- trashed, restored with its children within the retention window, purged after it (audited).
begin;
select plan(27);

select tests.create_user(e) from unnest(array['own@tr.test', 'law@tr.test', 'exe@tr.test', 'mem@tr.test', 'pal@tr.test', 'vie@tr.test', 'x@other.test']) e;
create temp table ids as select tests.create_org('trash-a', tests.user_id('own@tr.test')) as a, tests.create_org('trash-b', tests.user_id('x@other.test')) as b;
alter table ids add column c uuid, add column doc uuid, add column c2 uuid;
grant select, update on ids to authenticated;
select tests.add_member((select a from ids), tests.user_id('law@tr.test'), 'legal');
select tests.add_member((select a from ids), tests.user_id('exe@tr.test'), 'executive');
select tests.add_member((select a from ids), tests.user_id('mem@tr.test'), 'member');
select tests.add_member((select a from ids), tests.user_id('pal@tr.test'), 'member');
select tests.add_member((select a from ids), tests.user_id('vie@tr.test'), 'viewer');
select tests.act_as('mem@tr.test');
with c as (insert into compliance.contracts (org_id, reference, title, start_date, end_date)
           select a, 'TR-1', 'Trash me', current_date - 30, current_date - 1 from ids returning id)
update ids set c = (select id from c);
insert into compliance.contract_parties (org_id, contract_id, kind, name) select a, c, 'external', 'Acme Ltd' from ids;
insert into compliance.contract_assignees (org_id, contract_id, user_id) select a, c, tests.user_id('pal@tr.test') from ids;
select tests.act_as_postgres();
with d as (insert into public.documents (org_id, title) select a, 'Signed copy' from ids returning id) update ids set doc = (select id from d);
insert into compliance.contracts_documents (document_id, record_id, org_id) select doc, c, a from ids;

-- Before: the assignee sees the contract, its party and its document
select tests.act_as('pal@tr.test');
select is(tests.visible('compliance.contracts') || '/' || tests.visible('compliance.contract_parties') || '/' || tests.visible('public.documents'),
  '1/1/1', 'the assignee sees the contract, its party and its linked document');

-- Who may trash
select tests.act_as('vie@tr.test');
select throws_ok($$ select public.trash_record('compliance.contract', (select c from ids)) $$, '42501', null, 'a viewer cannot trash a contract');
select tests.act_as('x@other.test');
select throws_ok($$ select public.trash_record('compliance.contract', (select c from ids)) $$, '42501', null, 'nor can another organization');
select throws_ok($$ select public.trash_record('compliance.nothing', (select c from ids)) $$, '22023', 'Cannot trash compliance.nothing: no such kind of record',
  'an unknown kind is refused');
select tests.act_as('mem@tr.test');
select throws_ok($$ update compliance.contracts set deleted_at = now() where id = (select c from ids) $$, '42501', null,
  'nobody sets deleted_at by an update');
select lives_ok($$ select public.trash_record('compliance.contract', (select c from ids)) $$, 'its owner trashes their own contract');
select throws_ok($$ select public.trash_record('compliance.contract', (select c from ids)) $$, 'GW409', null, 'trashing twice is a conflict');

-- A trashed contract is in no read path for the others
select tests.act_as('pal@tr.test');
select is(tests.visible('compliance.contracts'), 0::bigint, 'the assignee no longer sees the contract');
select is((select count(*) from compliance.contracts where org_id = (select a from ids)), 0::bigint, 'nor counts it');
select is(tests.visible('compliance.contract_parties'), 0::bigint, 'nor its party');
select is(tests.visible('compliance.contract_assignees'), 0::bigint, 'nor its assignees');
select is(tests.visible('public.documents'), 0::bigint, 'nor the document linked to it');
select tests.act_as('exe@tr.test');
select is(tests.visible('compliance.contracts'), 0::bigint, 'an executive reading every contract does not see it');
select is((select count(*) from compliance.contracts c join compliance.contract_parties p on p.contract_id = c.id), 0::bigint,
  'not even through a join');

-- Who may restore sees the trash; a trashed row is frozen
select tests.act_as('law@tr.test');
select is((select deleted_by from compliance.contracts where id = (select c from ids)), tests.user_id('mem@tr.test'),
  'legal sees the trash and who trashed the contract');
select is((select count(*) from compliance.contract_parties where deleted_at is not null), 1::bigint, 'its party went to the trash with it');
select throws_ok($$ update compliance.contract_parties set name = 'Changed' where contract_id = (select c from ids) $$, 'GW409', null,
  'a trashed row cannot be changed');
select throws_ok($$ insert into compliance.contract_parties (org_id, contract_id, kind, name) select a, c, 'external', 'Late' from ids $$,
  'GW409', null, 'nor can a child be added to it');

-- Restore
select lives_ok($$ select public.restore_record('compliance.contract', (select c from ids)) $$, 'legal restores it');
select tests.act_as('pal@tr.test');
select is(tests.visible('compliance.contracts') || '/' || tests.visible('compliance.contract_parties') || '/' || tests.visible('public.documents'),
  '1/1/1', 'contract, party and document are back');
select throws_ok($$ select public.restore_record('compliance.contract', (select c from ids)) $$, '42501', null,
  'an assignee without the delete permission cannot restore');

-- Deadlines skip a trashed contract; the retention window; the purge
select tests.act_as_postgres();
with c as (insert into compliance.contracts (org_id, reference, title, start_date, end_date, status, owner_id)
           select a, 'TR-2', 'Active, ended yesterday', current_date - 30, current_date - 1, 'active', tests.user_id('mem@tr.test') from ids returning id)
update ids set c2 = (select id from c);
select tests.act_as('law@tr.test');
select public.trash_record('compliance.contract', (select c2 from ids));
select public.trash_record('compliance.contract', (select c from ids));
select tests.act_as_postgres();
select lives_ok($$ select private.compliance_run_deadlines() $$, 'the daily deadline job runs past a trashed contract');
select is((select status::text from compliance.contracts where id = (select c2 from ids)), 'active', 'and leaves it as it was');
select tests.freeze_time(now() + interval '31 days');
select tests.act_as('law@tr.test');
select throws_ok($$ select public.restore_record('compliance.contract', (select c from ids)) $$, 'GW410', null,
  'after the organization''s 30 days it cannot be restored');
select tests.unfreeze_time();
select tests.act_as_postgres();
select private.begin_trusted('core.trash');
update compliance.contracts set deleted_at = now() - interval '31 days' where id = (select c from ids);
select private.end_trusted('core.trash');
select ok(private.purge_trash() >= 1, 'the purge deletes what is past the retention');
select is((select count(*) from compliance.contracts where id = (select c from ids)) + (select count(*) from compliance.contract_parties where contract_id = (select c from ids)),
  0::bigint, 'the contract and its children are gone');
select is((select count(*) from audit.log where table_name = 'contracts' and record_id = (select c from ids)::text and operation = 'DELETE'), 1::bigint,
  'and the purge is in the audit trail');

select * from finish();
rollback;
