-- Compliance hardening: approval rounds, nobody approves their own contract, the database names
-- the verifier, only the reminders still ahead, and a status only the workflow can move.
--
-- Tables: compliance.contracts (created_by, approval_round), compliance.contract_approvals (round).
-- 1. Approvals belong to a round; each proposal starts a new one, so propose → reject → rework →
--    propose → approve works and "twice" means twice in this round.
-- 2. The owner, the proposer and the creator of a contract never decide on it.
-- 3. certifications.verified_by is set by the database to the verifying caller; nobody verifies
--    their own certification.
-- 4. A contract whose deadline is nearer than several reminder thresholds gets only the nearest
--    reminder, saying how many days are really left.
-- 5. The status guard trusts the workflow's private mark (private.is_trusted), never a setting.

-- ---------------------------------------------------------------------------------------------
-- Columns
-- ---------------------------------------------------------------------------------------------

alter table compliance.contracts add column created_by uuid default auth.uid();
update compliance.contracts set created_by = owner_id;
select private.reference_member('compliance.contracts', 'created_by');
comment on column compliance.contracts.created_by is 'Who created the contract (set by the database). Neither they, the owner nor the proposer may decide on it.';

alter table compliance.contracts add column approval_round integer not null default 0
  constraint contracts_approval_round_nonnegative check (approval_round >= 0);
comment on column compliance.contracts.approval_round is 'How many times the contract was proposed; the approvals of the current proposal carry this round.';
alter table compliance.contract_approvals add column round integer not null default 1
  constraint contract_approvals_round_positive check (round >= 1);
comment on column compliance.contract_approvals.round is 'The proposal (round) this approval step belongs to; a new proposal starts a new round.';
update compliance.contracts c set approval_round = coalesce((select count(distinct a.created_at) from compliance.contract_approvals a where a.contract_id = c.id and a.step = 1), 0);
update compliance.contract_approvals a set round = r.round
from (select id, dense_rank() over (partition by contract_id order by created_at) as round from compliance.contract_approvals where step >= 1) r
where r.id = a.id;
create index contract_approvals_round_idx on compliance.contract_approvals (contract_id, round, step);

-- ---------------------------------------------------------------------------------------------
-- The status guard
-- ---------------------------------------------------------------------------------------------

create or replace function private.compliance_check_transition()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.status is distinct from old.status and not (
    (old.status, new.status) in (('draft', 'proposed'), ('proposed', 'approved'), ('proposed', 'rejected'), ('approved', 'active'),
      ('active', 'expired'), ('active', 'terminated'), ('active', 'renewed'), ('rejected', 'draft'))
  ) then
    raise exception 'Cannot move contract % from % to %', old.reference, old.status, new.status using errcode = '23514';
  end if;
  if new.status is distinct from old.status and not private.is_trusted('compliance.workflow') then
    raise exception 'Cannot change the status of contract % directly: use the workflow', old.reference using errcode = '42501';
  end if;
  if (new.approval_round, new.proposed_by, new.created_by) is distinct from (old.approval_round, old.proposed_by, old.created_by)
     and not private.is_trusted('compliance.workflow') then
    raise exception 'Cannot change who created or proposed contract % directly', old.reference using errcode = '42501';
  end if;
  return new;
end
$$;
comment on function private.compliance_check_transition() is 'Enforces draft → proposed → (approved | rejected) → active → (expired | terminated | renewed), rejected → draft; only the workflow functions (inside their trusted path) move a status or a round.';
revoke all on function private.compliance_check_transition() from public;
drop trigger check_transition on compliance.contracts;
create trigger check_transition before update on compliance.contracts
  for each row execute function private.compliance_check_transition();

create or replace function private.compliance_contract_for(p_contract_id uuid, p_permission text, p_action text)
returns compliance.contracts
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_contract compliance.contracts;
begin
  select * into v_contract from compliance.contracts where id = p_contract_id for update;
  if v_contract.id is null or v_contract.org_id in (select private.mfa_blocked_org_ids()) or not private.reaches(
    v_contract.org_id, p_permission, v_contract.department_id,
    v_contract.owner_id = auth.uid() or exists (select 1 from compliance.contract_assignees a where a.contract_id = v_contract.id and a.user_id = auth.uid())
  ) then
    raise exception 'Cannot % contract %: no such contract you may change', p_action, p_contract_id using errcode = 'P0002';
  end if;
  return v_contract;
