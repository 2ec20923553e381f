-- Core: the policy generators write their forms over private.my_access_sets and private.my_access
-- (20261123140000_core_access_sets), and every table they made gets its policies again.
--  * Read: `org_id = any ((select s.org_ids from private.my_access_sets s where s.permission = p)::uuid[])`
--    — an index condition, one stored row whatever the number of organizations — and the scope as
--    a filter that stops at its first test for rows of organizations held at org scope
--    (`org_id <> all (<partial>)`); department or owner columns decide the others.
--  * Write: `exists (select 1 from private.my_access a where a.org_id = <table>.org_id and
--    a.permission = p and (a.scope = 'org' or <own> or <department>))` — one primary-key probe.
--  * MFA (restrictive): `org_id <> all (array(<blocked_org_ids of the membership row>))`.
-- Tables: none new. Permissions: none.

create or replace function private.set_of(p_column text, p_permission text)
returns text
language sql
immutable
set search_path = ''
as $$
  select case when p_column = 'org_ids'
    then format('(select s.org_ids from private.my_access_sets s where s.permission = %L)::uuid[]', p_permission)
    else format('array(select unnest(s.%I) from private.my_access_sets s where s.permission = %L)', p_column, p_permission)
  end
$$;
comment on function private.set_of(text, text) is 'Policy text: one array column of the current user''s private.access_sets row for the permission, run once per statement. org_ids as a scalar sub-select (an index condition takes it whole); the short arrays checked row by row (partial_org_ids, blocked_org_ids) rebuilt by array(...): a scalar sub-select''s small array would come back in the short on-disk form, unpacked again for every row.';
revoke all on function private.set_of(text, text) from public;

drop function private.scope_predicate(text, text, text, text);
create or replace function private.scope_predicate(
  p_permission text,
  p_org_column text default 'org_id',
  p_department_column text default null,
  p_owner_column text default null,
  p_also_own text default null
)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_orgs text := format('%I = any (%s)', p_org_column, private.set_of('org_ids', p_permission));
  v_full text := format('%I <> all (%s)', p_org_column, private.set_of('partial_org_ids', p_permission));
begin
  if p_permission = 'membership' then
    return v_orgs;  -- a membership is held at org scope, always
  elsif p_department_column is null and p_owner_column is null and p_also_own is null then
    return format('%s and %s', v_orgs, v_full);
  end if;
  if p_department_column is not null then
    v_full := v_full || format(' or %I = any (array(select private.department_ids_with(%L)))', p_department_column, p_permission);
  end if;
  if p_owner_column is not null then
    v_full := v_full || format(' or %I = (select auth.uid())', p_owner_column);
  end if;
  if p_also_own is not null then
    v_full := v_full || ' or ' || p_also_own;
  end if;
  return format('%s and (%s)', v_orgs, v_full);
end
$$;
comment on function private.scope_predicate(text, text, text, text, text) is 'The read policy expression for "members holding the permission reach the row": the organizations where the caller holds it at any scope, as an index condition (one stored array, private.my_access_sets), then the scope as a filter — rows of organizations held at org scope pass at once; in the others the department column (their department or below), the owner column or p_also_own (another test that makes the row theirs, such as an assignment) decides. A table without any of them is read at org scope only.';
revoke all on function private.scope_predicate(text, text, text, text, text) from public;

drop function private.write_predicate(text, text, text, text);
create or replace function private.write_predicate(
  p_table regclass,
  p_permission text,
  p_org_column text default 'org_id',
  p_department_column text default null,
  p_owner_column text default null
)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
  v_row text := (select quote_ident(c.relname) from pg_catalog.pg_class c where c.oid = p_table);
  v_reach text := '''org''';
begin
  if p_owner_column is not null then
    v_reach := v_reach || format(' or %s.%I = (select auth.uid())', v_row, p_owner_column);
  end if;
  if p_department_column is not null then
    v_reach := v_reach || format(' or (a.scope = ''department'' and private.reaches(%s.%I, %L, %s.%I, false))',
      v_row, p_org_column, p_permission, v_row, p_department_column);
  end if;
  return format('exists (select 1 from private.my_access a where a.org_id = %s.%I and a.permission = %L and (a.scope = %s))',
    v_row, p_org_column, p_permission, v_reach);
end
$$;
comment on function private.write_predicate(regclass, text, text, text, text) is 'The write policy expression (insert, update, delete): one probe of the caller''s private.access row for the row''s organization — org scope, or the row is theirs (owner column), or (department scope) its department is theirs or below; no function call unless department scope must walk the tree.';
revoke all on function private.write_predicate(regclass, text, text, text, text) from public;

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
  v_write text := private.write_predicate(p_table, p_write_permission, p_org_column, p_department_column, p_owner_column);
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
comment on function private.create_scoped_policies(regclass, text, text, text, text, text) is 'Gives an organization-scoped table its policies in one call (again, replacing them): read with one permission — the organizations as an index condition from the caller''s stored set, the scope as a filter — and write with another, probing the one row''s organization (''membership'' meaning any active member); each reaches org / department / own rows by the grant''s scope; plus the restrictive MFA policies (private.enable_mfa_policies); indexes the columns they read.';
revoke all on function private.create_scoped_policies(regclass, text, text, text, text, text) from public;

