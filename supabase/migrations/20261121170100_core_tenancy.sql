-- Core tenancy: organizations, departments, roles and a permission catalogue with scopes,
-- members, profiles, the permission helpers every policy calls, and the admin workflows.
-- RLS reads these tables on every request; JWT claims are for display only.

create extension if not exists pg_cron with schema pg_catalog;

-- ---------------------------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------------------------

create type public.permission_scope as enum ('own', 'department', 'org');
comment on type public.permission_scope is 'How far a granted permission reaches: rows the member owns or is assigned to, rows of their department (and its sub-departments), or every row of the organization. Ordered: own < department < org.';

create type public.member_status as enum ('active', 'suspended');
comment on type public.member_status is 'A suspended member keeps their membership but loses all access at their next request.';

-- ---------------------------------------------------------------------------------------------
-- Permission catalogue and system role templates
-- ---------------------------------------------------------------------------------------------

create table public.permissions (
  key text primary key,
  module text not null,
  description text not null,
  constraint permissions_key_format check (key ~ '^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$'),
  constraint permissions_module_matches check (split_part(key, '.', 1) = module)
);
comment on table public.permissions is 'The permission catalogue: module.resource.action. Modules add theirs in their migrations.';

alter table public.permissions enable row level security;
revoke all on public.permissions from anon, authenticated;
grant select on public.permissions to authenticated;
create policy "Signed-in users read the permission catalogue" on public.permissions
  for select to authenticated using (true);

insert into public.permissions (key, module, description) values
  ('core.org.manage', 'core', 'Change the organization''s name, slug and settings, and archive it'),
  ('core.org.delete', 'core', 'Delete the organization and everything in it'),
  ('core.members.read', 'core', 'See the organization''s members and their roles'),
  ('core.members.manage', 'core', 'Change members'' roles and departments, suspend, reactivate and remove members'),
  ('core.members.invite', 'core', 'Invite people to the organization'),
  ('core.roles.manage', 'core', 'Create, change and delete custom roles and their permissions'),
  ('core.departments.manage', 'core', 'Create, rename, move and archive departments'),
  ('core.audit.read', 'core', 'Read the organization''s audit trail');

create table private.system_roles (
  key text primary key,
  name text not null,
  description text not null,
  rank integer not null check (rank between 1 and 100)
);
comment on table private.system_roles is 'Templates of the roles every organization gets. Modules add roles and grants, then call private.install_system_roles for every organization.';

create table private.system_role_grants (
  role_key text not null references private.system_roles (key) on delete cascade,
  permission text not null references public.permissions (key) on delete cascade,
  scope public.permission_scope not null,
  primary key (role_key, permission)
);
create index system_role_grants_permission_idx on private.system_role_grants (permission);
comment on table private.system_role_grants is 'What each system role may do, and how far.';

insert into private.system_roles (key, name, description, rank) values
  ('owner', 'Owner', 'Full control, including deleting the organization and transferring ownership', 100),
  ('admin', 'Admin', 'Manages members, roles, departments and settings', 80),
  ('executive', 'Executive', 'Reads everything across the organization, including the audit trail', 70),
  ('manager', 'Manager', 'Leads a department', 60),
  ('member', 'Member', 'Works with their own records', 40),
  ('viewer', 'Viewer', 'Reads, changes nothing', 20);

insert into private.system_role_grants (role_key, permission, scope) values
  ('owner', 'core.org.manage', 'org'), ('owner', 'core.org.delete', 'org'), ('owner', 'core.members.read', 'org'),
  ('owner', 'core.members.manage', 'org'), ('owner', 'core.members.invite', 'org'), ('owner', 'core.roles.manage', 'org'),
  ('owner', 'core.departments.manage', 'org'), ('owner', 'core.audit.read', 'org'),
  ('admin', 'core.org.manage', 'org'), ('admin', 'core.members.read', 'org'), ('admin', 'core.members.manage', 'org'),
  ('admin', 'core.members.invite', 'org'), ('admin', 'core.roles.manage', 'org'), ('admin', 'core.departments.manage', 'org'),
  ('admin', 'core.audit.read', 'org'),
  ('executive', 'core.members.read', 'org'), ('executive', 'core.audit.read', 'org'),
  ('manager', 'core.members.read', 'org'),
  ('member', 'core.members.read', 'org'),
  ('viewer', 'core.members.read', 'org');

-- ---------------------------------------------------------------------------------------------
-- Shared triggers
-- ---------------------------------------------------------------------------------------------

create or replace function private.touch_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := pg_catalog.now();
  return new;
end
$$;
comment on function private.touch_updated_at() is 'Sets updated_at on every update.';

-- ---------------------------------------------------------------------------------------------
-- Organizations
-- ---------------------------------------------------------------------------------------------

create table public.organizations (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  slug text not null unique,
  require_mfa boolean not null default false,
  audit_retention_days integer not null default 365,
  created_by uuid default auth.uid() references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  archived_at timestamptz,
  constraint organizations_name_length check (char_length(btrim(name)) between 1 and 200),
  constraint organizations_slug_format check (slug ~ '^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$' and slug !~ '--'),
  constraint organizations_audit_retention_range check (audit_retention_days between 30 and 3650)
);
create index organizations_created_by_idx on public.organizations (created_by);
comment on table public.organizations is 'A tenant. Creating one makes the creator its owner and installs the system roles, in the same transaction.';
comment on column public.organizations.slug is 'URL name: 3-63 lowercase letters, digits and single hyphens, not at either end. Unique.';
comment on column public.organizations.require_mfa is 'When true, members must have signed in with MFA (aal2) to read or change the organization''s data.';
comment on column public.organizations.audit_retention_days is 'How long audit entries of this organization are kept (30 to 3650 days).';
comment on column public.organizations.archived_at is 'Soft archive: set to hide the organization from day-to-day use; clear to restore.';

create trigger touch_updated_at before update on public.organizations
  for each row execute function private.touch_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Departments
-- ---------------------------------------------------------------------------------------------

