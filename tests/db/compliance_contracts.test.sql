-- Contracts: the state machine, the approval rules, visibility by scope, deadlines, bad input.
begin;
select plan(31);

select tests.create_user(e) from unnest(array['own@co.test', 'law@co.test', 'exe@co.test', 'man@co.test', 'mem@co.test', 'pal@co.test', 'vie@co.test', 'x@other.test']) e;
create temp table ids as select tests.create_org('comp-a', tests.user_id('own@co.test')) as a, tests.create_org('comp-b', tests.user_id('x@other.test')) as b;
alter table ids add column sales uuid, add column ops uuid, add column other_dept uuid, add column c uuid;
update ids set sales = tests.create_department(a, 'Sales'), ops = tests.create_department(a, 'Ops'), other_dept = tests.create_department(b, 'B');
grant select, update on ids to authenticated;
select tests.add_member((select a from ids), tests.user_id('law@co.test'), 'legal');
select tests.add_member((select a from ids), tests.user_id('exe@co.test'), 'executive');
select tests.add_member((select a from ids), tests.user_id('man@co.test'), 'manager', (select sales from ids));
select tests.add_member((select a from ids), tests.user_id('mem@co.test'), 'member', (select ops from ids));
select tests.add_member((select a from ids), tests.user_id('pal@co.test'), 'member', (select ops from ids));
select tests.add_member((select a from ids), tests.user_id('vie@co.test'), 'viewer', (select ops from ids));
insert into compliance.approval_policies (org_id, contract_type, required_approvals) select a, '*', 2 from ids;

-- Drafting, with bad input refused
select tests.act_as('mem@co.test');
with c as (insert into compliance.contracts (org_id, reference, title, contract_type, department_id, value, currency, start_date, end_date, renewal_notice_date)
           select a, 'NDA-001', 'Acme NDA', 'nda', sales, 12000, 'EUR', current_date + 1, current_date + 365, current_date + 300 from ids returning id)
update ids set c = (select id from c);
select is((select status::text || '/' || owner_id::text from compliance.contracts where reference = 'NDA-001'), 'draft/' || tests.user_id('mem@co.test'),
  'a member drafts a contract they own');
select throws_ok($$ insert into compliance.contracts (org_id, reference, title, start_date, end_date) select a, 'BAD-1', 'x', current_date, current_date - 1 from ids $$,
  '23514', null, 'an end before the start is refused');
select throws_ok($$ insert into compliance.contracts (org_id, reference, title, start_date, value, currency) select a, 'BAD-2', 'x', current_date, 10, 'XYZ' from ids $$,
  '23503', null, 'an unknown currency is refused');
select throws_ok($$ insert into compliance.contracts (org_id, reference, title, start_date, department_id) select a, 'BAD-3', 'x', current_date, other_dept from ids $$,
  '23503', null, 'a department of another organization is refused');
select throws_ok($$ insert into compliance.contracts (org_id, reference, title, start_date) select a, 'NDA-001', 'Again', current_date from ids $$,
  '23505', null, 'references are unique per organization');
select throws_ok($$ update compliance.contracts set status = 'approved' where reference = 'NDA-001' $$, '42501', null, 'nobody sets a status directly');
insert into compliance.contract_assignees (org_id, contract_id, user_id) select a, c, tests.user_id('pal@co.test') from ids;
insert into compliance.contract_parties (org_id, contract_id, kind, name, contact_name, email) select a, c, 'external', 'Acme Ltd', 'Ann', 'ann@acme.test' from ids;

-- Visibility
select tests.act_as('pal@co.test');
select is(tests.visible('compliance.contracts'), 1::bigint, 'an assignee sees the contract (own scope)');
select tests.act_as('vie@co.test');
select is(tests.visible('compliance.contracts'), 0::bigint, 'a viewer who is neither owner nor assignee does not');
select tests.act_as('man@co.test');
select is(tests.visible('compliance.contracts'), 1::bigint, 'the manager of its department sees it');
select tests.act_as('x@other.test');
select is(tests.visible('compliance.contracts'), 0::bigint, 'another organization sees nothing');

-- Proposal and approvals
select tests.act_as('mem@co.test');
select is((compliance.propose_contract((select c from ids))).status::text, 'proposed', 'the owner proposes it');
select is((select count(*)::int from compliance.contract_approvals where contract_id = (select c from ids) and status = 'pending'), 2,
  'the policy asks for two approvals');