end
$$;
comment on function private.compliance_contract_for(uuid, text, text) is 'Locks the contract a workflow step acts on when the caller holds the permission over it; 404 otherwise.';
revoke all on function private.compliance_contract_for(uuid, text, text) from public;

-- Everyone who may approve contracts in the organization, but the contract's own people.
create or replace function private.compliance_contract_approvers(p_contract compliance.contracts)
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select distinct a.user_id from private.access a
  where a.org_id = p_contract.org_id and a.permission = 'compliance.contracts.approve'
    and a.user_id is distinct from p_contract.proposed_by and a.user_id is distinct from p_contract.owner_id
    and a.user_id is distinct from p_contract.created_by
$$;
comment on function private.compliance_contract_approvers(compliance.contracts) is 'Members who may decide on this contract: approvers of the organization except its owner, proposer and creator.';
revoke all on function private.compliance_contract_approvers(compliance.contracts) from public;

-- ---------------------------------------------------------------------------------------------
-- Workflow steps
-- ---------------------------------------------------------------------------------------------

create or replace function private.compliance_propose(p_contract_id uuid)
returns compliance.contracts
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_contract compliance.contracts := private.compliance_contract_for(p_contract_id, 'compliance.contracts.write', 'propose');
  v_policy compliance.approval_policies;
begin
  if v_contract.status <> 'draft' then
    raise exception 'Cannot propose contract %: it is %', v_contract.reference, v_contract.status using errcode = 'GW409';
  end if;
  select * into v_policy from compliance.approval_policies where org_id = v_contract.org_id and contract_type in (v_contract.contract_type, '*')
  order by (contract_type = '*') limit 1;
  perform private.begin_trusted('compliance.workflow');
  update compliance.contract_approvals set status = 'withdrawn' where contract_id = p_contract_id and status = 'pending';
  update compliance.contracts set status = 'proposed', proposed_by = auth.uid(), proposed_at = pg_catalog.now(), decided_at = null,
    approval_round = approval_round + 1
  where id = p_contract_id returning * into v_contract;
  insert into compliance.contract_approvals (org_id, contract_id, step, role_key, round)
  select v_contract.org_id, p_contract_id, s, v_policy.role_order[s], v_contract.approval_round
  from generate_series(1, coalesce(v_policy.required_approvals, 1)) s;
  perform private.end_trusted('compliance.workflow');
  perform private.compliance_notify_all(array(select private.compliance_contract_approvers(v_contract)), v_contract,
    'compliance.contract_proposed', format('Approval needed: %s (%s)', v_contract.title, v_contract.reference), 'A contract waits for your approval.');
  return v_contract;
end
$$;
comment on function private.compliance_propose(uuid) is 'Proposes a draft: starts a new approval round with the steps its policy requires and notifies the approvers (not the contract''s owner, proposer or creator).';
revoke all on function private.compliance_propose(uuid) from public;
grant execute on function private.compliance_propose(uuid) to authenticated;

create or replace function private.compliance_decide(p_contract_id uuid, p_approve boolean, p_comment text)
returns compliance.contracts
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_contract compliance.contracts;
  v_step compliance.contract_approvals;
  v_role text;
  v_me uuid := auth.uid();
