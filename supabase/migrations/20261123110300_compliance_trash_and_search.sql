-- Compliance adopts the core's trash and search: contracts go to the trash with their parties, assignees,
-- departments and approvals, vanish from every read for everyone but who may restore them, and are
-- purged after the organization's retention. Deadline reminders and expiry skip trashed contracts.
-- Contracts are found by public.search through their reference, title, type and parties.
-- Tables: compliance.contracts and its four child tables gain deleted_at, deleted_by.
-- Permissions: compliance.contracts.delete (owner, admin, legal at org scope; managers in their
-- departments; members and HR their own).

-- Permissions and roles
insert into public.permissions (key, module, description) values
  ('compliance.contracts.delete', 'compliance', 'Move contracts to the trash, see the trash and restore from it, in scope');
insert into private.system_role_grants (role_key, permission, scope) values
  ('owner', 'compliance.contracts.delete', 'org'), ('admin', 'compliance.contracts.delete', 'org'),
  ('legal', 'compliance.contracts.delete', 'org'), ('manager', 'compliance.contracts.delete', 'department'),
  ('member', 'compliance.contracts.delete', 'own'),
  -- own scope also to HR, which invites members: whoever grants a role holds its permissions
  ('hr', 'compliance.contracts.delete', 'own');
select private.install_system_roles(id) from public.organizations;

-- Tables
select private.enable_soft_delete('compliance.contracts', 'compliance.contract', 'compliance.contracts.delete',
  array['compliance.contract_parties.contract_id', 'compliance.contract_assignees.contract_id',
        'compliance.contract_departments.contract_id', 'compliance.contract_approvals.contract_id'],
  p_department_column => 'department_id', p_owner_column => 'owner_id');

-- Search: contracts by reference, title and type, and by their parties' names and addresses.
select private.enable_search('compliance.contracts', 'compliance.contract', 'compliance.contracts.read', '{"reference": "A", "title": "A", "contract_type": "C"}',
  p_fuzzy_columns => array['reference', 'title'], p_title_column => 'title');
select private.enable_search('compliance.contract_parties', 'compliance.contract', 'compliance.contracts.read', '{"name": "B", "contact_name": "C", "email": "C"}',
  p_fuzzy_columns => array['name', 'email'], p_record_column => 'contract_id');

-- Helpers
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
      where c.status = 'active' and c.deleted_at is null and k.deadline is not null and k.deadline >= v_today and k.deadline - d.days <= v_today
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
  where status = 'active' and deleted_at is null and end_date < v_today;
  perform private.end_trusted('compliance.workflow');
  return v_count;
end
$$;
comment on function private.compliance_run_deadlines() is 'Sends each contract deadline reminder once (only the nearest threshold reached), then expires or renews contracts past their end date; trashed contracts are skipped.';
revoke all on function private.compliance_run_deadlines() from public;
