-- Demo data of the compliance module (after 00_core.sql, in the organization it made).
-- Legal and HR users, contracts in several states, training records.
insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data,
                        created_at, updated_at, confirmation_token, recovery_token, email_change_token_new, email_change)
select '00000000-0000-0000-0000-000000000000', u.id, 'authenticated', 'authenticated', u.email,
  extensions.crypt('Groundwork-demo-2026!', extensions.gen_salt('bf')), now(), '{"provider": "email", "providers": ["email"]}'::jsonb,
  jsonb_build_object('display_name', u.display_name), now(), now(), '', '', '', ''
from (values
  ('00000000-0000-4000-8000-000000000007'::uuid, 'legal@groundwork.test', 'Lena Legal'),
  ('00000000-0000-4000-8000-000000000008'::uuid, 'hr@groundwork.test', 'Hugo HR')
) as u (id, email, display_name)
on conflict (id) do nothing;

insert into public.members (org_id, user_id, role_id)
select '00000000-0000-4000-9000-000000000001', m.user_id, r.id
from (values ('00000000-0000-4000-8000-000000000007'::uuid, 'legal'), ('00000000-0000-4000-8000-000000000008'::uuid, 'hr')) as m (user_id, role_key)
join public.roles r on r.org_id = '00000000-0000-4000-9000-000000000001' and r.key = m.role_key
on conflict (org_id, user_id) do nothing;

insert into compliance.approval_policies (org_id, contract_type, required_approvals) values
  ('00000000-0000-4000-9000-000000000001', '*', 2)
on conflict (org_id, contract_type) do nothing;

insert into compliance.contracts (org_id, reference, title, contract_type, department_id, owner_id, value, currency, start_date, end_date,
                                  renewal_notice_date, auto_renew, status, proposed_by, proposed_at)
select '00000000-0000-4000-9000-000000000001', c.reference, c.title, c.contract_type, c.department_id::uuid, '00000000-0000-4000-8000-000000000007',
       c.value, c.currency, current_date + c.start_offset, current_date + c.end_offset, current_date + c.end_offset - 30, c.auto_renew,
       c.status::compliance.contract_status,
       case when c.status <> 'draft' then '00000000-0000-4000-8000-000000000007'::uuid end,
       case when c.status <> 'draft' then now() - interval '3 days' end
from (values
  ('NDA-2026-001', 'Acme mutual NDA', 'nda', null, null::numeric, null, -200, 530, false, 'active'),
  ('MSA-2026-002', 'Cloud hosting master agreement', 'services', '00000000-0000-4000-a000-000000000001', 120000, 'EUR', -300, 65, true, 'active'),
  ('LEASE-2026-003', 'Berlin office lease', 'lease', '00000000-0000-4000-a000-000000000001', 480000, 'EUR', 30, 1125, false, 'proposed'),
  ('SALES-2026-004', 'Reseller agreement Nordics', 'sales', '00000000-0000-4000-a000-000000000002', 75000, 'USD', 14, 379, false, 'draft'),
  ('SUP-2025-005', 'Office supplies framework', 'services', null, 9000, 'GBP', -400, -35, false, 'expired')
) as c (reference, title, contract_type, department_id, value, currency, start_offset, end_offset, auto_renew, status)
on conflict (org_id, reference) do nothing;

insert into compliance.contract_approvals (org_id, contract_id, step)
select c.org_id, c.id, s from compliance.contracts c cross join generate_series(1, 2) s
where c.reference = 'LEASE-2026-003' and not exists (select 1 from compliance.contract_approvals a where a.contract_id = c.id);

insert into compliance.certification_types (org_id, name, validity_months, required_role_keys) values
  ('00000000-0000-4000-9000-000000000001', 'Fire safety', 12, array['member', 'manager', 'viewer']),
  ('00000000-0000-4000-9000-000000000001', 'Data protection', 24, array['member', 'manager', 'admin', 'legal', 'hr'])
on conflict (org_id, name) do nothing;

insert into compliance.certifications (org_id, user_id, type_id, completed_on, issuer, verified_by, verified_at)
select '00000000-0000-4000-9000-000000000001', c.user_id, t.id, current_date - c.days_ago, 'Groundwork Academy',
       '00000000-0000-4000-8000-000000000008', now()
from (values
  ('00000000-0000-4000-8000-000000000003'::uuid, 'Fire safety', 100),
  ('00000000-0000-4000-8000-000000000004'::uuid, 'Fire safety', 350),
  ('00000000-0000-4000-8000-000000000004'::uuid, 'Data protection', 800),
  ('00000000-0000-4000-8000-000000000002'::uuid, 'Data protection', 30)
) as c (user_id, type_name, days_ago)
join compliance.certification_types t on t.org_id = '00000000-0000-4000-9000-000000000001' and t.name = c.type_name
where not exists (select 1 from compliance.certifications x where x.user_id = c.user_id and x.type_id = t.id);