begin
  select * into v_contract from compliance.contracts where id = p_contract_id for update;
  if v_contract.id is null or not private.has_permission(v_contract.org_id, 'compliance.contracts.approve', 'org')
     or v_contract.org_id in (select private.mfa_blocked_org_ids()) then
    raise exception 'Cannot decide on contract %: no such contract you may approve', p_contract_id using errcode = 'P0002';
  end if;
  if v_contract.status <> 'proposed' then
    raise exception 'Cannot decide on contract %: it is %', v_contract.reference, v_contract.status using errcode = 'GW409';
  end if;
  if v_me in (v_contract.proposed_by, v_contract.owner_id, v_contract.created_by) then
    raise exception 'Cannot decide on contract %: you %', v_contract.reference,
      case v_me when v_contract.proposed_by then 'proposed it' when v_contract.owner_id then 'own it' else 'created it' end
      using errcode = '42501';
  end if;
  if exists (select 1 from compliance.contract_approvals where contract_id = p_contract_id and round = v_contract.approval_round
             and approver_id = v_me and status in ('approved', 'rejected')) then
    raise exception 'Cannot decide on contract % twice in one round', v_contract.reference using errcode = 'GW409';
  end if;
  select r.key into v_role from public.members m join public.roles r on r.id = m.role_id where m.org_id = v_contract.org_id and m.user_id = v_me;
  -- The first pending step of this round; with an order of roles, it must be this approver's role.
  select * into v_step from compliance.contract_approvals
  where contract_id = p_contract_id and round = v_contract.approval_round and status = 'pending' order by step limit 1;
  if v_step.role_key is not null and v_step.role_key <> v_role then
    raise exception 'Cannot decide on contract % yet: step % waits for a % approval', v_contract.reference, v_step.step, v_step.role_key using errcode = 'GW409';
  end if;
  perform private.begin_trusted('compliance.workflow');
  update compliance.contract_approvals set status = case when p_approve then 'approved' else 'rejected' end, approver_id = v_me,
    comment = left(coalesce(p_comment, ''), 2000), decided_at = pg_catalog.now()
  where id = v_step.id;
  if not p_approve then
    update compliance.contract_approvals set status = 'withdrawn' where contract_id = p_contract_id and status = 'pending';
    update compliance.contracts set status = 'rejected', decided_at = pg_catalog.now() where id = p_contract_id returning * into v_contract;
  elsif not exists (select 1 from compliance.contract_approvals where contract_id = p_contract_id and round = v_contract.approval_round and status = 'pending') then
    update compliance.contracts set status = 'approved', decided_at = pg_catalog.now() where id = p_contract_id returning * into v_contract;
  end if;
  perform private.end_trusted('compliance.workflow');
  if v_contract.status in ('approved', 'rejected') then
    perform private.compliance_notify_all(array[v_contract.proposed_by, v_contract.owner_id] || array(
        select approver_id from compliance.contract_approvals where contract_id = p_contract_id and round = v_contract.approval_round),
      v_contract, 'compliance.contract_' || v_contract.status::text, format('Contract %s was %s', v_contract.reference, v_contract.status), coalesce(p_comment, ''));
  end if;
  return v_contract;
end
$$;
comment on function private.compliance_decide(uuid, boolean, text) is 'An approver approves or rejects a proposed contract with a comment: never their own (owner, proposer, creator), once per round, in the order of roles when the policy has one. Any rejection rejects; enough approvals in the round approve.';
revoke all on function private.compliance_decide(uuid, boolean, text) from public;
grant execute on function private.compliance_decide(uuid, boolean, text) to authenticated;

create or replace function private.compliance_move(p_contract_id uuid, p_to compliance.contract_status)
returns compliance.contracts
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_contract compliance.contracts := private.compliance_contract_for(p_contract_id, 'compliance.contracts.write', 'change');
begin
  if p_to not in ('active', 'terminated', 'draft', 'renewed') then
    raise exception 'Cannot move a contract to % by hand', p_to using errcode = '22023';
  end if;
  perform private.begin_trusted('compliance.workflow');
  update compliance.contracts set status = p_to where id = p_contract_id returning * into v_contract;
  perform private.end_trusted('compliance.workflow');
  return v_contract;
end
$$;
comment on function private.compliance_move(uuid, compliance.contract_status) is 'Activates an approved contract, terminates or renews an active one, or returns a rejected one to draft (the state machine decides what is legal).';
revoke all on function private.compliance_move(uuid, compliance.contract_status) from public;
grant execute on function private.compliance_move(uuid, compliance.contract_status) to authenticated;

