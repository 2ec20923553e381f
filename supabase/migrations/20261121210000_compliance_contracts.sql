-- Compliance module, part 1: contracts with parties, owners and assignees, a status state machine
-- enforced by the database, approvals by policy (count, optionally in order of roles), deadline
-- reminders and expiry by pg_cron. Built only on the core: permissions and scoped policies,
-- documents links, notifications, audit.

create schema if not exists compliance;
comment on schema compliance is 'Compliance module: contracts and their approvals, training and certifications. Exposed through the Data API.';
grant usage on schema compliance to authenticated, service_role;

insert into public.permissions (key, module, description) values
  ('compliance.contracts.read', 'compliance', 'Read contracts in scope'),
  ('compliance.contracts.write', 'compliance', 'Create, edit, propose, activate, terminate contracts in scope'),
  ('compliance.contracts.approve', 'compliance', 'Approve or reject proposed contracts'),
  ('compliance.training.read', 'compliance', 'Read certification records in scope'),
  ('compliance.training.manage', 'compliance', 'Define certification types, record and verify certifications');

insert into private.system_roles (key, name, description, rank) values
  ('legal', 'Legal', 'Drafts, reviews and approves contracts across the organization', 65),
  ('hr', 'HR', 'Manages training and certifications across the organization', 65);

insert into private.system_role_grants (role_key, permission, scope) values
  ('owner', 'compliance.contracts.read', 'org'), ('owner', 'compliance.contracts.write', 'org'), ('owner', 'compliance.contracts.approve', 'org'),
  ('owner', 'compliance.training.read', 'org'), ('owner', 'compliance.training.manage', 'org'),
  ('admin', 'compliance.contracts.read', 'org'), ('admin', 'compliance.contracts.write', 'org'), ('admin', 'compliance.contracts.approve', 'org'),
  ('admin', 'compliance.training.read', 'org'), ('admin', 'compliance.training.manage', 'org'),
  ('executive', 'compliance.contracts.read', 'org'), ('executive', 'compliance.contracts.approve', 'org'), ('executive', 'compliance.training.read', 'org'),
  ('legal', 'compliance.contracts.read', 'org'), ('legal', 'compliance.contracts.write', 'org'), ('legal', 'compliance.contracts.approve', 'org'),
  ('legal', 'core.members.read', 'org'), ('legal', 'core.documents.read', 'org'), ('legal', 'core.documents.write', 'org'),
  ('legal', 'core.scheduling.read', 'org'),
  ('hr', 'compliance.training.read', 'org'), ('hr', 'compliance.training.manage', 'org'), ('hr', 'compliance.contracts.read', 'own'),
  ('hr', 'core.members.read', 'org'), ('hr', 'core.members.invite', 'org'), ('hr', 'core.documents.read', 'org'), ('hr', 'core.documents.write', 'own'),
  ('hr', 'core.scheduling.read', 'org'),
  ('manager', 'compliance.contracts.read', 'department'), ('manager', 'compliance.contracts.write', 'department'),
  ('manager', 'compliance.training.read', 'department'),
  ('member', 'compliance.contracts.read', 'own'), ('member', 'compliance.contracts.write', 'own'), ('member', 'compliance.training.read', 'own'),
  ('viewer', 'compliance.contracts.read', 'own'), ('viewer', 'compliance.training.read', 'own');
select private.install_system_roles(id) from public.organizations;