create table public.departments (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  name text not null,
  parent_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  archived_at timestamptz,
  constraint departments_name_length check (char_length(btrim(name)) between 1 and 200),
  constraint departments_not_own_parent check (parent_id is distinct from id),
  constraint departments_org_id_id_key unique (org_id, id),
  -- A parent is in the same organization (composite key), and losing it makes a top-level department.
  constraint departments_parent_fkey foreign key (org_id, parent_id)
    references public.departments (org_id, id) on delete set null (parent_id)
);
create unique index departments_org_name_key on public.departments (org_id, lower(name)) where archived_at is null;
create index departments_org_parent_idx on public.departments (org_id, parent_id);
comment on table public.departments is 'Departments of an organization, optionally nested. A parent is always in the same organization, and there are no cycles.';
comment on column public.departments.archived_at is 'Soft archive: archived departments keep their members and history.';

create trigger touch_updated_at before update on public.departments
  for each row execute function private.touch_updated_at();

create or replace function private.check_department_cycle()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.parent_id is not null and exists (
    with recursive ancestors (id, parent_id) as (
      select d.id, d.parent_id from public.departments d where d.id = new.parent_id
      union
      select d.id, d.parent_id from public.departments d join ancestors a on d.id = a.parent_id
    )
    select 1 from ancestors where id = new.id
  ) then
    raise exception 'Cannot move department %: it would become its own ancestor', new.name using errcode = '23514';
  end if;
  return new;
end
$$;
comment on function private.check_department_cycle() is 'Refuses a parent that would make a department its own ancestor.';

create trigger check_cycle before insert or update of parent_id on public.departments
  for each row execute function private.check_department_cycle();

-- ---------------------------------------------------------------------------------------------
-- Roles and their permissions
-- ---------------------------------------------------------------------------------------------

create table public.roles (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  key text not null,
  name text not null,
  description text not null default '',
  rank integer not null,
  is_system boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint roles_key_format check (key ~ '^[a-z][a-z0-9_]{1,39}$'),
  constraint roles_name_length check (char_length(btrim(name)) between 1 and 100),
  constraint roles_rank_range check (rank between 1 and 100),
  constraint roles_org_key_key unique (org_id, key),
  constraint roles_org_id_id_key unique (org_id, id)
);
comment on table public.roles is 'Roles of an organization: the system roles (owner, admin, executive, manager, member, viewer and those modules add) and custom ones. Nobody assigns or creates a role ranked above their own.';
comment on column public.roles.rank is 'Power, 1-100 (owner 100). A member can only assign, create or change roles ranked at or below their own.';
comment on column public.roles.is_system is 'System roles come from the templates; their key, rank and permissions cannot be changed, nor can they be deleted.';

create trigger touch_updated_at before update on public.roles
  for each row execute function private.touch_updated_at();

create table public.role_permissions (
  role_id uuid not null references public.roles (id) on delete cascade,
  permission text not null references public.permissions (key) on delete cascade,
  scope public.permission_scope not null,
  org_id uuid not null,
  created_at timestamptz not null default now(),
  primary key (role_id, permission),
  constraint role_permissions_role_fkey foreign key (org_id, role_id) references public.roles (org_id, id) on delete cascade
);
create index role_permissions_permission_idx on public.role_permissions (permission);
create index role_permissions_org_role_idx on public.role_permissions (org_id, role_id);
comment on table public.role_permissions is 'What a role may do, and how far (scope). org_id is copied from the role.';

-- ---------------------------------------------------------------------------------------------
-- Members
-- ---------------------------------------------------------------------------------------------

create table public.members (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role_id uuid not null,
  department_id uuid,
  status public.member_status not null default 'active',
  suspended_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint members_org_user_key unique (org_id, user_id),
  constraint members_role_fkey foreign key (org_id, role_id) references public.roles (org_id, id),
  constraint members_department_fkey foreign key (org_id, department_id)
    references public.departments (org_id, id) on delete set null (department_id),
  constraint members_suspended_at_matches_status check ((status = 'suspended') = (suspended_at is not null))
);
create index members_user_status_idx on public.members (user_id, status) include (org_id, role_id, department_id);
create index members_role_idx on public.members (org_id, role_id);
create index members_department_idx on public.members (org_id, department_id);
comment on table public.members is 'A user''s membership of an organization: one role, optionally a department, active or suspended. The last active owner can never be removed, demoted or suspended.';

create trigger touch_updated_at before update on public.members
  for each row execute function private.touch_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Effective permissions, materialized: one row per active member × granted permission. The
-- policy helpers answer from here with one index range scan on (user_id, permission), so a
-- check costs about the same for a user in 500 organizations as for one in 10. Kept exact by
-- the triggers below, and checked against its definition in tests/db/core_access.test.sql.
-- ---------------------------------------------------------------------------------------------

create table private.access (
  user_id uuid not null,
  org_id uuid not null,
  permission text not null,
  scope public.permission_scope not null,
  requires_mfa boolean not null default false,
  primary key (user_id, permission, org_id) include (scope),
  constraint access_member_fkey foreign key (org_id, user_id) references public.members (org_id, user_id) on delete cascade
);
create index access_org_user_idx on private.access (org_id, user_id);
comment on table private.access is 'Effective permissions of active members (members × role_permissions) with their organization''s MFA requirement, plus one row with permission ''membership'' per active membership. Maintained by triggers; read by the policy helpers.';
alter table private.access enable row level security;
revoke all on private.access from public, anon, authenticated, service_role;

-- Recomputes the rows of the given memberships (pairs of org_id and user_id).
create or replace function private.refresh_access(p_org_ids uuid[], p_user_ids uuid[])
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from private.access a
  using unnest(p_org_ids, p_user_ids) as k (org_id, user_id)
  where a.org_id = k.org_id and a.user_id = k.user_id;
  insert into private.access (user_id, org_id, permission, scope, requires_mfa)
  select m.user_id, m.org_id, g.permission, g.scope, o.require_mfa
  from unnest(p_org_ids, p_user_ids) as k (org_id, user_id)
  join public.members m on m.org_id = k.org_id and m.user_id = k.user_id and m.status = 'active'
  join public.organizations o on o.id = m.org_id
  cross join lateral (
    select 'membership' as permission, 'org'::public.permission_scope as scope
    union all
    select rp.permission, rp.scope from public.role_permissions rp where rp.role_id = m.role_id
  ) as g
  on conflict (user_id, permission, org_id) do update set scope = excluded.scope, requires_mfa = excluded.requires_mfa;