-- Deadlines: of the thresholds already reached, only the nearest is sent (with the real number of
-- days left); the wider ones it overtook are recorded as passed. Then expiry.
create or replace function private.compliance_run_deadlines()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_due record;
  v_contract compliance.contracts;
  v_count integer := 0;
  v_today date := (private.now() at time zone 'UTC')::date;
begin
  for v_due in
    with due as (
      select c.id, k.kind, d.days, k.deadline
      from compliance.contracts c
      left join compliance.settings s on s.org_id = c.org_id
      cross join lateral (values ('end', c.end_date, coalesce(s.end_reminder_days, '{30,7}')),
                                 ('renewal_notice', c.renewal_notice_date, coalesce(s.renewal_reminder_days, '{14,1}'))) as k (kind, deadline, lead)
      cross join lateral unnest(k.lead) as d (days)
      where c.status = 'active' and k.deadline is not null and k.deadline >= v_today and k.deadline - d.days <= v_today
    ), fresh as (
      insert into compliance.contract_reminders (contract_id, kind, days) select id, kind, days from due
      on conflict do nothing
      returning contract_id, kind, days
    )
    select f.contract_id, f.kind, f.days, d.deadline
    from fresh f join due d on d.id = f.contract_id and d.kind = f.kind and d.days = f.days
    where f.days = (select min(n.days) from due n where n.id = f.contract_id and n.kind = f.kind)
  loop
    select * into v_contract from compliance.contracts where id = v_due.contract_id;
    perform private.compliance_notify_all(array[v_contract.owner_id] || array(select user_id from compliance.contract_assignees where contract_id = v_contract.id),
      v_contract, 'compliance.contract_deadline',
      format('%s of %s %s', case v_due.kind when 'end' then 'End' else 'Renewal notice deadline' end, v_contract.reference,
        case v_due.deadline - v_today when 0 then 'today' when 1 then 'tomorrow' else format('in %s days', v_due.deadline - v_today) end),
      format('%s (%s)', v_contract.title, v_due.deadline));
    v_count := v_count + 1;
  end loop;
  perform private.begin_trusted('compliance.workflow');
  update compliance.contracts set status = case when auto_renew then 'renewed'::compliance.contract_status else 'expired' end
  where status = 'active' and end_date < v_today;
  perform private.end_trusted('compliance.workflow');
  return v_count;
end
$$;
comment on function private.compliance_run_deadlines() is 'Sends the nearest due deadline reminder per contract and kind to owners and assignees (once; wider thresholds it overtook are skipped), and ends contracts past their end date (renewed when auto_renew, else expired). Daily by pg_cron.';
revoke all on function private.compliance_run_deadlines() from public;

-- ---------------------------------------------------------------------------------------------
-- Certifications: the database names the verifier
-- ---------------------------------------------------------------------------------------------

revoke update (verified_by) on compliance.certifications from authenticated;

create or replace function private.compliance_set_verifier()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_me uuid := auth.uid();
begin
  if tg_op = 'UPDATE' and new.verified_at is not distinct from old.verified_at and new.verified_by is not distinct from old.verified_by then
    return new;
  end if;
  if new.verified_at is null then
    new.verified_by := null;
  elsif v_me is not null then
    if v_me = new.user_id then
      raise exception 'Cannot verify your own certification' using errcode = '42501';
    end if;
    new.verified_by := v_me;
    new.verified_at := pg_catalog.now();
  end if;
  return new;
end
$$;
comment on function private.compliance_set_verifier() is 'Sets verified_by to the signed-in caller who verifies (verified_at now), clears it when unverified, and refuses self-verification. The service role and Studio may name the verifier (a member, by foreign key).';
revoke all on function private.compliance_set_verifier() from public;
create trigger set_verifier before insert or update of verified_at, verified_by on compliance.certifications
  for each row execute function private.compliance_set_verifier();
drop function private.compliance_approvers(uuid, uuid);

-- HR invites the people it onboards as members: whoever grants a role holds all of its
-- permissions, so HR holds a member's own-scope contract writing and booking too.
insert into private.system_role_grants (role_key, permission, scope) values
  ('hr', 'compliance.contracts.write', 'own'), ('hr', 'core.scheduling.book', 'own');
select private.install_system_roles(id) from public.organizations;