update compliance.contracts set title = 'Sneaky' where id = (select c from ids);
select is((select title from compliance.contracts where id = (select c from ids)), 'Acme NDA', 'a proposed contract is no longer editable');
select tests.act_as_postgres();
select is((select count(*)::int from public.notifications where type = 'compliance.contract_proposed' and org_id = (select a from ids)), 3,
  'every approver (owner, legal, executive) is notified');
select tests.act_as('mem@co.test');
select throws_ok($$ select compliance.approve_contract((select c from ids)) $$, 'P0002', null, 'a member cannot approve');
select tests.act_as('own@co.test');
select lives_ok($$ select compliance.approve_contract((select c from ids), 'Looks good') $$, 'the owner approves');
select throws_ok($$ select compliance.approve_contract((select c from ids)) $$, 'GW409', null, 'nobody approves twice');
select is((select status::text from compliance.contracts where id = (select c from ids)), 'proposed', 'one approval of two is not enough');
select tests.act_as('law@co.test');
select is((compliance.approve_contract((select c from ids), 'Approved by legal')).status::text, 'approved', 'the second approval approves it');
select is((compliance.activate_contract((select c from ids))).status::text, 'active', 'an approved contract is activated');
select throws_ok($$ select compliance.rework_contract((select c from ids)) $$, '23514', null, 'active → draft is not a legal transition');

-- Self-approval, ordered roles, rejection and rework
select tests.act_as('law@co.test');
with c as (insert into compliance.contracts (org_id, reference, title, contract_type, start_date) select a, 'LEASE-1', 'Office lease', 'lease', current_date + 1 from ids returning id)
update ids set c = (select id from c);
select tests.act_as_postgres();
insert into compliance.approval_policies (org_id, contract_type, required_approvals, role_order) select a, 'lease', 2, array['executive', 'owner'] from ids;
select tests.act_as('law@co.test');
select compliance.propose_contract((select c from ids));
select throws_ok($$ select compliance.approve_contract((select c from ids)) $$, '42501', null, 'nobody approves their own proposal');
select tests.act_as('own@co.test');
select throws_ok($$ select compliance.approve_contract((select c from ids)) $$, 'GW409', null, 'with an order of roles, the owner waits for the executive');
select tests.act_as('exe@co.test');
select lives_ok($$ select compliance.approve_contract((select c from ids)) $$, 'the executive approves first');
select tests.act_as('own@co.test');
select is((compliance.reject_contract((select c from ids), 'Rent too high')).status::text, 'rejected', 'any rejection rejects the contract');
select tests.act_as('law@co.test');
select is((compliance.rework_contract((select c from ids))).status::text, 'draft', 'a rejected contract goes back to draft for rework');

-- Deadlines: reminders once, then expiry
select tests.act_as_postgres();
select tests.freeze_time(current_date + 299);
select ok(private.compliance_run_deadlines() >= 1, 'the deadline job sends the due reminders');
select is(private.compliance_run_deadlines(), 0, 'and nothing more when run again');
select tests.freeze_time(current_date + 365 - 7);
select private.compliance_run_deadlines();
select is((select array_agg(kind || ':' || days order by kind, days) from compliance.contract_reminders r join compliance.contracts c on c.id = r.contract_id where c.reference = 'NDA-001'),
  array['end:7', 'end:30', 'renewal_notice:1', 'renewal_notice:14'], 'each reminder (end and renewal notice) went out once');
select tests.freeze_time(current_date + 366 + 1);
select private.compliance_run_deadlines();
select is((select status::text from compliance.contracts where reference = 'NDA-001'), 'expired', 'past its end date the contract expires');

select matches(
  (select pg_get_expr(polqual, polrelid) from pg_policy where polrelid = 'compliance.contracts'::regclass
   and polname = 'Holders of compliance.contracts.read read contracts in scope'),
  '^\(\(org_id = ANY \(\( SELECT s\.org_ids\s+FROM private\.my_access_sets s\s+WHERE \(s\.permission = ''compliance\.contracts\.read''',
  'contracts are read in the generator''s form: the caller''s organizations as an index condition, then the scope');

select * from finish();
rollback;