end
$$;
comment on function private.refresh_access(uuid[], uuid[]) is 'Recomputes private.access for the given memberships.';

-- Every member holding one of the roles. Their membership rows are locked first, so a
-- concurrent change to one of them waits, then sees the new grants.
create or replace function private.refresh_roles_access(p_role_ids uuid[])
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_orgs uuid[];
  v_users uuid[];
begin
  with affected as (
    select m.org_id, m.user_id from public.members m where m.role_id = any (p_role_ids) for update
  )
  select array_agg(org_id), array_agg(user_id) into v_orgs, v_users from affected;
  if v_orgs is not null then
    perform private.refresh_access(v_orgs, v_users);
  end if;
end
$$;
comment on function private.refresh_roles_access(uuid[]) is 'Recomputes private.access for every member holding one of the roles.';
revoke all on function private.refresh_access(uuid[], uuid[]), private.refresh_roles_access(uuid[]) from public;

create or replace function private.refresh_member_access()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.refresh_access(array[new.org_id], array[new.user_id]);
  return null;
end
$$;
comment on function private.refresh_member_access() is 'Keeps private.access in step with a membership''s role and status (deletion cascades).';

create trigger refresh_access after insert or update of role_id, status on public.members
  for each row execute function private.refresh_member_access();

create or replace function private.refresh_granted_access()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    perform private.refresh_roles_access(array(select distinct role_id from new_grants));
  elsif tg_op = 'DELETE' then
    perform private.refresh_roles_access(array(select distinct role_id from old_grants));
  else
    perform private.refresh_roles_access(array(select role_id from new_grants union select role_id from old_grants));
  end if;
  return null;
end
$$;
comment on function private.refresh_granted_access() is 'Keeps private.access in step with role_permissions, once per statement for the roles it touched.';

create trigger refresh_access_on_grant after insert on public.role_permissions
  referencing new table as new_grants for each statement execute function private.refresh_granted_access();
create trigger refresh_access_on_rescope after update on public.role_permissions
  referencing old table as old_grants new table as new_grants for each statement execute function private.refresh_granted_access();
create trigger refresh_access_on_withdraw after delete on public.role_permissions
  referencing old table as old_grants for each statement execute function private.refresh_granted_access();

create or replace function private.refresh_mfa_access()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update private.access set requires_mfa = new.require_mfa where org_id = new.id;
  return null;
end
$$;
comment on function private.refresh_mfa_access() is 'Copies an organization''s MFA requirement into private.access.';

create trigger refresh_access_on_mfa after update of require_mfa on public.organizations
  for each row when (old.require_mfa is distinct from new.require_mfa) execute function private.refresh_mfa_access();

-- ---------------------------------------------------------------------------------------------
-- Profiles
-- ---------------------------------------------------------------------------------------------

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text,
  display_name text not null default '',
  avatar_path text,
  locale text not null default 'en',
  time_zone text not null default 'UTC',
  status text not null default 'available',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint profiles_display_name_length check (char_length(display_name) <= 200),
  constraint profiles_locale_format check (locale ~ '^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$'),
  constraint profiles_status_values check (status in ('available', 'busy', 'away', 'offline')),
  constraint profiles_avatar_path_format check (avatar_path is null or (char_length(avatar_path) <= 1024 and avatar_path !~ '(^/|\.\.)'))
);
comment on table public.profiles is 'One per auth user, created on sign-up. Readable by the user and by people who share an organization with them; the user writes only display_name, avatar_path, locale, time_zone and status.';
comment on column public.profiles.email is 'Copy of auth.users.email, kept in sync by a trigger, so members can see each other''s address.';
comment on column public.profiles.avatar_path is 'Object path of the avatar in Storage (relative, no ..).';
comment on column public.profiles.locale is 'BCP 47 language tag, e.g. en, de, pt-BR.';
comment on column public.profiles.time_zone is 'IANA time zone name, e.g. Europe/Berlin.';

create trigger touch_updated_at before update on public.profiles
  for each row execute function private.touch_updated_at();

create or replace function private.check_time_zone()
returns trigger
language plpgsql
stable
set search_path = ''
as $$
begin
  if not exists (select 1 from pg_catalog.pg_timezone_names where name = new.time_zone) then
    raise exception 'Cannot use time zone %: it is not an IANA time zone name', new.time_zone using errcode = '22023';
  end if;
  return new;
end
$$;
comment on function private.check_time_zone() is 'Refuses a time_zone that PostgreSQL does not know as an IANA name.';

create trigger check_time_zone before insert or update of time_zone on public.profiles
  for each row execute function private.check_time_zone();

-- Sign-up creates the profile; an email change is copied.
create or replace function private.handle_auth_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    insert into public.profiles (id, email, display_name, locale)
    values (
      new.id,
      new.email,
      left(coalesce(nullif(btrim(new.raw_user_meta_data ->> 'display_name'), ''),
                    nullif(btrim(new.raw_user_meta_data ->> 'full_name'), ''),
                    nullif(btrim(new.raw_user_meta_data ->> 'name'), ''),
                    split_part(coalesce(new.email, ''), '@', 1)), 200),
      case when new.raw_user_meta_data ->> 'locale' ~ '^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$'
           then new.raw_user_meta_data ->> 'locale' else 'en' end
    )
    on conflict (id) do nothing;
  elsif new.email is distinct from old.email then
    update public.profiles set email = new.email where id = new.id;
  end if;
  return null;
end
$$;
comment on function private.handle_auth_user() is 'Creates a profile for each new auth user and keeps its email in sync.';

create trigger on_auth_user_created after insert on auth.users
  for each row execute function private.handle_auth_user();
create trigger on_auth_user_email_changed after update of email on auth.users
  for each row execute function private.handle_auth_user();

