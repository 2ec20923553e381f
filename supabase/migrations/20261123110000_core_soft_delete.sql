-- Core: soft delete, restore and purge, once for every module table. private.enable_soft_delete
-- gives a table (and the child tables that go with its rows) deleted_at / deleted_by, a restrictive
-- policy that hides trashed rows from every read — selects, counts, embedded children, linked
-- documents, search — for everyone but the members who may restore them, and a guard that keeps a
-- trashed row unchanged until it is restored. public.trash_record / public.restore_record act as
-- the caller: the row must be visible to them and reached by the table's delete permission. A
-- restore within the organization's trash retention brings back the children trashed with the row;
-- pg_cron purges the trash after it (each purge audited as a delete).
-- Tables: private.soft_delete_tables (new); public.organizations.trash_retention_days (new column).
-- Permissions: each table names its own (compliance: compliance.contracts.delete).

alter table public.organizations add column trash_retention_days integer not null default 30;
alter table public.organizations add constraint organizations_trash_retention_range check (trash_retention_days between 1 and 365);
comment on column public.organizations.trash_retention_days is 'How long trashed records can be restored (1 to 365 days) before pg_cron purges them for good.';
grant update (trash_retention_days) on public.organizations to authenticated;

-- Tables
create table private.soft_delete_tables (
  table_id regclass primary key,
  kind text not null,
  permission text not null references public.permissions (key),
  org_column text not null default 'org_id',
  department_column text,
  owner_column text,
  children jsonb not null default '[]',
  constraint soft_delete_tables_kind_key unique (kind),
  constraint soft_delete_tables_kind_format check (kind ~ '^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$')
);
create index soft_delete_tables_permission_idx on private.soft_delete_tables (permission);
comment on table private.soft_delete_tables is 'Tables whose rows go to the trash instead of being deleted: their kind (how callers name them), the permission that trashes, sees the trash and restores, the scope columns, and the child tables ({"table", "column"}) trashed with a row.';
alter table private.soft_delete_tables enable row level security;
revoke all on private.soft_delete_tables from public, anon, authenticated, service_role;
select audit.enable('private.soft_delete_tables');

-- Helpers
create or replace function private.guard_trashed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if old.deleted_at is not null and new.deleted_at is not null and not private.is_trusted('core.trash') then
    raise exception 'Cannot change %.%: it is in the trash; restore it first', tg_table_schema, tg_table_name using errcode = 'GW409';
  end if;
  if (new.deleted_at is distinct from old.deleted_at or new.deleted_by is distinct from old.deleted_by)
     and not private.is_trusted('core.trash') then
    raise exception 'Cannot move %.% to or from the trash by an update: call trash_record or restore_record', tg_table_schema, tg_table_name
      using errcode = '42501';
  end if;
  return new;
end
$$;
comment on function private.guard_trashed() is 'Keeps a trashed row unchanged until it is restored, and lets only the trash workflows set deleted_at and deleted_by.';
revoke all on function private.guard_trashed() from public;

create or replace function private.guard_trashed_parent()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_deleted boolean;
begin
  if private.is_trusted('core.trash') then
    return coalesce(new, old);
  end if;
  execute format('select deleted_at is not null from %s where id = $1', tg_argv[0]::regclass)
    into v_deleted using (to_jsonb(coalesce(new, old)) ->> tg_argv[1])::uuid;
  if v_deleted then
    raise exception 'Cannot change %.%: its % is in the trash; restore it first', tg_table_schema, tg_table_name, tg_argv[0]
      using errcode = 'GW409';
  end if;
  return coalesce(new, old);
end
$$;
comment on function private.guard_trashed_parent() is 'Refuses changes to a child row while its parent (trigger argument: parent table, key column) is in the trash.';
revoke all on function private.guard_trashed_parent() from public;

create or replace function private.add_trash_columns(p_table regclass, p_org_column text, p_read text)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_name text := (select relname from pg_catalog.pg_class where oid = p_table);
begin
  execute format('alter table %s add column if not exists deleted_at timestamptz, add column if not exists deleted_by uuid', p_table);
  execute format('comment on column %s.deleted_at is %L', p_table, 'When the row went to the trash (null: not trashed). Set only by trash_record and restore_record.');
  execute format('comment on column %s.deleted_by is %L', p_table, 'Who trashed the row: a member of its organization.');
  execute format('alter table %s add constraint %I foreign key (%I, deleted_by) references public.members (org_id, user_id) on delete set null (deleted_by)',
    p_table, left(v_name || '_deleted_by_fkey', 63), p_org_column);
  execute format('create index %I on %s (%I, deleted_by)', left(v_name || '_deleted_by_idx', 63), p_table, p_org_column);
  execute format('create index %I on %s (deleted_at) where deleted_at is not null', left(v_name || '_trash_idx', 63), p_table);
  execute format('create policy %I on %s as restrictive for select to authenticated using (deleted_at is null or %s)',
    'Trashed rows are read only by who may restore them', p_table, p_read);
  execute format('create trigger guard_trashed before update on %s for each row execute function private.guard_trashed()', p_table);