-- ISO 4217 currencies (as known to ICU).
create table compliance.currencies (code text primary key check (code ~ '^[A-Z]{3}$'));
comment on table compliance.currencies is 'ISO 4217 currency codes a contract value may use.';
insert into compliance.currencies (code) values ('AED'), ('AFN'), ('ALL'), ('AMD'), ('ANG'), ('AOA'), ('ARS'), ('AUD'), ('AWG'), ('AZN'), ('BAM'), ('BBD'), ('BDT'), ('BGN'), ('BHD'), ('BIF'), ('BMD'), ('BND'), ('BOB'), ('BRL'), ('BSD'), ('BTN'), ('BWP'), ('BYN'), ('BZD'), ('CAD'), ('CDF'), ('CHF'), ('CLP'), ('CNY'), ('COP'), ('CRC'), ('CUC'), ('CUP'), ('CVE'), ('CZK'), ('DJF'), ('DKK'), ('DOP'), ('DZD'), ('EGP'), ('ERN'), ('ETB'), ('EUR'), ('FJD'), ('FKP'), ('GBP'), ('GEL'), ('GHS'), ('GIP'), ('GMD'), ('GNF'), ('GTQ'), ('GYD'), ('HKD'), ('HNL'), ('HRK'), ('HTG'), ('HUF'), ('IDR'), ('ILS'), ('INR'), ('IQD'), ('IRR'), ('ISK'), ('JMD'), ('JOD'), ('JPY'), ('KES'), ('KGS'), ('KHR'), ('KMF'), ('KPW'), ('KRW'), ('KWD'), ('KYD'), ('KZT'), ('LAK'), ('LBP'), ('LKR'), ('LRD'), ('LSL'), ('LYD'), ('MAD'), ('MDL'), ('MGA'), ('MKD'), ('MMK'), ('MNT'), ('MOP'), ('MRU'), ('MUR'), ('MVR'), ('MWK'), ('MXN'), ('MYR'), ('MZN'), ('NAD'), ('NGN'), ('NIO'), ('NOK'), ('NPR'), ('NZD'), ('OMR'), ('PAB'), ('PEN'), ('PGK'), ('PHP'), ('PKR'), ('PLN'), ('PYG'), ('QAR'), ('RON'), ('RSD'), ('RUB'), ('RWF'), ('SAR'), ('SBD'), ('SCR'), ('SDG'), ('SEK'), ('SGD'), ('SHP'), ('SLE'), ('SLL'), ('SOS'), ('SRD'), ('SSP'), ('STN'), ('SVC'), ('SYP'), ('SZL'), ('THB'), ('TJS'), ('TMT'), ('TND'), ('TOP'), ('TRY'), ('TTD'), ('TWD'), ('TZS'), ('UAH'), ('UGX'), ('USD'), ('UYU'), ('UZS'), ('VES'), ('VND'), ('VUV'), ('WST'), ('XAF'), ('XCD'), ('XCG'), ('XDR'), ('XOF'), ('XPF'), ('XSU'), ('YER'), ('ZAR'), ('ZMW'), ('ZWG'), ('ZWL');
alter table compliance.currencies enable row level security;
revoke all on compliance.currencies from anon, authenticated;
grant select on compliance.currencies to authenticated;
create policy "Signed-in users read the currencies" on compliance.currencies for select to authenticated using (true);

create table compliance.settings (
  org_id uuid primary key references public.organizations (id) on delete cascade,
  end_reminder_days integer[] not null default '{30,7}',
  renewal_reminder_days integer[] not null default '{14,1}',
  certification_warning_days integer not null default 30,
  constraint settings_reminder_days_range check (0 < all (end_reminder_days) and 0 < all (renewal_reminder_days)
    and 365 >= all (end_reminder_days) and 365 >= all (renewal_reminder_days)),
  constraint settings_warning_range check (certification_warning_days between 1 and 365)
);
comment on table compliance.settings is 'Per organization: days before a contract''s end and renewal notice date when reminders go out, and how early a certification counts as expiring.';
alter table compliance.settings enable row level security;
revoke all on compliance.settings from anon, authenticated;
grant select, insert, update on compliance.settings to authenticated;
create policy "Members read their organization's compliance settings" on compliance.settings
  for select to authenticated using (org_id in (select private.member_org_ids()));
create policy "Admins add their organization's compliance settings" on compliance.settings
  for insert to authenticated with check (org_id in (select private.org_ids_with('core.org.manage')));
create policy "Admins change their organization's compliance settings" on compliance.settings
  for update to authenticated using (org_id in (select private.org_ids_with('core.org.manage')))
  with check (org_id in (select private.org_ids_with('core.org.manage')));
select audit.enable('compliance.settings', p_org_column => 'org_id');

create type compliance.contract_status as enum ('draft', 'proposed', 'approved', 'rejected', 'active', 'expired', 'terminated', 'renewed');
comment on type compliance.contract_status is 'draft → proposed → (approved | rejected) → active → (expired | terminated | renewed); rejected → draft for rework.';

