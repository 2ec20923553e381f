-- Core: policies whose organization check is an index condition, writes that probe the one row's
-- organization, and permission helpers whose cost does not grow with a user's memberships.
--  * Reads: `org_id = any (array(select private.org_ids_with(p, 'own')))` — the organizations
--    where the caller holds the permission at any scope — is an index condition (one array built
--    per statement), so "all my organizations" reads only their rows instead of the whole table;
--    the scope (org, department, own) is a filter on those rows. A table without department and
--    owner columns needs only the first part, at org scope.
--  * Writes (insert, update, delete): private.reaches(org, permission, department, own) per row —
--    one primary-key probe of private.access, never the set of all the caller's organizations.
--  * private.mfa_blocked_org_ids reads a partial index holding only MFA-requiring memberships.
-- Tables: none new (the generator's tables get their policies again). Permissions: none.

-- Helpers
create index access_mfa_idx on private.access (user_id) where permission = 'membership' and requires_mfa;
comment on index private.access_mfa_idx is 'The memberships whose organization requires MFA: private.mfa_blocked_org_ids reads only these, however many organizations a user belongs to.';

create or replace function private.reaches(p_org_id uuid, p_permission text, p_department_id uuid, p_own boolean)
returns boolean
language plpgsql
stable
parallel safe
security definer
set search_path = ''
as $$
declare
  v_scope public.permission_scope;
  v_home uuid;
begin
  -- One probe of the primary key (user_id, permission, org_id): the caller's scope in this organization.
  select a.scope into v_scope from private.access a
  where a.user_id = auth.uid() and a.permission = p_permission and a.org_id = p_org_id;
  if v_scope is null then
    return false;
  elsif v_scope = 'org' or coalesce(p_own, false) then
    return true;
  elsif v_scope <> 'department' or p_department_id is null then
    return false;
  end if;
  -- Department scope: the row's department is the caller's own department there, or below it.
  select m.department_id into v_home from public.members m where m.org_id = p_org_id and m.user_id = auth.uid();
  return v_home is not null and exists (
    with recursive up (id, parent_id) as (
      select d.id, d.parent_id from public.departments d where d.id = p_department_id and d.org_id = p_org_id
      union
      select d.id, d.parent_id from public.departments d join up on d.id = up.parent_id
    )
    select 1 from up where up.id = v_home
  );
end
$$;
comment on function private.reaches(uuid, text, uuid, boolean) is 'Whether the current user reaches one row with the permission: org scope, department scope over the row''s department (their own department or one below it), or any scope when p_own (they own or are assigned to it). One probe of private.access, whatever their number of organizations; never null.';
revoke all on function private.reaches(uuid, text, uuid, boolean) from public;
grant execute on function private.reaches(uuid, text, uuid, boolean) to authenticated, service_role;

create index access_partial_scope_idx on private.access (user_id, permission) where scope <> 'org';
comment on index private.access_partial_scope_idx is 'Grants below organization scope (department, own): private.holds_only_org_scope answers from here in one probe.';

create or replace function private.holds_only_org_scope(p_permission text)
returns boolean
language plpgsql
stable
parallel safe
security definer
set search_path = ''
as $$
begin
  return not exists (
    select 1 from private.access a where a.user_id = auth.uid() and a.permission = p_permission and a.scope <> 'org'
  );
end
$$;
comment on function private.holds_only_org_scope(text) is 'Whether every grant of the permission the current user holds is at organization scope (the usual case): then a read policy needs no scope filter beyond the organizations. One probe of a partial index.';
revoke all on function private.holds_only_org_scope(text) from public;
grant execute on function private.holds_only_org_scope(text) to authenticated, service_role;

alter function private.org_ids_with(text, public.permission_scope) parallel safe;
alter function private.department_ids_with(text) parallel safe;
alter function private.member_org_ids() parallel safe;
alter function private.has_permission(uuid, text, public.permission_scope) parallel safe;
alter function private.mfa_blocked_org_ids() parallel safe;

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
  v_scoped text := format('(select private.holds_only_org_scope(%L)) or %I in (select private.org_ids_with(%L))',
    p_permission, p_org_column, p_permission);
begin
  if p_department_column is null and p_owner_column is null then
    return format('%I = any (array(select private.org_ids_with(%L)))', p_org_column, p_permission);
  end if;
  if p_department_column is not null then
    v_scoped := v_scoped || format(' or %I in (select private.department_ids_with(%L))', p_department_column, p_permission);
  end if;
  if p_owner_column is not null then
    v_scoped := v_scoped || format(' or %I = (select auth.uid())', p_owner_column);
  end if;
  return format('%I = any (array(select private.org_ids_with(%L, %L))) and (%s)', p_org_column, p_permission, 'own', v_scoped);
end
$$;
comment on function private.scope_predicate(text, text, text, text) is 'The read policy expression for "members holding the permission reach the row": the organizations where the caller holds it at any scope, as an index condition (one array per statement), then — unless every grant the caller holds is at org scope, which one probe tells — org scope by the org column, department scope by the department column, own scope by the owner column as a filter.';
revoke all on function private.scope_predicate(text, text, text, text) from public;

create or replace function private.write_predicate(
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
begin
  if p_department_column is null and p_owner_column is null then
    return format('private.has_permission(%I, %L, %L)', p_org_column, p_permission, 'org');
  end if;
  return format('private.reaches(%I, %L, %s, %s)', p_org_column, p_permission,
    coalesce(format('%I', p_department_column), 'null::uuid'),
    coalesce(format('%I = (select auth.uid())', p_owner_column), 'false'));
end
$$;
comment on function private.write_predicate(text, text, text, text) is 'The write policy expression (insert, update, delete): the one row''s organization probed directly with private.has_permission or private.reaches, not the set of all the caller''s organizations.';
revoke all on function private.write_predicate(text, text, text, text) from public;

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
  v_write text := private.write_predicate(p_write_permission, p_org_column, p_department_column, p_owner_column);
begin
  if exists (
    select 1 from unnest(array[p_read_permission, p_write_permission]) k
    where k <> 'membership' and not exists (select 1 from public.permissions where key = k)
  ) then
    raise exception 'Cannot create policies on %: add % and % to public.permissions first', p_table, p_read_permission, p_write_permission;
  end if;
  execute format('alter table %s enable row level security', p_table);
  execute format('drop policy if exists %I on %s', private.scoped_policy_name(p_read_permission, 'read'), p_table);
  execute format('create policy %I on %s for select to authenticated using (%s)',
    private.scoped_policy_name(p_read_permission, 'read'), p_table, v_read);
  execute format('drop policy if exists %I on %s', private.scoped_policy_name(p_write_permission, 'add'), p_table);
  execute format('create policy %I on %s for insert to authenticated with check (%s)',
    private.scoped_policy_name(p_write_permission, 'add'), p_table, v_write);
  execute format('drop policy if exists %I on %s', private.scoped_policy_name(p_write_permission, 'change'), p_table);
  execute format('create policy %I on %s for update to authenticated using (%s) with check (%s)',
    private.scoped_policy_name(p_write_permission, 'change'), p_table, v_write, v_write);
  execute format('drop policy if exists %I on %s', private.scoped_policy_name(p_write_permission, 'remove'), p_table);
  execute format('create policy %I on %s for delete to authenticated using (%s)',
    private.scoped_policy_name(p_write_permission, 'remove'), p_table, v_write);
  perform private.enable_mfa_policies(p_table, p_org_column);
  perform private.index_policy_columns(p_table, p_org_column, p_department_column, p_owner_column);
end
$$;
comment on function private.create_scoped_policies(regclass, text, text, text, text, text) is 'Gives an organization-scoped table its policies in one call (again, replacing them): read with one permission — the organizations as an index condition, the scope as a filter — and write with another, probing the one row''s organization (''membership'' meaning any active member); each reaches org / department / own rows by the grant''s scope; plus the restrictive MFA policies (private.enable_mfa_policies); indexes the columns they read.';
revoke all on function private.create_scoped_policies(regclass, text, text, text, text, text) from public;

create or replace function private.index_policy_columns(
  p_table regclass,
  p_org_column text,
  p_department_column text default null,
  p_owner_column text default null
)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_column text;
begin
  foreach v_column in array array_remove(array[p_org_column, p_department_column, p_owner_column], null) loop
    if not exists (
      select 1 from pg_catalog.pg_index i join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
      where i.indrelid = p_table and a.attname = v_column
    ) then
      execute format('create index %I on %s (%I)',
        left(format('%s_%s_policy_idx', (select relname from pg_catalog.pg_class where oid = p_table), v_column), 62), p_table, v_column);
    end if;
  end loop;
end
$$;
comment on function private.index_policy_columns(regclass, text, text, text) is 'Indexes every column a generated policy reads, unless an index already leads with it. (An organization index that also includes the scope columns would make counts index-only, but it turns the planner from an ordered scan of an (org_id, created_at) index to a sort of the whole organization, so it is not made.)';
revoke all on function private.index_policy_columns(regclass, text, text, text) from public;

-- The generator's tables take the new forms.
select private.create_scoped_policies('public.departments', 'membership', 'core.departments.manage');
select private.create_scoped_policies('public.roles', 'membership', 'core.roles.manage');
select private.create_scoped_policies('public.role_permissions', 'membership', 'core.roles.manage');
select private.create_scoped_policies('public.resources', 'core.scheduling.read', 'core.scheduling.manage');
select private.create_scoped_policies('public.availability_rules', 'core.scheduling.read', 'core.scheduling.manage');
select private.create_scoped_policies('public.availability_overrides', 'core.scheduling.read', 'core.scheduling.manage');
select private.create_scoped_policies('public.time_off', 'core.scheduling.read', 'core.scheduling.manage');
select private.create_scoped_policies('compliance.approval_policies', 'membership', 'core.org.manage');
select private.create_scoped_policies('compliance.certification_types', 'membership', 'compliance.training.manage');
