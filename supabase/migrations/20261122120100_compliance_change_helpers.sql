-- Compliance: the helper that loads the contract a workflow step changes takes the one name such
-- helpers have (<entity>_for_change): private.compliance_contract_for becomes
-- private.compliance_contract_for_change, and the steps that call it are redefined with it.
-- Behaviour is unchanged. Tables: none. Permissions: none.

-- Helpers
create or replace function private.compliance_contract_for_change(p_contract_id uuid, p_permission text, p_action text)
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
comment on function private.compliance_contract_for_change(uuid, text, text) is 'Locks the contract a workflow step acts on when the caller holds the permission over it; 404 otherwise.';
revoke all on function private.compliance_contract_for_change(uuid, text, text) from public;

-- Workflows
create or replace function private.compliance_propose(p_contract_id uuid)
returns compliance.contracts
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_contract compliance.contracts := private.compliance_contract_for_change(
    p_contract_id => p_contract_id, p_permission => 'compliance.contracts.write', p_action => 'propose');
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

create or replace function private.compliance_move(p_contract_id uuid, p_to compliance.contract_status)
returns compliance.contracts
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_contract compliance.contracts := private.compliance_contract_for_change(
    p_contract_id => p_contract_id, p_permission => 'compliance.contracts.write', p_action => 'change');
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

drop function private.compliance_contract_for(uuid, text, text);