-- ---------------------------------------------------------------------------------------------
-- Permission helpers: stable, security definer, called by policies wrapped in (select ...) so
-- they run once per statement. They read the tables, never the JWT's app claims.
-- ---------------------------------------------------------------------------------------------

-- PL/pgSQL rather than SQL: a security definer SQL function is never inlined and is planned
-- again on every call, while PL/pgSQL keeps its plans for the connection. Permission lookups read
-- private.access with one index range scan.

create or replace function private.member_org_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query
    select a.org_id from private.access a where a.user_id = auth.uid() and a.permission = 'membership';
end
$$;
comment on function private.member_org_ids() is 'Organizations where the current user is an active member.';

create or replace function private.org_ids_with(p_permission text, p_min_scope public.permission_scope default 'org')
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query
    select a.org_id from private.access a
    where a.user_id = auth.uid() and a.permission = p_permission and a.scope >= p_min_scope;
end
$$;
comment on function private.org_ids_with(text, public.permission_scope) is 'Organizations where the current user''s role grants the permission at least at the given scope (default org: every row).';

create or replace function private.department_ids_with(p_permission text)
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query
    with recursive scoped (id) as (
      select m.department_id
      from private.access a
      join public.members m on m.org_id = a.org_id and m.user_id = a.user_id
      where a.user_id = auth.uid() and a.permission = p_permission and a.scope = 'department'
        and m.department_id is not null
      union
      select d.id from public.departments d join scoped s on d.parent_id = s.id
    )
    select scoped.id from scoped;
end
$$;
comment on function private.department_ids_with(text) is 'Departments (with their sub-departments) whose rows the current user reaches through a department-scoped grant of the permission.';

create or replace function private.has_permission(p_org_id uuid, p_permission text, p_min_scope public.permission_scope default 'own')
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (
    select 1 from private.access a
    where a.user_id = auth.uid() and a.permission = p_permission and a.org_id = p_org_id and a.scope >= p_min_scope
  );
end
$$;
comment on function private.has_permission(uuid, text, public.permission_scope) is 'Whether the current user holds the permission in the organization, at least at the given scope.';

create or replace function private.mfa_blocked_org_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if coalesce(auth.jwt() ->> 'aal', 'aal1') = 'aal2' then
    return;
  end if;
  return query
    select a.org_id from private.access a
    where a.user_id = auth.uid() and a.permission = 'membership' and a.requires_mfa;
end
$$;
comment on function private.mfa_blocked_org_ids() is 'The current user''s organizations that demand MFA while this session has not passed it (aal < aal2). Restrictive policies exclude their rows.';

create or replace function private.role_rank(p_org_id uuid)
returns integer
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (
    select r.rank
    from public.members m join public.roles r on r.id = m.role_id
    where m.org_id = p_org_id and m.user_id = auth.uid() and m.status = 'active'
  );
end
$$;
comment on function private.role_rank(uuid) is 'Rank of the current user''s role in the organization (null when not an active member).';

-- The per-row twin of the policy shape, for functions that act on one row: does the current user
-- reach a row of this organization (in this department, owned by them or not) with the permission?
create or replace function private.reaches(p_org_id uuid, p_permission text, p_department_id uuid, p_own boolean)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  -- Never null: callers write "if not private.reaches(...) then raise", and a null would skip the raise
  -- (e.g. a row whose owner was deleted: owner_id = auth.uid() is null).
  return coalesce(
    private.has_permission(p_org_id, p_permission, 'org')
    or (p_department_id is not null and p_department_id in (select private.department_ids_with(p_permission)))
    or (coalesce(p_own, false) and private.has_permission(p_org_id, p_permission, 'own')),
    false);
end
$$;
comment on function private.reaches(uuid, text, uuid, boolean) is 'Whether the current user reaches one row with the permission: org scope, department scope over its department, or own scope when p_own (they own or are assigned to it).';
revoke all on function private.reaches(uuid, text, uuid, boolean) from public;
grant execute on function private.reaches(uuid, text, uuid, boolean) to authenticated, service_role;

revoke all on function private.member_org_ids(), private.org_ids_with(text, public.permission_scope),
  private.department_ids_with(text), private.has_permission(uuid, text, public.permission_scope),
  private.mfa_blocked_org_ids(), private.role_rank(uuid) from public;
