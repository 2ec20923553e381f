-- Contract rules an audit found broken: approvals belong to a round (a reworked contract can be
-- approved), nobody decides on their own contract (owner, proposer, creator), only the nearest
-- deadline reminder goes out with the real number of days, and the database names a verifier.
begin;
select plan(15);

select tests.create_user(e) from unnest(array['own@cr.test', 'law@cr.test', 'law2@cr.test', 'exe@cr.test', 'adm@cr.test', 'hr@cr.test', 'mem@cr.test']) e;
create temp table ids as select tests.create_org('cr-a', tests.user_id('own@cr.test')) as a;
grant select on ids to authenticated;
select tests.add_member((select a from ids), tests.user_id('law@cr.test'), 'legal');
select tests.add_member((select a from ids), tests.user_id('law2@cr.test'), 'legal');
select tests.add_member((select a from ids), tests.user_id('exe@cr.test'), 'executive');
select tests.add_member((select a from ids), tests.user_id('adm@cr.test'), 'admin');
select tests.add_member((select a from ids), tests.user_id('hr@cr.test'), 'hr');
select tests.add_member((select a from ids), tests.user_id('mem@cr.test'), 'member');

create function pg_temp.contract(p_ref text) returns uuid language sql as $$ select id from compliance.contracts where reference = p_ref $$;
grant execute on function pg_temp.contract(text) to authenticated;

-- Rounds: propose → reject → rework → propose → approve.
select tests.act_as('law@cr.test');
insert into compliance.contracts (org_id, reference, title, start_date) values ((select a from ids), 'CR-1', 'Round trip', current_date + 1);
select compliance.propose_contract(pg_temp.contract('CR-1'));
select tests.act_as('exe@cr.test');
select compliance.reject_contract(pg_temp.contract('CR-1'), 'Fix clause 4');
select tests.act_as('law@cr.test');
select compliance.rework_contract(pg_temp.contract('CR-1'));
select compliance.propose_contract(pg_temp.contract('CR-1'));
select tests.act_as('exe@cr.test');
select is((compliance.approve_contract(pg_temp.contract('CR-1'), 'Fixed')).status::text, 'approved',
  'the approver who rejected round 1 approves round 2');
select is((select array_agg(round || ':' || status order by round, step) from compliance.contract_approvals where contract_id = pg_temp.contract('CR-1')),
  array['1:rejected', '2:approved'], 'each proposal has its own round of approvals');
select is((select approval_round from compliance.contracts where reference = 'CR-1'), 2, 'the contract counts its rounds');
select throws_ok($$ update compliance.contracts set approval_round = 7 where reference = 'CR-1' $$, '42501', null, 'nobody changes the round directly');

-- Nobody decides on their own contract: the owner (even when someone else proposed it), the
-- proposer, the creator.
select tests.act_as('adm@cr.test');
insert into compliance.contracts (org_id, reference, title, start_date) values ((select a from ids), 'CR-2', 'Mine', current_date + 1);
select tests.act_as('law@cr.test');
select compliance.propose_contract(pg_temp.contract('CR-2'));
select tests.act_as('adm@cr.test');
select throws_ok($$ select compliance.approve_contract(pg_temp.contract('CR-2'), 'LGTM') $$, '42501',
  'Cannot decide on contract CR-2: you own it', 'the owner cannot approve a contract someone else proposed');
select tests.act_as('law@cr.test');
select throws_ok($$ select compliance.approve_contract(pg_temp.contract('CR-2'), 'LGTM') $$, '42501',
  'Cannot decide on contract CR-2: you proposed it', 'the proposer cannot approve it');
select tests.act_as_postgres();
select is((select count(*) from public.notifications where type = 'compliance.contract_proposed' and data ->> 'reference' = 'CR-2'
           and user_id in (tests.user_id('adm@cr.test'), tests.user_id('law@cr.test'))), 0::bigint,
  'neither the owner nor the proposer is asked to approve');
select tests.act_as('law2@cr.test');
select is((compliance.approve_contract(pg_temp.contract('CR-2'), 'Fine')).status::text, 'approved', 'another approver may');
select tests.act_as('exe@cr.test');
select throws_ok($$ update compliance.contracts set created_by = auth.uid() where reference = 'CR-2' $$, '42501', null, 'nobody rewrites who created a contract');

-- Deadlines: activated six days before its end, the contract gets the 7-day reminder only, saying six days.
select tests.act_as('law@cr.test');
insert into compliance.contracts (org_id, reference, title, start_date, end_date) values ((select a from ids), 'CR-3', 'Late', current_date - 300, current_date + 6);
select compliance.propose_contract(pg_temp.contract('CR-3'));
select tests.act_as('exe@cr.test');
select compliance.approve_contract(pg_temp.contract('CR-3'), '');
select tests.act_as('law@cr.test');
select compliance.activate_contract(pg_temp.contract('CR-3'));
select tests.act_as_postgres();
select private.compliance_run_deadlines();
select is((select array_agg(title) from public.notifications where type = 'compliance.contract_deadline' and data ->> 'reference' = 'CR-3'),
  array['End of CR-3 in 6 days'], 'a late contract gets only the nearest reminder, with the days really left');
select private.compliance_run_deadlines();
select is((select count(*) from public.notifications where type = 'compliance.contract_deadline' and data ->> 'reference' = 'CR-3'), 1::bigint,
  'and not the overtaken 30-day one on the next run');

-- Verification: the database names the verifier; nobody verifies their own certification.
insert into compliance.certification_types (org_id, name) values ((select a from ids), 'First aid');
insert into compliance.certifications (org_id, user_id, type_id, completed_on)
select (select a from ids), u, t.id, current_date from compliance.certification_types t,
  unnest(array[tests.user_id('mem@cr.test'), tests.user_id('hr@cr.test')]) u where t.name = 'First aid';
select tests.act_as('hr@cr.test');
select throws_ok($$ update compliance.certifications set verified_by = tests.user_id('own@cr.test'), verified_at = now() $$, '42501', null,
  'HR cannot name someone else as the verifier');
update compliance.certifications set verified_at = now() - interval '3 days' where user_id = tests.user_id('mem@cr.test');
select tests.act_as_postgres();
select is((select verified_by from compliance.certifications where user_id = tests.user_id('mem@cr.test')), tests.user_id('hr@cr.test'),
  'verifying sets verified_by to the caller');
select ok((select verified_at > now() - interval '1 minute' from compliance.certifications where user_id = tests.user_id('mem@cr.test')),
  'and verified_at to now, whatever the caller wrote');
select tests.act_as('hr@cr.test');
select throws_ok($$ update compliance.certifications set verified_at = now() where user_id = auth.uid() $$, '42501',
  'Cannot verify your own certification', 'nobody verifies their own certification');

select * from finish();
rollback;
