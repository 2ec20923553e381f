-- pgTAP helpers, loaded by `npm test` after the migrations (never by a migration).
-- Each helper does what the real service does to the database: PostgREST sets the role and
-- request.jwt.claims for the transaction; Supabase Auth inserts into auth.users.

create schema if not exists tests;
comment on schema tests is 'pgTAP helpers: users, acting as a role, frozen time. Test databases only.';
grant usage on schema tests to anon, authenticated, service_role;

-- A user as Supabase Auth creates one (email confirmed unless told otherwise). Returns the id.
create or replace function tests.create_user(
  p_email text,
  p_metadata jsonb default '{}'::jsonb,
  p_confirmed boolean default true
) returns uuid
language plpgsql
set search_path = ''
as $$
declare
  v_id uuid := gen_random_uuid();
begin
  insert into auth.users (
    instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
    raw_app_meta_data, raw_user_meta_data, created_at, updated_at
  ) values (
    '00000000-0000-0000-0000-000000000000', v_id, 'authenticated', 'authenticated', lower(p_email), '',
    case when p_confirmed then pg_catalog.now() end,
    '{"provider": "email", "providers": ["email"]}'::jsonb, p_metadata, pg_catalog.now(), pg_catalog.now()
  );
  return v_id;
end
$$;

-- The id of a user created earlier, by email (callable while acting as any role).
create or replace function tests.user_id(p_email text) returns uuid
language sql stable security definer set search_path = ''
as $$ select id from auth.users where email = lower(p_email) $$;

-- The email of a user (callable while acting as any role).
create or replace function tests.email_of(p_user uuid) returns text
language sql stable security definer set search_path = ''
as $$ select email from auth.users where id = p_user $$;

-- Act as a signed-in user for the rest of the transaction, with the claims Supabase Auth puts
-- in an access token (aal1 by default; aal2 after an MFA challenge).
create or replace function tests.act_as(p_user uuid, p_aal text default 'aal1') returns void
language plpgsql
set search_path = ''
as $$
declare
  v_email text := tests.email_of(p_user);
begin
  if p_aal not in ('aal1', 'aal2') then
    raise exception 'Cannot act as user: aal must be aal1 or aal2, not %', p_aal;
  end if;
  perform set_config('role', 'authenticated', true);
  perform set_config('request.jwt.claims', json_build_object(
    'sub', p_user, 'role', 'authenticated', 'aud', 'authenticated', 'email', coalesce(v_email, ''),
    'aal', p_aal, 'session_id', gen_random_uuid(),
    'exp', extract(epoch from pg_catalog.now() + interval '1 hour')::bigint,
    'app_metadata', json_build_object('provider', 'email'), 'user_metadata', '{}'::json
  )::text, true);
end
$$;

-- Act as a user by email.
create or replace function tests.act_as(p_email text, p_aal text default 'aal1') returns void
language sql set search_path = ''
as $$ select tests.act_as(tests.user_id(p_email), p_aal) $$;

create or replace function tests.act_as_anon() returns void
language plpgsql set search_path = ''
as $$
begin
  perform set_config('role', 'anon', true);
  perform set_config('request.jwt.claims', '{"role": "anon"}', true);
end
$$;

create or replace function tests.act_as_service_role() returns void
language plpgsql set search_path = ''
as $$
begin
  perform set_config('role', 'service_role', true);
  perform set_config('request.jwt.claims', '{"role": "service_role"}', true);
end
$$;

-- Back to the test's own role (postgres), with no claims.
create or replace function tests.act_as_postgres() returns void
language plpgsql set search_path = ''
as $$
begin
  perform set_config('role', 'none', true);
  perform set_config('request.jwt.claims', '', true);
end
$$;

-- Freeze private.now() (the clock of every business rule) for the rest of the transaction.
create or replace function tests.freeze_time(p_at timestamptz) returns void
language sql set search_path = ''
as $$ select set_config('groundwork.frozen_now', p_at::text, true) $$;

create or replace function tests.unfreeze_time() returns void
language sql set search_path = ''
as $$ select set_config('groundwork.frozen_now', '', true) $$;

-- An organization created by a user (who becomes its owner), as create_organization does.
create or replace function tests.create_org(p_slug text, p_owner uuid) returns uuid
language plpgsql security definer set search_path = ''
as $$
declare
  v_id uuid;
begin
  insert into public.organizations (name, slug, created_by) values (initcap(replace(p_slug, '-', ' ')), p_slug, p_owner)
  returning id into v_id;
  return v_id;
end
$$;

-- The id of an organization's role by key.
create or replace function tests.role_id(p_org uuid, p_key text) returns uuid
language sql stable security definer set search_path = ''
as $$ select id from public.roles where org_id = p_org and key = p_key $$;

-- Adds a user to an organization with a role (and optionally a department); returns the member id.
create or replace function tests.add_member(p_org uuid, p_user uuid, p_role text, p_department uuid default null)
returns uuid
language plpgsql security definer set search_path = ''
as $$
declare
  v_id uuid;
begin
  insert into public.members (org_id, user_id, role_id, department_id)
  values (p_org, p_user, tests.role_id(p_org, p_role), p_department)
  returning id into v_id;
  return v_id;
end
$$;

-- The member id of a user in an organization.
create or replace function tests.member_id(p_org uuid, p_user uuid) returns uuid
language sql stable security definer set search_path = ''
as $$ select id from public.members where org_id = p_org and user_id = p_user $$;

-- A department of an organization; returns its id.
create or replace function tests.create_department(p_org uuid, p_name text, p_parent uuid default null) returns uuid
language plpgsql security definer set search_path = ''
as $$
declare
  v_id uuid;
begin
  insert into public.departments (org_id, name, parent_id) values (p_org, p_name, p_parent) returning id into v_id;
  return v_id;
end
$$;

-- How many rows of a table the current role can see (for visibility assertions).
create or replace function tests.visible(p_table regclass, p_where text default 'true') returns bigint
language plpgsql set search_path = ''
as $$
declare
  v_count bigint;
begin
  execute format('select count(*) from %s where %s', p_table, p_where) into v_count;
  return v_count;
end
$$;

grant execute on all functions in schema tests to anon, authenticated, service_role;
