-- Demo data of the core for the native stack and `supabase start` (config.toml [db.seed] sql_paths
-- loads supabase/seeds/*.sql in name order). Never needed in production.
-- One organization, Acme Corp, with a user per system role. Passwords are all
-- "Groundwork-demo-2026!" (bcrypt, as Supabase Auth stores them).

insert into auth.users (
  instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
  confirmation_token, recovery_token, email_change_token_new, email_change
)
select
  '00000000-0000-0000-0000-000000000000', u.id, 'authenticated', 'authenticated', u.email,
  extensions.crypt('Groundwork-demo-2026!', extensions.gen_salt('bf')), now(),
  '{"provider": "email", "providers": ["email"]}'::jsonb,
  jsonb_build_object('display_name', u.display_name), now(), now(), '', '', '', ''
from (values
  ('00000000-0000-4000-8000-000000000001'::uuid, 'owner@groundwork.test', 'Olivia Owner'),
  ('00000000-0000-4000-8000-000000000002'::uuid, 'admin@groundwork.test', 'Adam Admin'),
  ('00000000-0000-4000-8000-000000000003'::uuid, 'manager@groundwork.test', 'Maya Manager'),
  ('00000000-0000-4000-8000-000000000004'::uuid, 'member@groundwork.test', 'Mark Member'),
  ('00000000-0000-4000-8000-000000000005'::uuid, 'viewer@groundwork.test', 'Vera Viewer'),
  ('00000000-0000-4000-8000-000000000006'::uuid, 'executive@groundwork.test', 'Eve Executive')
) as u (id, email, display_name)
on conflict (id) do nothing;

-- The organization: its creator becomes the owner and the system roles are installed.
insert into public.organizations (id, name, slug, created_by)
values ('00000000-0000-4000-9000-000000000001', 'Acme Corp', 'acme', '00000000-0000-4000-8000-000000000001')
on conflict (id) do nothing;

insert into public.departments (id, org_id, name, parent_id) values
  ('00000000-0000-4000-a000-000000000001', '00000000-0000-4000-9000-000000000001', 'Operations', null),
  ('00000000-0000-4000-a000-000000000002', '00000000-0000-4000-9000-000000000001', 'Sales', null),
  ('00000000-0000-4000-a000-000000000003', '00000000-0000-4000-9000-000000000001', 'Field Sales', '00000000-0000-4000-a000-000000000002')
on conflict (id) do nothing;

insert into public.members (org_id, user_id, role_id, department_id)
select '00000000-0000-4000-9000-000000000001', m.user_id, r.id, m.department_id
from (values
  ('00000000-0000-4000-8000-000000000002'::uuid, 'admin', null::uuid),
  ('00000000-0000-4000-8000-000000000003'::uuid, 'manager', '00000000-0000-4000-a000-000000000002'::uuid),
  ('00000000-0000-4000-8000-000000000004'::uuid, 'member', '00000000-0000-4000-a000-000000000003'::uuid),
  ('00000000-0000-4000-8000-000000000005'::uuid, 'viewer', '00000000-0000-4000-a000-000000000001'::uuid),
  ('00000000-0000-4000-8000-000000000006'::uuid, 'executive', null::uuid)
) as m (user_id, role_key, department_id)
join public.roles r on r.org_id = '00000000-0000-4000-9000-000000000001' and r.key = m.role_key
on conflict (org_id, user_id) do nothing;

-- Bookable resources: the manager (a person, Berlin hours) and a meeting room (New York hours),
-- open on weekdays, with a lunch break for the person.
insert into public.resources (id, org_id, name, kind, member_user_id, time_zone, slot_minutes, buffer_after_minutes, min_notice_minutes)
values
  ('00000000-0000-4000-8000-000000000101', '00000000-0000-4000-9000-000000000001', 'Maya Manager', 'member',
   '00000000-0000-4000-8000-000000000003', 'Europe/Berlin', 30, 10, 120),
  ('00000000-0000-4000-8000-000000000102', '00000000-0000-4000-9000-000000000001', 'Board room', 'room', null,
   'America/New_York', 60, 0, 30)
on conflict (id) do nothing;

insert into public.availability_rules (org_id, resource_id, weekday, start_time, end_time)
select '00000000-0000-4000-9000-000000000001', r.resource_id, d, r.start_time, r.end_time
from (values
  ('00000000-0000-4000-8000-000000000101'::uuid, '09:00'::time, '12:30'::time),
  ('00000000-0000-4000-8000-000000000101'::uuid, '13:30'::time, '17:00'::time),
  ('00000000-0000-4000-8000-000000000102'::uuid, '08:00'::time, '18:00'::time)
) as r (resource_id, start_time, end_time)
cross join generate_series(1, 5) d
where not exists (select 1 from public.availability_rules a where a.resource_id = r.resource_id);