end
$$;
comment on function private.add_trash_columns(regclass, text, text) is 'deleted_at, deleted_by (a member), their indexes, the restrictive read policy and the guard, on one table.';
revoke all on function private.add_trash_columns(regclass, text, text) from public;

create or replace function private.enable_soft_delete(
  p_table regclass, p_kind text, p_permission text, p_children text[] default '{}',
  p_department_column text default null, p_owner_column text default null, p_org_column text default 'org_id'
)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_read text := private.scope_predicate(p_permission, p_org_column, p_department_column, p_owner_column);
  v_child text;
  v_children jsonb := '[]'::jsonb;
  v_parts text[];
begin
  if exists (select 1 from private.soft_delete_tables where table_id = p_table) then
    return;
  end if;
  perform private.add_trash_columns(p_table, p_org_column, v_read);
  foreach v_child in array p_children loop
    v_parts := regexp_match(v_child, '^(.+)\.([a-z_][a-z0-9_]*)$');
    perform private.add_trash_columns(v_parts[1]::regclass, 'org_id', format('org_id in (select private.org_ids_with(%L))', p_permission));
    execute format('create trigger guard_trashed_parent before insert or update or delete on %s for each row execute function private.guard_trashed_parent(%L, %L)',
      v_parts[1]::regclass, p_table, v_parts[2]);
    v_children := v_children || jsonb_build_object('table', v_parts[1]::regclass::text, 'column', v_parts[2]);
  end loop;
  insert into private.soft_delete_tables (table_id, kind, permission, org_column, department_column, owner_column, children)
  values (p_table, p_kind, p_permission, p_org_column, p_department_column, p_owner_column, v_children);
end
$$;
comment on function private.enable_soft_delete(regclass, text, text, text[], text, text, text) is 'Turns deletion of a table''s rows into the trash, in one idempotent call: p_kind names it to callers, p_permission trashes, sees the trash and restores (its scope through the department and owner columns), p_children ("schema.table.column") go to the trash with their row.';
revoke all on function private.enable_soft_delete(regclass, text, text, text[], text, text, text) from public;

