-- Compliance module, part 2: training and certifications with expiry tracking, reminders and an
-- HR digest; and the dashboard queries (security invoker: RLS decides what each caller counts).

create table compliance.certification_types (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  name text not null,
  description text not null default '',
  validity_months integer,
  required_role_keys text[] not null default '{}',
  required_department_ids uuid[] not null default '{}',
  created_at timestamptz not null default now(),
  constraint certification_types_name_key unique (org_id, name),
  constraint certification_types_org_id_id_key unique (org_id, id),
  constraint certification_types_name_length check (char_length(btrim(name)) between 1 and 200),
  constraint certification_types_validity_range check (validity_months is null or validity_months between 1 and 240)
);
comment on table compliance.certification_types is 'A certification or training (e.g. Fire safety): how long it stays valid (null: no expiry) and which roles or departments must hold it.';

create table compliance.certifications (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null,
  user_id uuid not null,
  type_id uuid not null,
  completed_on date not null,
  expires_on date,
  issuer text not null default '',
  evidence_document_id uuid,
  recorded_by uuid default auth.uid() references auth.users (id) on delete set null,
  verified_by uuid references auth.users (id) on delete set null,
  verified_at timestamptz,
  created_at timestamptz not null default now(),
  constraint certifications_verified check ((verified_by is null) = (verified_at is null)),
  constraint certifications_type_fkey foreign key (org_id, type_id) references compliance.certification_types (org_id, id) on delete cascade,
  constraint certifications_member_fkey foreign key (org_id, user_id) references public.members (org_id, user_id) on delete cascade,
  constraint certifications_evidence_fkey foreign key (org_id, evidence_document_id) references public.documents (org_id, id) on delete set null (evidence_document_id)
);
create index certifications_member_idx on compliance.certifications (org_id, user_id, type_id, expires_on desc);
create index certifications_type_idx on compliance.certifications (org_id, type_id);
create index certifications_evidence_idx on compliance.certifications (org_id, evidence_document_id);
create index certifications_recorded_by_idx on compliance.certifications (recorded_by);
create index certifications_verified_by_idx on compliance.certifications (verified_by);
comment on table compliance.certifications is 'A member''s certification record: completed on, expires on (computed from the type''s validity), issuer, evidence document, verification.';

create or replace function private.compliance_set_expiry()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_months integer;
begin
  select validity_months into v_months from compliance.certification_types where id = new.type_id;
  new.expires_on := case when v_months is null then null else (new.completed_on + make_interval(months => v_months))::date end;
  return new;
end
$$;
comment on function private.compliance_set_expiry() is 'Computes expires_on from completed_on and the type''s validity.';
create trigger set_expiry before insert or update of completed_on, type_id on compliance.certifications
  for each row execute function private.compliance_set_expiry();

create table compliance.certification_reminders (
  certification_id uuid not null references compliance.certifications (id) on delete cascade,
  threshold text not null,
  sent_at timestamptz not null default now(),
  primary key (certification_id, threshold),
  constraint certification_reminders_threshold_values check (threshold in ('expiring', 'expired'))
);
comment on table compliance.certification_reminders is 'Expiry reminders already sent, once per certification and threshold.';
alter table compliance.certification_reminders enable row level security;
revoke all on compliance.certification_reminders from anon, authenticated;

-- Visibility: a member their own, managers their department's, HR (training.read at org) all.
alter table compliance.certification_types enable row level security;
alter table compliance.certifications enable row level security;
revoke all on compliance.certification_types, compliance.certifications from anon, authenticated;
grant select, insert, update, delete on compliance.certification_types to authenticated;
grant select, delete on compliance.certifications to authenticated;
grant insert (org_id, user_id, type_id, completed_on, issuer, evidence_document_id) on compliance.certifications to authenticated;
grant update (completed_on, issuer, evidence_document_id, verified_by, verified_at) on compliance.certifications to authenticated;
select private.create_scoped_policies('compliance.certification_types', 'membership', 'compliance.training.manage');