create or replace function private.enable_mfa_policies(p_table regclass, p_org_column text default 'org_id', p_read_unless text default null)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_nullable boolean;
  v_check text;
  v_read text;
  v_policy record;
begin
  select not a.attnotnull into v_nullable from pg_catalog.pg_attribute a
  where a.attrelid = p_table and a.attname = p_org_column and not a.attisdropped;
  if v_nullable is null then
    raise exception 'Cannot add MFA policies to %: it has no column %', p_table, p_org_column;
  end if;
  v_check := format('%I <> all (%s)', p_org_column, private.set_of('blocked_org_ids', 'membership'));
  if v_nullable then
    v_check := format('(%I is null or %s)', p_org_column, v_check);
  end if;
  v_read := case when p_read_unless is null then v_check else format('(%s) or %s', p_read_unless, v_check) end;
  for v_policy in
    select polname from pg_catalog.pg_policy where polrelid = p_table and not polpermissive and polname like 'Organizations requiring MFA%'
  loop
    execute format('drop policy %I on %s', v_policy.polname, p_table);
  end loop;
  execute format('create policy %I on %s as restrictive for select to authenticated using (%s)',
    'Organizations requiring MFA demand aal2 to read', p_table, v_read);
  execute format('create policy %I on %s as restrictive for insert to authenticated with check (%s)',
    'Organizations requiring MFA demand aal2 to add', p_table, v_check);
  execute format('create policy %I on %s as restrictive for update to authenticated using (%s) with check (%s)',
    'Organizations requiring MFA demand aal2 to change', p_table, v_check, v_check);
  execute format('create policy %I on %s as restrictive for delete to authenticated using (%s)',
    'Organizations requiring MFA demand aal2 to remove', p_table, v_read);
end
$$;
comment on function private.enable_mfa_policies(regclass, text, text) is 'Gives a table carrying an organization column the four restrictive MFA policies (read, add, change, remove): rows of organizations requiring MFA are out of reach for sessions below aal2 (the blocked organizations come from the caller''s stored membership set, one probe). p_read_unless names rows still readable and removable at aal1 (your own membership, an invitation to your own email). Replaces earlier MFA policies; idempotent.';
revoke all on function private.enable_mfa_policies(regclass, text, text) from public;

-- Every table the generators made takes the new forms: the scoped ones (same arguments as when they
-- were made), the trash's restrictive read policy of each table in the trash registry, and the MFA
-- policies of every table carrying org_id (with the same exceptions as in 20261122100100).
select private.create_scoped_policies('public.departments', 'membership', 'core.departments.manage');
select private.create_scoped_policies('public.roles', 'membership', 'core.roles.manage');
select private.create_scoped_policies('public.role_permissions', 'membership', 'core.roles.manage');
select private.create_scoped_policies('public.resources', 'core.scheduling.read', 'core.scheduling.manage');
select private.create_scoped_policies('public.availability_rules', 'core.scheduling.read', 'core.scheduling.manage');
select private.create_scoped_policies('public.availability_overrides', 'core.scheduling.read', 'core.scheduling.manage');
select private.create_scoped_policies('public.time_off', 'core.scheduling.read', 'core.scheduling.manage');
select private.create_scoped_policies('compliance.approval_policies', 'membership', 'core.org.manage');
select private.create_scoped_policies('compliance.certification_types', 'membership', 'compliance.training.manage');
select private.create_scoped_policies('public.api_keys', 'core.api_keys.manage', 'core.api_keys.manage');
select private.create_scoped_policies('public.imports', 'core.imports.read', 'core.imports.manage', 'org_id', null, 'created_by');
select private.create_scoped_policies('public.exports', 'core.exports.read', 'core.imports.manage', 'org_id', null, 'created_by');

do $$
declare
  v_table record;
begin
  for v_table in select t.table_id, t.permission, t.org_column, t.department_column, t.owner_column from private.soft_delete_tables t loop
    execute format('alter policy %I on %s using (deleted_at is null or %s)', 'Trashed rows are read only by who may restore them',
      v_table.table_id, private.scope_predicate(v_table.permission, v_table.org_column, v_table.department_column, v_table.owner_column));
  end loop;
  for v_table in
    select c.oid::regclass as id from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attname = 'org_id' and not a.attisdropped
    where c.relkind in ('r', 'p') and n.nspname in ('public', 'compliance', 'audit')
  loop
    perform private.enable_mfa_policies(v_table.id, 'org_id',
      case v_table.id
        when 'public.members'::regclass then 'user_id = (select auth.uid())'
        when 'public.invitations'::regclass then 'email = (select private.verified_email())'
      end);
  end loop;
end
$$;

-- private.holds_only_org_scope served only the earlier read form (no policy or function calls it
-- now), and its partial index was written on every change to private.access for it alone.
drop function private.holds_only_org_scope(text);
drop index private.access_partial_scope_idx;