create or replace function private.trashable_row(p_kind text, p_id uuid, p_action text)
returns table (table_id regclass, org_id uuid, deleted_at timestamptz, children jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_table private.soft_delete_tables;
  v_row jsonb;
begin
  select * into v_table from private.soft_delete_tables t where t.kind = p_kind;
  if v_table.table_id is null then
    raise exception 'Cannot % %: no such kind of record', p_action, p_kind using errcode = '22023';
  end if;
  execute format('select to_jsonb(r) from %s r where r.id = $1', v_table.table_id) into v_row using p_id;
  if v_row is null or not private.reaches((v_row ->> v_table.org_column)::uuid, v_table.permission,
       (v_row ->> v_table.department_column)::uuid, v_row ->> v_table.owner_column = auth.uid()::text) then
    raise exception 'Cannot % % %: you need % over it', p_action, p_kind, p_id, v_table.permission using errcode = '42501';
  end if;
  if (v_row ->> v_table.org_column)::uuid in (select private.mfa_blocked_org_ids()) then
    raise exception 'Cannot % %: this organization requires MFA (aal2)', p_action, p_kind using errcode = '42501';
  end if;
  return query select v_table.table_id, (v_row ->> v_table.org_column)::uuid, (v_row ->> 'deleted_at')::timestamptz, v_table.children;
end
$$;
comment on function private.trashable_row(text, uuid, text) is 'The registered table, organization, trash time and children of a row the caller may trash or restore (the table''s permission reaches it); otherwise a clear error.';
revoke all on function private.trashable_row(text, uuid, text) from public;
grant execute on function private.trashable_row(text, uuid, text) to authenticated;

-- Workflows
create or replace function private.move_to_trash(p_kind text, p_id uuid)
returns timestamptz
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_row record;
  v_child jsonb;
  v_now timestamptz := pg_catalog.now();
begin
  select * into v_row from private.trashable_row(p_kind, p_id, 'trash');
  if v_row.deleted_at is not null then
    raise exception 'Cannot trash % %: it is in the trash already', p_kind, p_id using errcode = 'GW409';
  end if;
  perform private.begin_trusted('core.trash');
  for v_child in select * from jsonb_array_elements(v_row.children) loop
    execute format('update %s set deleted_at = $1, deleted_by = $2 where %I = $3 and deleted_at is null',
      (v_child ->> 'table')::regclass, v_child ->> 'column') using v_now, auth.uid(), p_id;
  end loop;
  execute format('update %s set deleted_at = $1, deleted_by = $2 where id = $3', v_row.table_id) using v_now, auth.uid(), p_id;
  perform private.end_trusted('core.trash');
  return v_now;
end
$$;
comment on function private.move_to_trash(text, uuid) is 'Trashes a row and, with the same time, its children not trashed already (the table''s permission must reach the row).';
revoke all on function private.move_to_trash(text, uuid) from public;
grant execute on function private.move_to_trash(text, uuid) to authenticated;

create or replace function private.restore_from_trash(p_kind text, p_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_row record;
  v_child jsonb;
begin
  select * into v_row from private.trashable_row(p_kind, p_id, 'restore');
  if v_row.deleted_at is null then
    raise exception 'Cannot restore % %: it is not in the trash', p_kind, p_id using errcode = 'GW409';
  end if;
  if v_row.deleted_at < private.now() - make_interval(days => (select o.trash_retention_days from public.organizations o where o.id = v_row.org_id)) then
    raise exception 'Cannot restore % %: it was trashed before the organization''s retention window', p_kind, p_id using errcode = 'GW410';
  end if;
  perform private.begin_trusted('core.trash');
  execute format('update %s set deleted_at = null, deleted_by = null where id = $1', v_row.table_id) using p_id;
  for v_child in select * from jsonb_array_elements(v_row.children) loop
    execute format('update %s set deleted_at = null, deleted_by = null where %I = $1 and deleted_at = $2',
      (v_child ->> 'table')::regclass, v_child ->> 'column') using p_id, v_row.deleted_at;
  end loop;
  perform private.end_trusted('core.trash');
end
$$;
comment on function private.restore_from_trash(text, uuid) is 'Restores a trashed row within its organization''s retention window, with the children trashed with it (not those trashed before).';
revoke all on function private.restore_from_trash(text, uuid) from public;
grant execute on function private.restore_from_trash(text, uuid) to authenticated;

create or replace function private.visible_trashable(p_kind text, p_id uuid, p_action text)
returns void
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_table regclass := (select t.table_id from private.trashable_row(p_kind, p_id, p_action) t);
  v_visible boolean;
begin
  execute format('select exists (select 1 from %s where id = $1)', v_table) into v_visible using p_id;
  if not v_visible then
    raise exception 'Cannot % % %: no such record in your organizations', p_action, p_kind, p_id using errcode = 'P0002';
  end if;
end
$$;
comment on function private.visible_trashable(text, uuid, text) is 'Refuses (404) a record the caller cannot see, as the caller (RLS decides), before a trash workflow acts on it.';
revoke all on function private.visible_trashable(text, uuid, text) from public;
grant execute on function private.visible_trashable(text, uuid, text) to authenticated;

create or replace function public.trash_record(p_kind text, p_id uuid)
returns timestamptz
language plpgsql
security invoker
set search_path = ''
as $$
begin
  perform private.visible_trashable(p_kind, p_id, 'trash');
  return private.move_to_trash(p_kind, p_id);
end
$$;
comment on function public.trash_record(text, uuid) is 'Moves a record you can see to the trash, with its children; it needs its table''s delete permission (compliance.contracts.delete for kind ''compliance.contract''). Returns when it was trashed.';
revoke all on function public.trash_record(text, uuid) from public, anon;
grant execute on function public.trash_record(text, uuid) to authenticated;

create or replace function public.restore_record(p_kind text, p_id uuid)
returns void
language plpgsql
security invoker
set search_path = ''
as $$
begin
  perform private.visible_trashable(p_kind, p_id, 'restore');
  perform private.restore_from_trash(p_kind, p_id);
end
$$;
comment on function public.restore_record(text, uuid) is 'Brings a trashed record back, with the children trashed with it, within the organization''s trash retention (trash_retention_days).';
revoke all on function public.restore_record(text, uuid) from public, anon;
grant execute on function public.restore_record(text, uuid) to authenticated;

create or replace function private.purge_trash(p_batch_size integer default 1000)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_table private.soft_delete_tables;
  v_count bigint;
  v_total bigint := 0;
begin
  perform private.begin_trusted('core.trash');
  for v_table in select * from private.soft_delete_tables loop
    execute format(
      'delete from %1$s where ctid = any (array(select r.ctid from %1$s r join public.organizations o on o.id = r.%2$I
         where r.deleted_at < pg_catalog.now() - make_interval(days => o.trash_retention_days) limit $1))',
      v_table.table_id, v_table.org_column) using p_batch_size;
    get diagnostics v_count = row_count;
    v_total := v_total + v_count;
  end loop;
  perform private.end_trusted('core.trash');
  return v_total;
end
$$;
comment on function private.purge_trash(integer) is 'Deletes for good, in batches per table, the trashed rows older than their organization''s trash retention (their children go by foreign key); each deletion is audited.';
revoke all on function private.purge_trash(integer) from public;

-- Cron jobs
select cron.schedule('groundwork-trash-purge', '41 3 * * *', $$select private.purge_trash(10000)$$);