grant execute on function private.member_org_ids(), private.org_ids_with(text, public.permission_scope),
  private.department_ids_with(text), private.has_permission(uuid, text, public.permission_scope),
  private.mfa_blocked_org_ids(), private.role_rank(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- The one policy shape modules reuse: "members with P reach rows in their scope".
-- ---------------------------------------------------------------------------------------------

create or replace function private.scope_predicate(
  p_permission text,
  p_org_column text default 'org_id',
  p_department_column text default null,
  p_owner_column text default null
)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_sql text;
begin
  v_sql := format('%I in (select private.org_ids_with(%L))', p_org_column, p_permission);
  if p_department_column is not null then
    v_sql := v_sql || format(' or %I in (select private.department_ids_with(%L))', p_department_column, p_permission);
  end if;
  if p_owner_column is not null then
    v_sql := v_sql || format(' or (%I = (select auth.uid()) and %I in (select private.org_ids_with(%L, ''own'')))',
      p_owner_column, p_org_column, p_permission);
  end if;
  return v_sql;
end
$$;
comment on function private.scope_predicate(text, text, text, text) is 'The policy expression for "members holding the permission reach the row": org scope by the org column, department scope by the department column, own scope by the owner column. Each helper sits in an uncorrelated IN (select ...), which PostgreSQL runs once per statement (a hashed SubPlan) and estimates as unselective, so ordered index scans stay available.';

create or replace function private.create_scoped_policies(
  p_table regclass,
  p_read_permission text,
  p_write_permission text,
  p_org_column text default 'org_id',
  p_department_column text default null,
  p_owner_column text default null
)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_read text := private.scope_predicate(p_read_permission, p_org_column, p_department_column, p_owner_column);
  v_write text := private.scope_predicate(p_write_permission, p_org_column, p_department_column, p_owner_column);
  v_mfa text := format('%I not in (select private.mfa_blocked_org_ids())', p_org_column);
  v_column text;
begin
  -- 'membership' (every active member) is not in the catalogue; every other name must be.
  if exists (
    select 1 from unnest(array[p_read_permission, p_write_permission]) k
    where k <> 'membership' and not exists (select 1 from public.permissions where key = k)
  ) then
    raise exception 'Cannot create policies on %: add % and % to public.permissions first', p_table, p_read_permission, p_write_permission;
  end if;
  execute format('alter table %s enable row level security', p_table);
  execute format('create policy %I on %s for select to authenticated using (%s)',
    case when p_read_permission = 'membership' then 'Members read rows of their organizations'
         else format('Members with %s read rows in their scope', p_read_permission) end, p_table, v_read);
  execute format('create policy %I on %s for insert to authenticated with check (%s)',
    format('Members with %s add rows in their scope', p_write_permission), p_table, v_write);
  execute format('create policy %I on %s for update to authenticated using (%s) with check (%s)',
    format('Members with %s change rows in their scope', p_write_permission), p_table, v_write, v_write);
  execute format('create policy %I on %s for delete to authenticated using (%s)',
    format('Members with %s remove rows in their scope', p_write_permission), p_table, v_write);
  execute format('create policy %I on %s as restrictive for select to authenticated using (%s)',
    'Organizations requiring MFA demand aal2 to read', p_table, v_mfa);
  execute format('create policy %I on %s as restrictive for insert to authenticated with check (%s)',
    'Organizations requiring MFA demand aal2 to add', p_table, v_mfa);
  execute format('create policy %I on %s as restrictive for update to authenticated using (%s) with check (%s)',
    'Organizations requiring MFA demand aal2 to change', p_table, v_mfa, v_mfa);
  execute format('create policy %I on %s as restrictive for delete to authenticated using (%s)',
    'Organizations requiring MFA demand aal2 to remove', p_table, v_mfa);
  -- Every column a policy reads is indexed (unless an index already leads with it).
  foreach v_column in array array_remove(array[p_org_column, p_department_column, p_owner_column], null) loop
    if not exists (
      select 1 from pg_catalog.pg_index i join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
      where i.indrelid = p_table and a.attname = v_column
    ) then
      execute format('create index %I on %s (%I)',
        left(format('%s_%s_policy_idx', (select relname from pg_catalog.pg_class where oid = p_table), v_column), 63), p_table, v_column);
    end if;
  end loop;
end
$$;
comment on function private.create_scoped_policies(regclass, text, text, text, text, text) is 'Gives an organization-scoped table its policies in one call: read with one permission, write with another (''membership'' meaning any active member), each reaching org / department / own rows by the grant''s scope, plus the restrictive MFA policies; indexes the columns they read.';
revoke all on function private.scope_predicate(text, text, text, text), private.create_scoped_policies(regclass, text, text, text, text, text) from public;

-- ---------------------------------------------------------------------------------------------
-- System roles, organization creation, and the invariants on roles and members
-- ---------------------------------------------------------------------------------------------

create or replace function private.install_system_roles(p_org_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_previous text := coalesce(current_setting('groundwork.system_change', true), '');
begin
  -- System roles and their grants may only change here.
  perform set_config('groundwork.system_change', 'on', true);
  insert into public.roles (org_id, key, name, description, rank, is_system)
  select p_org_id, t.key, t.name, t.description, t.rank, true from private.system_roles t
  on conflict (org_id, key) do update
    set name = excluded.name, description = excluded.description, rank = excluded.rank, is_system = true;
  -- Grants follow the templates exactly: added, rescoped, withdrawn.
  delete from public.role_permissions rp
  using public.roles r
  where r.id = rp.role_id and r.org_id = p_org_id and r.is_system
    and not exists (select 1 from private.system_role_grants g where g.role_key = r.key and g.permission = rp.permission);
  insert into public.role_permissions (role_id, permission, scope, org_id)
  select r.id, g.permission, g.scope, p_org_id
  from private.system_role_grants g join public.roles r on r.key = g.role_key and r.org_id = p_org_id
  on conflict (role_id, permission) do update set scope = excluded.scope
    where public.role_permissions.scope is distinct from excluded.scope;
  perform set_config('groundwork.system_change', v_previous, true);
end
$$;
comment on function private.install_system_roles(uuid) is 'Creates or updates an organization''s system roles and their grants from the templates. Called on creation and by module migrations for every organization.';
revoke all on function private.install_system_roles(uuid) from public;

create or replace function private.handle_new_organization()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform set_config('groundwork.system_change', 'on', true);
  perform private.install_system_roles(new.id);
  if new.created_by is not null then
    insert into public.members (org_id, user_id, role_id)
    select new.id, new.created_by, r.id from public.roles r where r.org_id = new.id and r.key = 'owner';
  end if;
  perform set_config('groundwork.system_change', '', true);
  return null;
end
$$;
comment on function private.handle_new_organization() is 'Installs the system roles of a new organization and makes its creator the owner, in the same transaction.';

create trigger handle_new_organization after insert on public.organizations
  for each row execute function private.handle_new_organization();

-- Roles: system roles are fixed; nobody creates or raises a role above their own rank.
create or replace function private.check_role_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_rank integer;
  v_row public.roles := coalesce(new, old);
begin
  if current_setting('groundwork.system_change', true) = 'on' then
    return coalesce(new, old);
  end if;
  if tg_op = 'DELETE' and not exists (select 1 from public.organizations where id = old.org_id) then
    return old; -- the organization itself is being deleted
  end if;
  if (tg_op = 'DELETE' and old.is_system) or (tg_op = 'UPDATE' and old.is_system and
      (new.key <> old.key or new.rank <> old.rank or not new.is_system)) then
    raise exception 'Cannot % the system role %: system roles are fixed', lower(tg_op), v_row.key using errcode = '42501';
  end if;
  if tg_op = 'INSERT' and new.is_system then
    raise exception 'Cannot create role %: only templates make system roles', new.key using errcode = '42501';
  end if;
  if (select auth.uid()) is not null then
    v_rank := private.role_rank(v_row.org_id);
    if tg_op <> 'DELETE' and new.rank > coalesce(v_rank, 0) then
      raise exception 'Cannot give role % rank %: it is above your own (%)', new.key, new.rank, coalesce(v_rank, 0) using errcode = '42501';
    end if;
    if tg_op <> 'INSERT' and old.rank > coalesce(v_rank, 0) then
      raise exception 'Cannot change role %: it ranks above your own', old.key using errcode = '42501';
    end if;
  end if;
  return coalesce(new, old);
end
$$;
comment on function private.check_role_change() is 'Keeps system roles fixed and stops anyone creating, raising or changing a role ranked above their own.';

create trigger check_role_change before insert or update or delete on public.roles
  for each row execute function private.check_role_change();

-- Role permissions: the organization comes from the role; system grants are fixed; nobody
-- grants a permission further than they hold it themselves.
create or replace function private.check_role_permission_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_role public.roles;
  v_row public.role_permissions := coalesce(new, old);
begin
  if tg_op = 'INSERT' then
    select * into v_role from public.roles where id = new.role_id;
    new.org_id := v_role.org_id;
  else
    select * into v_role from public.roles where id = v_row.role_id;
  end if;
  if current_setting('groundwork.system_change', true) = 'on' or v_role.id is null then
    return coalesce(new, old);
  end if;
  if v_role.is_system then
    raise exception 'Cannot change the permissions of system role %: system roles are fixed', v_role.key using errcode = '42501';
  end if;
  if (select auth.uid()) is not null then
    if coalesce(private.role_rank(v_role.org_id), 0) < v_role.rank then
      raise exception 'Cannot change role %: it ranks above your own', v_role.key using errcode = '42501';
    end if;
    if tg_op <> 'DELETE' and not private.has_permission(v_role.org_id, new.permission, new.scope) then
      raise exception 'Cannot grant % at scope %: you do not hold it that far yourself', new.permission, new.scope using errcode = '42501';
    end if;
  end if;
  return coalesce(new, old);
end
$$;
comment on function private.check_role_permission_change() is 'Copies the organization from the role, keeps system grants fixed, and refuses grants wider than the granter''s own.';

create trigger check_role_permission_change before insert or update or delete on public.role_permissions
  for each row execute function private.check_role_permission_change();

-- Members: ranks and the last owner. Changes to one organization's members are serialized by
-- locking the organization row, so two concurrent demotions cannot both pass the owner check.
create or replace function private.check_member_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_org_id uuid := coalesce(new.org_id, old.org_id);
  v_actor uuid := (select auth.uid());
  v_rank integer;
  v_old_rank integer;
  v_new_rank integer;
  v_owner_role uuid;
  v_losing_owner boolean;
begin
  if current_setting('groundwork.system_change', true) = 'on' then
    return coalesce(new, old);
  end if;
  perform 1 from public.organizations where id = v_org_id for update;
  if not found then
    return coalesce(new, old); -- the organization itself is being deleted
  end if;
  if tg_op = 'UPDATE' and new.user_id <> old.user_id then
    raise exception 'Cannot move a membership to another user' using errcode = '42501';
  end if;
  if tg_op = 'UPDATE' then
    new.suspended_at := case when new.status = 'suspended' then coalesce(old.suspended_at, pg_catalog.now()) end;
  end if;

  if v_actor is not null then
    v_rank := coalesce(private.role_rank(v_org_id), 0);
    if tg_op <> 'INSERT' and old.user_id <> v_actor then
      select rank into v_old_rank from public.roles where id = old.role_id;
      if v_old_rank > v_rank then
        raise exception 'Cannot change a member whose role ranks above your own' using errcode = '42501';
      end if;
    end if;
    if tg_op <> 'DELETE' and (tg_op = 'INSERT' or new.role_id <> old.role_id) then
      select rank into v_new_rank from public.roles where id = new.role_id;
      if v_new_rank > v_rank then
        raise exception 'Cannot assign a role ranked above your own' using errcode = '42501';
      end if;
    end if;
  end if;

  select id into v_owner_role from public.roles where org_id = v_org_id and key = 'owner';
  v_losing_owner := tg_op <> 'INSERT' and old.role_id = v_owner_role and old.status = 'active'
    and (tg_op = 'DELETE' or new.role_id <> v_owner_role or new.status <> 'active');
  if v_losing_owner and not exists (
    select 1 from public.members
    where org_id = v_org_id and role_id = v_owner_role and status = 'active' and id <> old.id
  ) then
    raise exception 'Cannot % the last owner of the organization: make someone else owner first',
      case when tg_op = 'DELETE' then 'remove' when new.status <> 'active' then 'suspend' else 'demote' end
      using errcode = '42501';
  end if;
  return coalesce(new, old);
end
$$;
comment on function private.check_member_change() is 'Keeps an active owner in every organization and stops anyone assigning a role above their own or changing a member who outranks them.';

create trigger check_member_change before insert or update or delete on public.members
  for each row execute function private.check_member_change();

-- ---------------------------------------------------------------------------------------------
-- Row-level security: one policy per operation per role, to authenticated.
-- ---------------------------------------------------------------------------------------------

alter table public.organizations enable row level security;
alter table public.departments enable row level security;
alter table public.roles enable row level security;
alter table public.role_permissions enable row level security;
alter table public.members enable row level security;
alter table public.profiles enable row level security;
alter table private.system_roles enable row level security;
alter table private.system_role_grants enable row level security;

-- Column grants guard what may be written; RLS decides which rows.
revoke all on public.organizations, public.departments, public.roles, public.role_permissions, public.members, public.profiles
  from anon, authenticated;
grant select on public.organizations, public.departments, public.roles, public.role_permissions, public.members, public.profiles
  to authenticated;
grant insert (id, name, slug, require_mfa, audit_retention_days) on public.organizations to authenticated;
grant update (name, slug, require_mfa, audit_retention_days, archived_at) on public.organizations to authenticated;
grant delete on public.organizations to authenticated;
grant insert (org_id, name, parent_id) on public.departments to authenticated;
grant update (name, parent_id, archived_at) on public.departments to authenticated;
grant delete on public.departments to authenticated;
grant insert (org_id, key, name, description, rank) on public.roles to authenticated;
grant update (name, description, rank) on public.roles to authenticated;
grant delete on public.roles to authenticated;
grant insert (role_id, permission, scope) on public.role_permissions to authenticated;
grant update (scope) on public.role_permissions to authenticated;
grant delete on public.role_permissions to authenticated;
grant update (role_id, department_id, status) on public.members to authenticated;
grant delete on public.members to authenticated;
grant update (display_name, avatar_path, locale, time_zone, status) on public.profiles to authenticated;

-- Organizations
create policy "Members read their organizations" on public.organizations
  for select to authenticated using (id in (select private.member_org_ids()));
create policy "Signed-in users create organizations they own" on public.organizations
  for insert to authenticated with check (created_by = (select auth.uid()));
create policy "Members with core.org.manage change their organization" on public.organizations
  for update to authenticated
  using (id in (select private.org_ids_with('core.org.manage')))
  with check (id in (select private.org_ids_with('core.org.manage')));
create policy "Members with core.org.delete delete their organization" on public.organizations
  for delete to authenticated using (id in (select private.org_ids_with('core.org.delete')));
create policy "Organizations requiring MFA demand aal2 to change" on public.organizations
  as restrictive for update to authenticated using (id not in (select private.mfa_blocked_org_ids()));
create policy "Organizations requiring MFA demand aal2 to delete" on public.organizations
  as restrictive for delete to authenticated using (id not in (select private.mfa_blocked_org_ids()));

-- Departments, roles and grants: read by every member, written with a core permission.
select private.create_scoped_policies('public.departments', 'membership', 'core.departments.manage');
select private.create_scoped_policies('public.roles', 'membership', 'core.roles.manage');
select private.create_scoped_policies('public.role_permissions', 'membership', 'core.roles.manage');

-- Members
create policy "Members read their own memberships and members of their organizations" on public.members
  for select to authenticated
  using (user_id = (select auth.uid()) or org_id in (select private.org_ids_with('core.members.read')));
create policy "Members with core.members.manage change members" on public.members
  for update to authenticated
  using (org_id in (select private.org_ids_with('core.members.manage')))
  with check (org_id in (select private.org_ids_with('core.members.manage')));
create policy "Members leave, and members with core.members.manage remove others" on public.members
  for delete to authenticated
  using (user_id = (select auth.uid()) or org_id in (select private.org_ids_with('core.members.manage')));

-- MFA on the organization's data (organizations themselves stay readable, so a member can
-- learn that MFA is required).
create policy "Organizations requiring MFA demand aal2 to read other members" on public.members
  as restrictive for select to authenticated
  using (user_id = (select auth.uid()) or org_id not in (select private.mfa_blocked_org_ids()));
create policy "Organizations requiring MFA demand aal2 to change members" on public.members
  as restrictive for update to authenticated using (org_id not in (select private.mfa_blocked_org_ids()));
create policy "Organizations requiring MFA demand aal2 to remove other members" on public.members
  as restrictive for delete to authenticated
  using (user_id = (select auth.uid()) or org_id not in (select private.mfa_blocked_org_ids()));

-- Profiles: your own, and those of people who share an active organization with you.
create policy "Users read their own profile and their co-members' profiles" on public.profiles
  for select to authenticated
  using (
    id = (select auth.uid())
    or exists (
      select 1 from public.members m
      where m.user_id = profiles.id and m.org_id in (select private.member_org_ids())
    )
  );
create policy "Users change their own profile" on public.profiles
  for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- Workflows (security invoker: RLS and the triggers above decide; these give clear answers)
-- ---------------------------------------------------------------------------------------------

create or replace function public.create_organization(p_name text, p_slug text)
returns public.organizations
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_id uuid := gen_random_uuid();
  v_org public.organizations;
begin
  if (select auth.uid()) is null then
    raise exception 'Cannot create an organization: sign in first' using errcode = '42501';
  end if;
  -- No RETURNING: the creator becomes a member (and may read the row) only once the insert's
  -- trigger has run, so the row is read back by a second statement.
  insert into public.organizations (id, name, slug) values (v_id, btrim(p_name), lower(btrim(p_slug)));
  select * into v_org from public.organizations where id = v_id;
  return v_org;
end
$$;
comment on function public.create_organization(text, text) is 'Creates an organization with the caller as its owner and returns it.';

create or replace function private.member_for_update(p_member_id uuid, p_action text)
returns public.members
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_member public.members;
begin
  select * into v_member from public.members where id = p_member_id;
  if v_member.id is null then
    raise exception 'Cannot % member %: no such member in your organizations', p_action, p_member_id using errcode = 'P0002';
  end if;
  if not private.has_permission(v_member.org_id, 'core.members.manage', 'org') then
    raise exception 'Cannot % member: you need core.members.manage in this organization', p_action using errcode = '42501';
  end if;
  return v_member;
end
$$;
comment on function private.member_for_update(uuid, text) is 'The member a workflow acts on, when the caller can see it and holds core.members.manage; otherwise a clear error.';

create or replace function public.change_member_role(p_member_id uuid, p_role_id uuid)
returns public.members
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_member public.members := private.member_for_update(p_member_id, 'change the role of');
begin
  if not exists (select 1 from public.roles where id = p_role_id and org_id = v_member.org_id) then
    raise exception 'Cannot change role: role % is not a role of this organization', p_role_id using errcode = '22023';
  end if;
  update public.members set role_id = p_role_id where id = p_member_id returning * into v_member;
  return v_member;
end
$$;
comment on function public.change_member_role(uuid, uuid) is 'Gives a member another role of the same organization (core.members.manage; never above your own rank; never the last owner).';

create or replace function public.change_member_department(p_member_id uuid, p_department_id uuid)
returns public.members
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_member public.members := private.member_for_update(p_member_id, 'move');
begin
  if p_department_id is not null and not exists (
    select 1 from public.departments where id = p_department_id and org_id = v_member.org_id and archived_at is null
  ) then
    raise exception 'Cannot move member: department % is not an active department of this organization', p_department_id using errcode = '22023';
  end if;
  update public.members set department_id = p_department_id where id = p_member_id returning * into v_member;
  return v_member;
end
$$;
comment on function public.change_member_department(uuid, uuid) is 'Moves a member to a department of the same organization, or to none (core.members.manage).';

create or replace function public.suspend_member(p_member_id uuid)
returns public.members
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_member public.members := private.member_for_update(p_member_id, 'suspend');
begin
  update public.members set status = 'suspended' where id = p_member_id returning * into v_member;
  return v_member;
end
$$;
comment on function public.suspend_member(uuid) is 'Suspends a member: they lose all access at their next request (core.members.manage; never the last owner).';

create or replace function public.reactivate_member(p_member_id uuid)
returns public.members
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_member public.members := private.member_for_update(p_member_id, 'reactivate');
begin
  update public.members set status = 'active' where id = p_member_id returning * into v_member;
  return v_member;
end
$$;
comment on function public.reactivate_member(uuid) is 'Gives a suspended member their access back (core.members.manage).';

create or replace function public.remove_member(p_member_id uuid)
returns void
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_member public.members;
begin
  select * into v_member from public.members where id = p_member_id;
  if v_member.id is null then
    raise exception 'Cannot remove member %: no such member in your organizations', p_member_id using errcode = 'P0002';
  end if;
  delete from public.members where id = p_member_id;
  if not found then
    raise exception 'Cannot remove member: you need core.members.manage in this organization' using errcode = '42501';
  end if;
end
$$;
comment on function public.remove_member(uuid) is 'Removes a member (core.members.manage), or lets a member leave (their own membership). Never the last owner.';

create or replace function public.transfer_ownership(p_org_id uuid, p_new_owner_member_id uuid)
returns void
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_me public.members;
  v_target public.members;
  v_owner uuid;
  v_admin uuid;
begin
  select * into v_me from public.members where org_id = p_org_id and user_id = (select auth.uid()) and status = 'active';
  select id into v_owner from public.roles where org_id = p_org_id and key = 'owner';
  select id into v_admin from public.roles where org_id = p_org_id and key = 'admin';
  if v_me.id is null or v_me.role_id is distinct from v_owner then
    raise exception 'Cannot transfer ownership: only an owner of the organization can' using errcode = '42501';
  end if;
  select * into v_target from public.members where id = p_new_owner_member_id and org_id = p_org_id;
  if v_target.id is null then
    raise exception 'Cannot transfer ownership: member % is not in this organization', p_new_owner_member_id using errcode = 'P0002';
  end if;
  if v_target.status <> 'active' then
    raise exception 'Cannot transfer ownership to a suspended member' using errcode = '22023';
  end if;
  if v_target.id = v_me.id then
    raise exception 'Cannot transfer ownership to yourself' using errcode = '22023';
  end if;
  update public.members set role_id = v_owner where id = v_target.id;
  update public.members set role_id = v_admin where id = v_me.id;
end
$$;
comment on function public.transfer_ownership(uuid, uuid) is 'Makes another active member the owner and the calling owner an admin, atomically.';

revoke all on function public.create_organization(text, text), public.change_member_role(uuid, uuid),
  public.change_member_department(uuid, uuid), public.suspend_member(uuid), public.reactivate_member(uuid),
  public.remove_member(uuid), public.transfer_ownership(uuid, uuid), private.member_for_update(uuid, text)
  from public, anon;
grant execute on function public.create_organization(text, text), public.change_member_role(uuid, uuid),
  public.change_member_department(uuid, uuid), public.suspend_member(uuid), public.reactivate_member(uuid),
  public.remove_member(uuid), public.transfer_ownership(uuid, uuid), private.member_for_update(uuid, text)
  to authenticated;

-- ---------------------------------------------------------------------------------------------
-- The audit trail on every core table, and reading it
-- ---------------------------------------------------------------------------------------------

select audit.enable('public.organizations', p_org_column => 'id');
select audit.enable('public.departments');
select audit.enable('public.roles');
select audit.enable('public.role_permissions');
select audit.enable('public.members');
select audit.enable('public.profiles');
select audit.enable('public.permissions');

create policy "Members with core.audit.read read their organization's audit trail" on audit.log
  for select to authenticated using (org_id in (select private.org_ids_with('core.audit.read')));
create policy "Organizations requiring MFA demand aal2 to read the audit trail" on audit.log
  as restrictive for select to authenticated using (org_id not in (select private.mfa_blocked_org_ids()));

create view public.audit_events with (security_invoker = true, security_barrier = true) as
  select id, occurred_at, org_id, table_schema, table_name, operation, record_id, actor_id, actor_role, actor_aal,
         request_id, old_record, new_record
  from audit.log;
comment on view public.audit_events is 'The audit trail of your organizations (core.audit.read). Filter by org_id, table_name, record_id, actor_id and occurred_at; page with id < last id, ordered by id desc.';
revoke all on public.audit_events from anon, authenticated;
grant select on public.audit_events to authenticated, service_role;

-- Retention: entries older than their organization's audit_retention_days go, in batches, daily.
create or replace function audit.purge_expired(p_batch_size integer default 10000)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_deleted bigint := 0;
  v_batch bigint;
begin
  perform set_config('audit.retention_sweep', 'on', true);
  loop
    with doomed as (
      select l.id
      from audit.log l
      join public.organizations o on o.id = l.org_id
      where l.occurred_at < private.now() - make_interval(days => o.audit_retention_days)
      limit p_batch_size
    )
    delete from audit.log l using doomed where l.id = doomed.id;
    get diagnostics v_batch = row_count;
    v_deleted := v_deleted + v_batch;
    exit when v_batch < p_batch_size;
  end loop;
  perform set_config('audit.retention_sweep', '', true);
  return v_deleted;
end
$$;
comment on function audit.purge_expired(integer) is 'Deletes audit entries older than their organization''s retention, in batches; run daily by pg_cron. Entries of deleted organizations are kept.';
revoke all on function audit.purge_expired(integer) from public;

select cron.schedule('groundwork-audit-retention', '17 3 * * *', 'select audit.purge_expired()');
