-- Core: bulk changes over ids or a filter document, once for every table public.query_records
-- serves. public.bulk_change updates, assigns, trashes (or deletes) and restores up to 1,000 rows as
-- the caller, one savepoint a row: every row passes RLS, the triggers and the audit on its own, and
-- a refused row is reported with its reason (not_found, no_access, validation, constraint,
-- conflict). All or nothing by default — one refusal and nothing changes, the refusals in the
-- error's details — or row by row when asked.
-- Tables: none. Permissions: none (each table's policies decide, row by row).

-- Helpers
create or replace function private.bulk_set_clause(p_table regclass, p_changes jsonb, p_action text)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_change record;
  v_type text;
  v_set text[] := '{}'::text[];
begin
  if jsonb_typeof(p_changes) is distinct from 'object' or (select count(*) from jsonb_object_keys(p_changes)) not between 1 and 50 then
    raise exception 'Cannot % rows: name 1 to 50 columns to change', p_action using errcode = '22023';
  end if;
  for v_change in select * from jsonb_each(p_changes) loop
    select pg_catalog.format_type(a.atttypid, a.atttypmod) into v_type from pg_catalog.pg_attribute a
    where a.attrelid = p_table and a.attname = v_change.key and a.attnum > 0 and not a.attisdropped
      and pg_catalog.has_column_privilege(p_table, a.attnum, 'update');
    if v_type is null then
      raise exception 'Cannot % rows: % is not a column you may change', p_action, v_change.key using errcode = '22023';
    end if;
    if p_action = 'assign' and not exists (
      select 1 from pg_catalog.pg_constraint c join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = any (c.conkey)
      where c.conrelid = p_table and c.contype = 'f' and c.confrelid = 'public.members'::regclass and a.attname = v_change.key) then
      raise exception 'Cannot assign rows: % does not name a member', v_change.key using errcode = '22023';
    end if;
    v_set := v_set || format('%I = %L::%s', v_change.key, v_change.value #>> '{}', v_type);
    v_type := null;
  end loop;
  if p_action = 'assign' and cardinality(v_set) <> 1 then
    raise exception 'Cannot assign rows: name exactly one member column' using errcode = '22023';
  end if;
  return array_to_string(v_set, ', ');
end
$$;
comment on function private.bulk_set_clause(regclass, jsonb, text) is 'The set clause of a bulk update: each column one the caller may update (from the catalog), each value a quoted literal cast to its type; for assign, exactly one column naming a member.';
revoke all on function private.bulk_set_clause(regclass, jsonb, text) from public;
grant execute on function private.bulk_set_clause(regclass, jsonb, text) to authenticated;

create or replace function private.trash_kind(p_table regclass)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select t.kind from private.soft_delete_tables t where t.table_id = p_table
$$;
comment on function private.trash_kind(regclass) is 'The trash kind of a table whose rows go to the trash, or null.';
revoke all on function private.trash_kind(regclass) from public;
grant execute on function private.trash_kind(regclass) to authenticated;

create or replace function private.bulk_targets(p_kind text, p_ids uuid[], p_filter jsonb)
returns uuid[]
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_parts text[];
  v_ids uuid[];
begin
  if (p_ids is null) = (p_filter is null) then
    raise exception 'Cannot change % in bulk: give either ids or a filter document', p_kind using errcode = '22023';
  end if;
  if p_ids is not null then
    v_ids := array(select distinct i from unnest(p_ids) i where i is not null);
  else
    v_parts := private.filter_parts(p_kind, jsonb_build_object('where', p_filter -> 'where'), null);
    execute format('select array(select r.id from %s r where %s limit 1001)', v_parts[1], v_parts[2]) into v_ids;
  end if;
  if cardinality(v_ids) not between 1 and 1000 then
    raise exception 'Cannot change % in bulk: % rows; a call changes 1 to 1,000 (narrow the filter)', p_kind, cardinality(v_ids) using errcode = '22023';
  end if;
  return v_ids;
end
$$;
comment on function private.bulk_targets(text, uuid[], jsonb) is 'The ids a bulk change acts on: the ids given (distinct), or the rows the filter document selects for the caller; 1 to 1,000.';
revoke all on function private.bulk_targets(text, uuid[], jsonb) from public;
grant execute on function private.bulk_targets(text, uuid[], jsonb) to authenticated;

create or replace function private.bulk_reason(p_state text)
returns text
language sql
immutable
set search_path = ''
as $$
  select case when p_state = '42501' then 'no_access' when p_state = 'P0002' then 'not_found' when p_state like '23%' then 'constraint'
              when p_state like '22%' then 'validation' when p_state in ('GW409', '40001', '40P01') then 'conflict'
              when p_state = 'GW410' then 'expired' else 'error' end
$$;
comment on function private.bulk_reason(text) is 'Why a row of a bulk change was refused, from its SQLSTATE.';
revoke all on function private.bulk_reason(text) from public;
grant execute on function private.bulk_reason(text) to authenticated;

create or replace function private.bulk_change_row(p_table regclass, p_kind text, p_action text, p_set text, p_id uuid)
returns void
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_trash text := private.trash_kind(p_table);
  v_count bigint;
  v_visible boolean;
begin
  if p_action = 'delete' and v_trash is not null then
    perform public.trash_record(v_trash, p_id);
  elsif p_action = 'restore' then
    perform public.restore_record(coalesce(v_trash, p_kind), p_id);
  else
    execute case when p_action = 'delete' then format('delete from %s r where r.id = $1', p_table)
                 else format('update %s r set %s where r.id = $1', p_table, p_set) end using p_id;
    get diagnostics v_count = row_count;
    if v_count = 0 then
      execute format('select exists (select 1 from %s r where r.id = $1)', p_table) into v_visible using p_id;
      if v_visible then
        raise exception 'Cannot % %: you may read it but not change it', p_action, p_id using errcode = '42501';
      end if;
      raise exception 'Cannot % %: no such row in your organizations', p_action, p_id using errcode = 'P0002';
    end if;
  end if;
end
$$;
comment on function private.bulk_change_row(regclass, text, text, text, uuid) is 'One row of a bulk change, as the caller: update or assign with the checked set clause, trash (or delete where the table has no trash), restore; a row the caller cannot see or change is refused with why.';
revoke all on function private.bulk_change_row(regclass, text, text, text, uuid) from public;
grant execute on function private.bulk_change_row(regclass, text, text, text, uuid) to authenticated;

-- Workflows
create or replace function public.bulk_change(
  p_kind text, p_action text, p_ids uuid[] default null, p_filter jsonb default null, p_changes jsonb default null,
  p_all_or_nothing boolean default true
)
returns table (id uuid, ok boolean, reason text, message text)
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_table regclass := private.view_table(p_kind);
  v_set text;
  v_ids uuid[];
  v_id uuid;
  v_failures jsonb := '[]'::jsonb;
  v_state text;
  v_message text;
begin
  if p_action is null or p_action not in ('update', 'assign', 'delete', 'restore') then
    raise exception 'Cannot change % in bulk: the action is update, assign, delete or restore', p_kind using errcode = '22023';
  end if;
  if p_action in ('update', 'assign') then
    v_set := private.bulk_set_clause(v_table, p_changes, p_action);
  end if;
  v_ids := private.bulk_targets(p_kind, p_ids, p_filter);
  foreach v_id in array v_ids loop
    begin
      perform private.bulk_change_row(v_table, p_kind, p_action, v_set, v_id);
      id := v_id; ok := true; reason := null; message := null;
    exception when others then
      get stacked diagnostics v_state = returned_sqlstate, v_message = message_text;
      id := v_id; ok := false; reason := private.bulk_reason(v_state); message := v_message;
      v_failures := v_failures || jsonb_build_object('id', v_id, 'reason', reason, 'message', v_message);
    end;
    return next;
  end loop;
  if p_all_or_nothing and jsonb_array_length(v_failures) > 0 then
    raise exception 'Cannot % % of % % rows: nothing was changed', p_action, jsonb_array_length(v_failures), cardinality(v_ids), p_kind
      using errcode = 'GW422', detail = jsonb_build_object('refused', v_failures)::text;
  end if;
end
$$;
comment on function public.bulk_change(text, text, uuid[], jsonb, jsonb, boolean) is 'Updates (p_changes), assigns (one member column), trashes or restores up to 1,000 rows given by ids or a filter document, as the caller, a savepoint a row (each audited). All or nothing by default (GW422 with the refused rows); with p_all_or_nothing false, the rows that pass are changed and each row says ok or why not.';
revoke all on function public.bulk_change(text, text, uuid[], jsonb, jsonb, boolean) from public, anon;
grant execute on function public.bulk_change(text, text, uuid[], jsonb, jsonb, boolean) to authenticated;