create or replace function private.compliance_training_user_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query
    select m.user_id from public.members m where m.department_id in (select private.department_ids_with('compliance.training.read'))
    union
    select auth.uid() where exists (select 1 from private.access a where a.user_id = auth.uid() and a.permission = 'compliance.training.read');
end
$$;
comment on function private.compliance_training_user_ids() is 'Members whose certifications the current user reads below org scope: their department''s (department scope) and themself (own scope).';
revoke all on function private.compliance_training_user_ids() from public;
grant execute on function private.compliance_training_user_ids() to authenticated, service_role;

create policy "Members with compliance.training.read read certifications in their scope" on compliance.certifications
  for select to authenticated
  using (org_id in (select private.org_ids_with('compliance.training.read')) or user_id in (select private.compliance_training_user_ids()));
create policy "Members with compliance.training.manage record certifications" on compliance.certifications
  for insert to authenticated with check (org_id in (select private.org_ids_with('compliance.training.manage')));
create policy "Members with compliance.training.manage change and verify certifications" on compliance.certifications
  for update to authenticated
  using (org_id in (select private.org_ids_with('compliance.training.manage')))
  with check (org_id in (select private.org_ids_with('compliance.training.manage')));
create policy "Members with compliance.training.manage remove certifications" on compliance.certifications
  for delete to authenticated using (org_id in (select private.org_ids_with('compliance.training.manage')));
create policy "Organizations requiring MFA demand aal2 to read certifications" on compliance.certifications
  as restrictive for select to authenticated using (org_id not in (select private.mfa_blocked_org_ids()));

select audit.enable('compliance.certification_types');
select audit.enable('compliance.certifications');

-- Status per member and requirement: valid, expiring_soon, expired, missing.
create view compliance.certification_status with (security_invoker = true) as
  with required as (
    select m.org_id, m.user_id, m.department_id, t.id as type_id, t.name as type_name
    from public.members m
    join public.roles r on r.id = m.role_id
    join compliance.certification_types t on t.org_id = m.org_id
      and (r.key = any (t.required_role_keys) or m.department_id = any (t.required_department_ids))
    where m.status = 'active'
      -- API users see their training scope; the service role and Studio (postgres) see everyone.
      and (current_user not in ('authenticated', 'anon')
           or m.org_id in (select private.org_ids_with('compliance.training.read')) or m.user_id in (select private.compliance_training_user_ids()))
  ), latest as (
    select distinct on (c.user_id, c.type_id) c.user_id, c.type_id, c.completed_on, c.expires_on, c.verified_at
    from compliance.certifications c
    order by c.user_id, c.type_id, c.expires_on desc nulls first, c.completed_on desc
  )
  select q.org_id, q.user_id, q.department_id, q.type_id, q.type_name, l.completed_on, l.expires_on, l.verified_at,
    case
      when l.user_id is null then 'missing'
      when l.expires_on is not null and l.expires_on < (private.now() at time zone 'UTC')::date then 'expired'
      when l.expires_on is not null and l.expires_on <= (private.now() at time zone 'UTC')::date
        + coalesce((select s.certification_warning_days from compliance.settings s where s.org_id = q.org_id), 30) then 'expiring_soon'
      else 'valid'
    end as status
  from required q
  left join latest l on l.user_id = q.user_id and l.type_id = q.type_id;
comment on view compliance.certification_status is 'Per member and required certification: valid, expiring_soon (within the organization''s warning window), expired or missing. Rows follow the reader''s training scope.';
revoke all on compliance.certification_status from anon, authenticated;
grant select on compliance.certification_status to authenticated, service_role;

