-- Demo data for the native stack and `supabase start`. Never needed in production.
-- Passwords are all "Groundwork-demo-2026!" (bcrypt, as Supabase Auth stores them).

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
  ('00000000-0000-4000-8000-000000000005'::uuid, 'viewer@groundwork.test', 'Vera Viewer')
) as u (id, email, display_name)
on conflict (id) do nothing;