create table compliance.contracts (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  reference text not null,
  title text not null,
  contract_type text not null default 'general',
  department_id uuid,
  owner_id uuid default auth.uid() references auth.users (id) on delete set null,
  value numeric(16, 2),
  currency text references compliance.currencies (code),
  start_date date not null,
  end_date date,
  renewal_notice_date date,
  auto_renew boolean not null default false,
  status compliance.contract_status not null default 'draft',
  proposed_by uuid references auth.users (id) on delete set null,
  proposed_at timestamptz,
  decided_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint contracts_reference_key unique (org_id, reference),
  constraint contracts_org_id_id_key unique (org_id, id),
  constraint contracts_reference_format check (reference ~ '^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$'),
  constraint contracts_title_length check (char_length(btrim(title)) between 1 and 300),
  constraint contracts_type_format check (contract_type ~ '^[a-z][a-z0-9_]{0,39}$'),
  constraint contracts_dates check (end_date is null or end_date > start_date),
  constraint contracts_renewal_notice check (renewal_notice_date is null or (end_date is not null and renewal_notice_date <= end_date)),
  constraint contracts_value_currency check ((value is null) = (currency is null) and (value is null or value >= 0)),
  constraint contracts_department_fkey foreign key (org_id, department_id) references public.departments (org_id, id) on delete set null (department_id)
);
create index contracts_department_idx on compliance.contracts (org_id, department_id);
create index contracts_owner_idx on compliance.contracts (owner_id);
create index contracts_proposed_by_idx on compliance.contracts (proposed_by);
create index contracts_currency_idx on compliance.contracts (currency);
create index contracts_end_idx on compliance.contracts (end_date) where status = 'active';
comment on table compliance.contracts is 'Contracts of an organization: parties, owner and assignees, value, term, renewal, and a status only the workflow functions move.';
comment on column compliance.contracts.reference is 'Reference number, unique per organization.';
comment on column compliance.contracts.renewal_notice_date is 'Last day to give notice of (non-)renewal; reminders go out before it.';

create trigger touch_updated_at before update on compliance.contracts for each row execute function private.touch_updated_at();