-- Reminders (member and their department's managers, once per threshold) and the HR digest.
create or replace function private.compliance_run_certification_reminders()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_due record;
  v_count integer := 0;
  v_today date := (private.now() at time zone 'UTC')::date;
begin
  for v_due in
    with latest as (
      select distinct on (c.user_id, c.type_id) c.* from compliance.certifications c where c.expires_on is not null
      order by c.user_id, c.type_id, c.expires_on desc
    ), due as (
      select l.id, case when l.expires_on < v_today then 'expired' else 'expiring' end as threshold
      from latest l left join compliance.settings s on s.org_id = l.org_id
      where l.expires_on <= v_today + coalesce(s.certification_warning_days, 30)
    )
    insert into compliance.certification_reminders (certification_id, threshold) select id, threshold from due
    on conflict do nothing
    returning certification_id, threshold
  loop
    perform private.notify(u.user_id, 'compliance.certification_' || v_due.threshold,
        format('%s %s %s', t.name, case when v_due.threshold = 'expired' then 'expired on' else 'expires on' end, c.expires_on),
        '', null, jsonb_build_object('certification_id', c.id, 'user_id', c.user_id), c.org_id, 'high', null, null)
    from compliance.certifications c
    join compliance.certification_types t on t.id = c.type_id
    join public.members holder on holder.org_id = c.org_id and holder.user_id = c.user_id
    cross join lateral (
      select c.user_id
      union
      select m.user_id from public.members m join public.roles r on r.id = m.role_id
      where m.org_id = c.org_id and m.department_id = holder.department_id and r.key = 'manager' and m.status = 'active'
    ) u
    where c.id = v_due.certification_id;
    v_count := v_count + 1;
  end loop;
  return v_count;
end
$$;
comment on function private.compliance_run_certification_reminders() is 'Notifies the member and their department''s managers when a certification is expiring or expired, once per threshold. Daily by pg_cron.';

create or replace function private.compliance_training_digest()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_org record;
  v_count integer := 0;
begin
  for v_org in
    with statuses as (
      -- The digest reads every member, as HR would: computed here without a caller.
      select m.org_id, case
        when l.user_id is null then 'missing'
        when l.expires_on < (private.now() at time zone 'UTC')::date then 'expired'
        when l.expires_on <= (private.now() at time zone 'UTC')::date + coalesce(s.certification_warning_days, 30) then 'expiring_soon'
        else 'valid' end as status
      from public.members m
      join public.roles r on r.id = m.role_id
      join compliance.certification_types t on t.org_id = m.org_id and (r.key = any (t.required_role_keys) or m.department_id = any (t.required_department_ids))
      left join compliance.settings s on s.org_id = m.org_id
      left join lateral (select c.user_id, c.expires_on from compliance.certifications c where c.user_id = m.user_id and c.type_id = t.id
                         order by c.expires_on desc nulls first limit 1) l on true
      where m.status = 'active'
    )
    select org_id, count(*) filter (where status = 'expiring_soon') as expiring, count(*) filter (where status = 'expired') as expired,
           count(*) filter (where status = 'missing') as missing
    from statuses group by org_id
  loop
    perform private.notify(a.user_id, 'compliance.training_digest',
      format('Training this week: %s expiring, %s expired, %s missing', v_org.expiring, v_org.expired, v_org.missing), '', null,
      jsonb_build_object('expiring', v_org.expiring, 'expired', v_org.expired, 'missing', v_org.missing), v_org.org_id, 'normal',
      'training-digest:' || v_org.org_id, null)
    from (select distinct user_id from private.access where org_id = v_org.org_id and permission = 'compliance.training.manage') a;
    v_count := v_count + 1;
  end loop;
  return v_count;
end
$$;
comment on function private.compliance_training_digest() is 'Weekly summary for everyone with compliance.training.manage: expiring, expired and missing certifications. By pg_cron on Mondays.';

revoke all on function private.compliance_set_expiry(), private.compliance_run_certification_reminders(), private.compliance_training_digest() from public;
select cron.schedule('groundwork-certification-reminders', '45 6 * * *', 'select private.compliance_run_certification_reminders()');
select cron.schedule('groundwork-training-digest', '0 8 * * 1', 'select private.compliance_training_digest()');

-- ---------------------------------------------------------------------------------------------
-- Dashboards (security invoker: each counts only what its caller may read)
-- ---------------------------------------------------------------------------------------------

create or replace function compliance.contracts_by_status(p_org_id uuid)
returns table (status compliance.contract_status, contracts bigint)
language sql stable security invoker set search_path = ''
as $$ select c.status, count(*) from compliance.contracts c where c.org_id = p_org_id group by c.status order by c.status $$;
comment on function compliance.contracts_by_status(uuid) is 'Contracts per status that the caller may read.';

create or replace function compliance.upcoming_deadlines(p_org_id uuid, p_days integer default 30)
returns table (contract_id uuid, reference text, title text, kind text, deadline date)
language sql stable security invoker set search_path = ''
as $$
  select c.id, c.reference, c.title, k.kind, k.deadline
  from compliance.contracts c
  cross join lateral (values ('end', c.end_date), ('renewal_notice', c.renewal_notice_date)) as k (kind, deadline)
  where c.org_id = p_org_id and c.status = 'active' and k.deadline is not null
    and k.deadline between (private.now() at time zone 'UTC')::date and (private.now() at time zone 'UTC')::date + least(greatest(p_days, 1), 366)
  order by k.deadline
$$;
comment on function compliance.upcoming_deadlines(uuid, integer) is 'End and renewal-notice dates of active contracts in the next N days (1-366) that the caller may read.';

create or replace function compliance.my_pending_approvals()
returns setof compliance.contracts
language sql stable security invoker set search_path = ''
as $$
  select c.* from compliance.contracts c
  where c.status = 'proposed' and c.proposed_by is distinct from (select auth.uid())
    and c.org_id in (select private.org_ids_with('compliance.contracts.approve'))
    and not exists (select 1 from compliance.contract_approvals a where a.contract_id = c.id and a.approver_id = (select auth.uid()))
  order by c.proposed_at
$$;
comment on function compliance.my_pending_approvals() is 'Proposed contracts waiting for the caller''s decision.';

create or replace function compliance.compliance_rate(p_org_id uuid)
returns table (department_id uuid, department_name text, type_id uuid, type_name text, required bigint, compliant bigint, rate numeric)
language sql stable security invoker set search_path = ''
as $$
  select s.department_id, d.name, s.type_id, s.type_name, count(*), count(*) filter (where s.status in ('valid', 'expiring_soon')),
         round(100.0 * count(*) filter (where s.status in ('valid', 'expiring_soon')) / count(*), 1)
  from compliance.certification_status s left join public.departments d on d.id = s.department_id
  where s.org_id = p_org_id
  group by s.department_id, d.name, s.type_id, s.type_name
  order by d.name nulls first, s.type_name
$$;
comment on function compliance.compliance_rate(uuid) is 'Per department and required certification: how many members must hold it, how many do, and the rate in percent (within the caller''s scope).';

create or replace function compliance.missing_certifications(p_org_id uuid)
returns table (user_id uuid, display_name text, type_id uuid, type_name text, status text)
language sql stable security invoker set search_path = ''
as $$
  select s.user_id, p.display_name, s.type_id, s.type_name, s.status
  from compliance.certification_status s left join public.profiles p on p.id = s.user_id
  where s.org_id = p_org_id and s.status in ('missing', 'expired')
  order by p.display_name, s.type_name
$$;
comment on function compliance.missing_certifications(uuid) is 'Members without a valid required certification (missing or expired), within the caller''s scope.';

revoke all on function compliance.contracts_by_status(uuid), compliance.upcoming_deadlines(uuid, integer), compliance.my_pending_approvals(),
  compliance.compliance_rate(uuid), compliance.missing_certifications(uuid) from public, anon;
grant execute on function compliance.contracts_by_status(uuid), compliance.upcoming_deadlines(uuid, integer), compliance.my_pending_approvals(),
  compliance.compliance_rate(uuid), compliance.missing_certifications(uuid) to authenticated;
grant execute on function private.now() to authenticated;
grant all on all tables in schema compliance to service_role;
-- The status view is read-only for everyone.
revoke insert, update, delete, truncate on compliance.certification_status from service_role;