create table compliance.contract_parties (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null,
  contract_id uuid not null,
  kind text not null,
  department_id uuid,
  name text not null,
  contact_name text,
  email text,
  phone text,
  created_at timestamptz not null default now(),
  constraint contract_parties_kind_values check (kind in ('internal', 'external')),
  constraint contract_parties_internal_department check ((kind = 'internal') = (department_id is not null)),
  constraint contract_parties_email_format check (email is null or email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  constraint contract_parties_contract_fkey foreign key (org_id, contract_id) references compliance.contracts (org_id, id) on delete cascade,
  constraint contract_parties_department_fkey foreign key (org_id, department_id) references public.departments (org_id, id)
);
create index contract_parties_contract_idx on compliance.contract_parties (org_id, contract_id);
create index contract_parties_department_idx on compliance.contract_parties (org_id, department_id);
comment on table compliance.contract_parties is 'Who a contract binds: internal departments, and external counterparties with contact details.';

create table compliance.contract_assignees (
  org_id uuid not null,
  contract_id uuid not null,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (contract_id, user_id),
  constraint contract_assignees_contract_fkey foreign key (org_id, contract_id) references compliance.contracts (org_id, id) on delete cascade
);
create index contract_assignees_user_idx on compliance.contract_assignees (user_id);
create index contract_assignees_org_contract_idx on compliance.contract_assignees (org_id, contract_id);
comment on table compliance.contract_assignees is 'Users assigned to a contract: they see it (own scope) and get its reminders.';

create table compliance.contract_departments (
  org_id uuid not null,
  contract_id uuid not null,
  department_id uuid not null,
  primary key (contract_id, department_id),
  constraint contract_departments_contract_fkey foreign key (org_id, contract_id) references compliance.contracts (org_id, id) on delete cascade,
  constraint contract_departments_department_fkey foreign key (org_id, department_id) references public.departments (org_id, id) on delete cascade
);
create index contract_departments_org_department_idx on compliance.contract_departments (org_id, department_id);
create index contract_departments_org_contract_idx on compliance.contract_departments (org_id, contract_id);
comment on table compliance.contract_departments is 'Departments assigned to a contract: department-scoped readers of those departments see it.';

create table compliance.approval_policies (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  contract_type text not null default '*',
  required_approvals integer not null default 1,
  role_order text[],
  created_at timestamptz not null default now(),
  constraint approval_policies_type_key unique (org_id, contract_type),
  constraint approval_policies_count check (required_approvals between 1 and 5),
  constraint approval_policies_order_matches check (role_order is null or cardinality(role_order) = required_approvals)
);
comment on table compliance.approval_policies is 'How many approvals a contract type needs (* for every type without its own), optionally one per step from the roles in role_order, in order.';
create index approval_policies_org_idx on compliance.approval_policies (org_id);

create table compliance.contract_approvals (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null,
  contract_id uuid not null,
  step integer not null,
  role_key text,
  status text not null default 'pending',
  approver_id uuid references auth.users (id) on delete set null,
  comment text not null default '',
  decided_at timestamptz,
  created_at timestamptz not null default now(),
  constraint contract_approvals_status_values check (status in ('pending', 'approved', 'rejected', 'withdrawn')),
  constraint contract_approvals_decided check ((status in ('approved', 'rejected')) = (decided_at is not null and approver_id is not null)),
  constraint contract_approvals_contract_fkey foreign key (org_id, contract_id) references compliance.contracts (org_id, id) on delete cascade
);
create index contract_approvals_contract_idx on compliance.contract_approvals (org_id, contract_id, step);
create index contract_approvals_approver_idx on compliance.contract_approvals (approver_id);
comment on table compliance.contract_approvals is 'The approvals a proposal needs (one row per step) and who decided them; written only by the workflow functions.';

create table compliance.contract_reminders (
  contract_id uuid not null references compliance.contracts (id) on delete cascade,
  kind text not null,
  days integer not null,
  sent_at timestamptz not null default now(),
  primary key (contract_id, kind, days),
  constraint contract_reminders_kind_values check (kind in ('end', 'renewal_notice'))
);
comment on table compliance.contract_reminders is 'Deadline reminders already sent, once per contract, kind and lead time.';
alter table compliance.contract_reminders enable row level security;
revoke all on compliance.contract_reminders from anon, authenticated;

-- ---------------------------------------------------------------------------------------------
-- Visibility: own (owner or assignee), department (the contract's or an assigned department), org.
-- ---------------------------------------------------------------------------------------------

create or replace function private.compliance_assigned_contract_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query
    select a.contract_id from compliance.contract_assignees a where a.user_id = auth.uid()
    union
    select d.contract_id from compliance.contract_departments d
    where d.department_id in (select private.department_ids_with('compliance.contracts.read'));
end
$$;
comment on function private.compliance_assigned_contract_ids() is 'Contracts the current user is assigned to, or whose assigned departments they reach with a department-scoped grant.';
revoke all on function private.compliance_assigned_contract_ids() from public;
grant execute on function private.compliance_assigned_contract_ids() to authenticated;

alter table compliance.contracts enable row level security;
revoke all on compliance.contracts from anon, authenticated;
grant select on compliance.contracts to authenticated;
grant insert (org_id, reference, title, contract_type, department_id, value, currency, start_date, end_date, renewal_notice_date, auto_renew)
  on compliance.contracts to authenticated;
grant update (reference, title, contract_type, department_id, value, currency, start_date, end_date, renewal_notice_date, auto_renew)
  on compliance.contracts to authenticated;

create policy "Members with compliance.contracts.read read contracts in their scope" on compliance.contracts
  for select to authenticated
  using (
    org_id in (select private.org_ids_with('compliance.contracts.read'))
    or department_id in (select private.department_ids_with('compliance.contracts.read'))
    or (org_id in (select private.org_ids_with('compliance.contracts.read', 'own'))
        and (owner_id = (select auth.uid()) or id in (select private.compliance_assigned_contract_ids())))
  );
create policy "Members with compliance.contracts.write add contracts they own" on compliance.contracts
  for insert to authenticated
  with check (owner_id = (select auth.uid()) and status = 'draft'
              and org_id in (select private.org_ids_with('compliance.contracts.write', 'own')));
create policy "Members with compliance.contracts.write change drafts in their scope" on compliance.contracts
  for update to authenticated
  using (
    status = 'draft' and (
      org_id in (select private.org_ids_with('compliance.contracts.write'))
      or department_id in (select private.department_ids_with('compliance.contracts.write'))
      or (owner_id = (select auth.uid()) and org_id in (select private.org_ids_with('compliance.contracts.write', 'own'))))
  )
  with check (org_id in (select private.org_ids_with('compliance.contracts.write', 'own')));
create policy "Organizations requiring MFA demand aal2 to read contracts" on compliance.contracts
  as restrictive for select to authenticated using (org_id not in (select private.mfa_blocked_org_ids()));
create policy "Organizations requiring MFA demand aal2 to add contracts" on compliance.contracts
  as restrictive for insert to authenticated with check (org_id not in (select private.mfa_blocked_org_ids()));
create policy "Organizations requiring MFA demand aal2 to change contracts" on compliance.contracts
  as restrictive for update to authenticated using (org_id not in (select private.mfa_blocked_org_ids()));

-- Parts of a contract follow it: readable with it, writable while it is a draft its writer may change.
create or replace function private.compliance_can_edit_contract(p_contract_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_contract compliance.contracts;
begin
  select * into v_contract from compliance.contracts where id = p_contract_id;
  return v_contract.id is not null and v_contract.status = 'draft'
    and v_contract.org_id not in (select private.mfa_blocked_org_ids())
    and private.reaches(v_contract.org_id, 'compliance.contracts.write', v_contract.department_id, v_contract.owner_id = auth.uid());
end
$$;
comment on function private.compliance_can_edit_contract(uuid) is 'Whether the current user may edit this contract''s parts: it is a draft and they hold compliance.contracts.write over it.';
revoke all on function private.compliance_can_edit_contract(uuid) from public;
grant execute on function private.compliance_can_edit_contract(uuid) to authenticated;

alter table compliance.contract_parties enable row level security;
alter table compliance.contract_assignees enable row level security;
alter table compliance.contract_departments enable row level security;
do $$
declare
  v_table text;
begin
  foreach v_table in array array['contract_parties', 'contract_assignees', 'contract_departments'] loop
    execute format('revoke all on compliance.%I from anon, authenticated', v_table);
    execute format('grant select, insert, delete on compliance.%I to authenticated', v_table);
    execute format('create policy %I on compliance.%I for select to authenticated using (contract_id in (select c.id from compliance.contracts c where c.org_id = %I.org_id))',
      'Readers of a contract read its ' || replace(v_table, 'contract_', ''), v_table, v_table);
    execute format('create policy %I on compliance.%I for insert to authenticated with check (private.compliance_can_edit_contract(contract_id))',
      'Editors of a draft add its ' || replace(v_table, 'contract_', ''), v_table);
    execute format('create policy %I on compliance.%I for delete to authenticated using (private.compliance_can_edit_contract(contract_id))',
      'Editors of a draft remove its ' || replace(v_table, 'contract_', ''), v_table);
    perform audit.enable(format('compliance.%I', v_table)::regclass);
  end loop;
end
$$;
grant update (name, contact_name, email, phone) on compliance.contract_parties to authenticated;
create policy "Editors of a draft change its parties" on compliance.contract_parties
  for update to authenticated using (private.compliance_can_edit_contract(contract_id)) with check (private.compliance_can_edit_contract(contract_id));

alter table compliance.contract_approvals enable row level security;
revoke all on compliance.contract_approvals from anon, authenticated;
grant select on compliance.contract_approvals to authenticated;
create policy "Readers of a contract and approvers read its approvals" on compliance.contract_approvals
  for select to authenticated
  using (contract_id in (select c.id from compliance.contracts c where c.org_id = contract_approvals.org_id)
         or org_id in (select private.org_ids_with('compliance.contracts.approve')));

alter table compliance.approval_policies enable row level security;
revoke all on compliance.approval_policies from anon, authenticated;
grant select, insert, update, delete on compliance.approval_policies to authenticated;
select private.create_scoped_policies('compliance.approval_policies', 'membership', 'core.org.manage');

select audit.enable('compliance.contracts');
select audit.enable('compliance.contract_approvals');
select audit.enable('compliance.approval_policies');
select private.enable_document_links('compliance.contracts');

-- ---------------------------------------------------------------------------------------------
-- The state machine and the approval workflow
-- ---------------------------------------------------------------------------------------------

create or replace function private.compliance_check_transition()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.status is distinct from old.status and not (
    (old.status, new.status) in (('draft', 'proposed'), ('proposed', 'approved'), ('proposed', 'rejected'), ('approved', 'active'),
      ('active', 'expired'), ('active', 'terminated'), ('active', 'renewed'), ('rejected', 'draft'))
  ) then
    raise exception 'Cannot move contract % from % to %', old.reference, old.status, new.status using errcode = '23514';
  end if;
  if new.status is distinct from old.status and current_setting('groundwork.compliance_workflow', true) is distinct from 'on' then
    raise exception 'Cannot change the status of contract % directly: use the workflow', old.reference using errcode = '42501';
  end if;
  return new;
end
$$;
comment on function private.compliance_check_transition() is 'Enforces draft → proposed → (approved | rejected) → active → (expired | terminated | renewed), rejected → draft; only the workflow functions move a status.';
create trigger check_transition before update of status on compliance.contracts
  for each row execute function private.compliance_check_transition();

-- The contract a workflow step acts on, locked, with the step's status change enabled.
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
  perform set_config('groundwork.compliance_workflow', 'on', true);
  return v_contract;
end
$$;
comment on function private.compliance_contract_for(uuid, text, text) is 'Locks the contract a workflow step acts on when the caller holds the permission over it; 404 otherwise.';

-- Everyone who holds compliance.contracts.approve in the organization, but the proposer.
create or replace function private.compliance_approvers(p_org_id uuid, p_except uuid)
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select distinct a.user_id from private.access a
  where a.org_id = p_org_id and a.permission = 'compliance.contracts.approve' and a.user_id is distinct from p_except
$$;
comment on function private.compliance_approvers(uuid, uuid) is 'Members who may approve contracts in the organization (the proposer excepted).';

create or replace function private.compliance_notify_all(p_users uuid[], p_contract compliance.contracts, p_type text, p_title text, p_body text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user uuid;
begin
  foreach v_user in array (select array_agg(distinct u) from unnest(p_users) u where u is not null) loop
    perform private.notify(v_user, p_type, p_title, p_body, null, jsonb_build_object('contract_id', p_contract.id, 'reference', p_contract.reference),
      p_contract.org_id, 'normal', null, null);
  end loop;
end
$$;
comment on function private.compliance_notify_all(uuid[], compliance.contracts, text, text, text) is 'Notifies each of the users once about a contract (in-app and email, as their preferences say).';

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
  update compliance.contract_approvals set status = 'withdrawn' where contract_id = p_contract_id and status = 'pending';
  insert into compliance.contract_approvals (org_id, contract_id, step, role_key)
  select v_contract.org_id, p_contract_id, s, v_policy.role_order[s] from generate_series(1, coalesce(v_policy.required_approvals, 1)) s;
  update compliance.contracts set status = 'proposed', proposed_by = auth.uid(), proposed_at = pg_catalog.now(), decided_at = null
  where id = p_contract_id returning * into v_contract;
  perform private.compliance_notify_all(array(select private.compliance_approvers(v_contract.org_id, auth.uid())), v_contract,
    'compliance.contract_proposed', format('Approval needed: %s (%s)', v_contract.title, v_contract.reference), 'A contract waits for your approval.');
  return v_contract;
end
$$;
comment on function private.compliance_propose(uuid) is 'Proposes a draft: creates the approvals its policy requires and notifies the approvers.';

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
begin
  select * into v_contract from compliance.contracts where id = p_contract_id for update;
  if v_contract.id is null or not private.has_permission(v_contract.org_id, 'compliance.contracts.approve', 'org')
     or v_contract.org_id in (select private.mfa_blocked_org_ids()) then
    raise exception 'Cannot decide on contract %: no such contract you may approve', p_contract_id using errcode = 'P0002';
  end if;
  if v_contract.status <> 'proposed' then
    raise exception 'Cannot decide on contract %: it is %', v_contract.reference, v_contract.status using errcode = 'GW409';
  end if;
  if v_contract.proposed_by = auth.uid() then
    raise exception 'Cannot approve your own proposal of contract %', v_contract.reference using errcode = '42501';
  end if;
  if exists (select 1 from compliance.contract_approvals where contract_id = p_contract_id and approver_id = auth.uid() and status in ('approved', 'rejected')) then
    raise exception 'Cannot decide on contract % twice', v_contract.reference using errcode = 'GW409';
  end if;
  select r.key into v_role from public.members m join public.roles r on r.id = m.role_id where m.org_id = v_contract.org_id and m.user_id = auth.uid();
  -- The first pending step; with an order of roles, it must be this approver's role.
  select * into v_step from compliance.contract_approvals where contract_id = p_contract_id and status = 'pending' order by step limit 1;
  if v_step.role_key is not null and v_step.role_key <> v_role then
    raise exception 'Cannot decide on contract % yet: step % waits for a % approval', v_contract.reference, v_step.step, v_step.role_key using errcode = 'GW409';
  end if;
  perform set_config('groundwork.compliance_workflow', 'on', true);
  update compliance.contract_approvals set status = case when p_approve then 'approved' else 'rejected' end, approver_id = auth.uid(),
    comment = left(coalesce(p_comment, ''), 2000), decided_at = pg_catalog.now()
  where id = v_step.id;
  if not p_approve then
    update compliance.contract_approvals set status = 'withdrawn' where contract_id = p_contract_id and status = 'pending';
    update compliance.contracts set status = 'rejected', decided_at = pg_catalog.now() where id = p_contract_id returning * into v_contract;
  elsif not exists (select 1 from compliance.contract_approvals where contract_id = p_contract_id and status = 'pending') then
    update compliance.contracts set status = 'approved', decided_at = pg_catalog.now() where id = p_contract_id returning * into v_contract;
  end if;
  if v_contract.status in ('approved', 'rejected') then
    perform private.compliance_notify_all(array[v_contract.proposed_by, v_contract.owner_id] || array(select approver_id from compliance.contract_approvals where contract_id = p_contract_id),
      v_contract, 'compliance.contract_' || v_contract.status::text, format('Contract %s was %s', v_contract.reference, v_contract.status), coalesce(p_comment, ''));
  end if;
  return v_contract;
end
$$;
comment on function private.compliance_decide(uuid, boolean, text) is 'An approver approves or rejects a proposed contract with a comment: not their own proposal, not twice, in the order of roles when the policy has one. Any rejection rejects; enough approvals approve.';

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
  update compliance.contracts set status = p_to where id = p_contract_id returning * into v_contract;
  return v_contract;
end
$$;
comment on function private.compliance_move(uuid, compliance.contract_status) is 'Activates an approved contract, terminates or renews an active one, or returns a rejected one to draft (the state machine decides what is legal).';

-- Deadlines: reminders before the end and the renewal notice date, once each; expiry.
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
  perform set_config('groundwork.compliance_workflow', 'on', true);
  for v_due in
    with due as (
      select c.id, k.kind, d.days
      from compliance.contracts c
      left join compliance.settings s on s.org_id = c.org_id
      cross join lateral (values ('end', c.end_date, coalesce(s.end_reminder_days, '{30,7}')),
                                 ('renewal_notice', c.renewal_notice_date, coalesce(s.renewal_reminder_days, '{14,1}'))) as k (kind, deadline, lead)
      cross join lateral unnest(k.lead) as d (days)
      where c.status = 'active' and k.deadline is not null and k.deadline >= v_today and k.deadline - d.days <= v_today
    )
    insert into compliance.contract_reminders (contract_id, kind, days) select id, kind, days from due
    on conflict do nothing
    returning contract_id, kind, days
  loop
    select * into v_contract from compliance.contracts where id = v_due.contract_id;
    perform private.compliance_notify_all(array[v_contract.owner_id] || array(select user_id from compliance.contract_assignees where contract_id = v_contract.id),
      v_contract, 'compliance.contract_deadline',
      format('%s of %s in %s days', case v_due.kind when 'end' then 'End' else 'Renewal notice deadline' end, v_contract.reference, v_due.days),
      format('%s (%s)', v_contract.title, case v_due.kind when 'end' then v_contract.end_date else v_contract.renewal_notice_date end));
    v_count := v_count + 1;
  end loop;
  update compliance.contracts set status = case when auto_renew then 'renewed'::compliance.contract_status else 'expired' end
  where status = 'active' and end_date < v_today;
  return v_count;
end
$$;
comment on function private.compliance_run_deadlines() is 'Sends due deadline reminders to owners and assignees once each, and ends contracts past their end date (renewed when auto_renew, else expired). Daily by pg_cron.';

revoke all on function private.compliance_check_transition(), private.compliance_contract_for(uuid, text, text), private.compliance_approvers(uuid, uuid),
  private.compliance_notify_all(uuid[], compliance.contracts, text, text, text), private.compliance_propose(uuid),
  private.compliance_decide(uuid, boolean, text), private.compliance_move(uuid, compliance.contract_status), private.compliance_run_deadlines() from public;
grant execute on function private.compliance_propose(uuid), private.compliance_decide(uuid, boolean, text),
  private.compliance_move(uuid, compliance.contract_status) to authenticated;

-- The workflow for supabase-js (security invoker: the private functions check the caller).
create or replace function compliance.propose_contract(p_contract_id uuid) returns compliance.contracts
language sql security invoker set search_path = '' as $$ select * from private.compliance_propose(p_contract_id) $$;
create or replace function compliance.approve_contract(p_contract_id uuid, p_comment text default '') returns compliance.contracts
language sql security invoker set search_path = '' as $$ select * from private.compliance_decide(p_contract_id, true, p_comment) $$;
create or replace function compliance.reject_contract(p_contract_id uuid, p_comment text) returns compliance.contracts
language sql security invoker set search_path = '' as $$ select * from private.compliance_decide(p_contract_id, false, p_comment) $$;
create or replace function compliance.activate_contract(p_contract_id uuid) returns compliance.contracts
language sql security invoker set search_path = '' as $$ select * from private.compliance_move(p_contract_id, 'active') $$;
create or replace function compliance.terminate_contract(p_contract_id uuid) returns compliance.contracts
language sql security invoker set search_path = '' as $$ select * from private.compliance_move(p_contract_id, 'terminated') $$;
create or replace function compliance.renew_contract(p_contract_id uuid) returns compliance.contracts
language sql security invoker set search_path = '' as $$ select * from private.compliance_move(p_contract_id, 'renewed') $$;
create or replace function compliance.rework_contract(p_contract_id uuid) returns compliance.contracts
language sql security invoker set search_path = '' as $$ select * from private.compliance_move(p_contract_id, 'draft') $$;
comment on function compliance.propose_contract(uuid) is 'Proposes a draft contract for approval.';
comment on function compliance.approve_contract(uuid, text) is 'Approves a proposed contract (not your own).';
comment on function compliance.reject_contract(uuid, text) is 'Rejects a proposed contract with a comment.';
comment on function compliance.activate_contract(uuid) is 'Activates an approved contract.';
comment on function compliance.terminate_contract(uuid) is 'Terminates an active contract.';
comment on function compliance.renew_contract(uuid) is 'Marks an active contract renewed.';
comment on function compliance.rework_contract(uuid) is 'Returns a rejected contract to draft.';
revoke all on function compliance.propose_contract(uuid), compliance.approve_contract(uuid, text), compliance.reject_contract(uuid, text),
  compliance.activate_contract(uuid), compliance.terminate_contract(uuid), compliance.renew_contract(uuid), compliance.rework_contract(uuid) from public, anon;
grant execute on function compliance.propose_contract(uuid), compliance.approve_contract(uuid, text), compliance.reject_contract(uuid, text),
  compliance.activate_contract(uuid), compliance.terminate_contract(uuid), compliance.renew_contract(uuid), compliance.rework_contract(uuid) to authenticated;

select cron.schedule('groundwork-compliance-deadlines', '30 6 * * *', 'select private.compliance_run_deadlines()');

-- The service role reaches this schema as it reaches public (Supabase grants it there by default).
grant all on all tables in schema compliance to service_role;
alter default privileges for role postgres in schema compliance grant all on tables to service_role;
