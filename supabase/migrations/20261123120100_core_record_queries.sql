-- Core: the filter document's engine. public.query_records and public.count_records run a filter
-- document on a registered table as the caller. Identifiers come from the catalog (a field names a
-- column the caller may read, or is refused); values are quoted literals cast to the column's type;
-- operators are a fixed list. Sorting is on up to three non-null columns, then id, and pages are
-- keyset: the cursor holds the last row's sort values and id.
-- Tables: none. Permissions: none.

-- Helpers
create or replace function private.enable_views(p_table regclass, p_kind text)
returns void
language sql
set search_path = ''
as $$
  insert into private.view_tables (table_id, kind) values (p_table, p_kind) on conflict (table_id) do nothing
$$;
comment on function private.enable_views(regclass, text) is 'Lets public.query_records and public.count_records serve a table (which must have an id column) under a kind, in one idempotent call.';
revoke all on function private.enable_views(regclass, text) from public;

create or replace function private.view_table(p_kind text)
returns regclass
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_table regclass := (select t.table_id from private.view_tables t where t.kind = p_kind);
begin
  if v_table is null then
    raise exception 'Cannot query %: no such kind of record', p_kind using errcode = '22023';
  end if;
  return v_table;
end
$$;
comment on function private.view_table(text) is 'The table registered for a kind of record, or a clear 422.';
revoke all on function private.view_table(text) from public;
grant execute on function private.view_table(text) to authenticated, service_role;

create or replace function private.filter_column(p_table regclass, p_field text)
returns table (name text, type text, not_null boolean)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return query
    select a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull
    from pg_catalog.pg_attribute a
    where a.attrelid = p_table and a.attname = p_field and a.attnum > 0 and not a.attisdropped
      and a.attname <> 'search_vector' and pg_catalog.has_column_privilege(p_table, a.attnum, 'select');
  if not found then
    raise exception 'Cannot filter by %: it is not a column you can read', coalesce(p_field, '(no field)') using errcode = '22023';
  end if;
end
$$;
comment on function private.filter_column(regclass, text) is 'The column a filter field names — its name from the catalog, type and nullability — when the caller may read it; otherwise a clear 422.';
revoke all on function private.filter_column(regclass, text) from public;
grant execute on function private.filter_column(regclass, text) to authenticated, service_role;

create or replace function private.filter_leaf(p_table regclass, p_node jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_column_name text;
  v_column_type text;
  v_op text := p_node ->> 'op';
  v_value text := p_node ->> 'value';
  v_like text := replace(replace(replace(coalesce(p_node ->> 'value', ''), '\', '\\'), '%', '\%'), '_', '\_');
begin
  select c.name, c.type into v_column_name, v_column_type from private.filter_column(p_table, p_node ->> 'field') c;
  if v_op in ('eq', 'neq', 'lt', 'lte', 'gt', 'gte') and (v_value is null or jsonb_typeof(p_node -> 'value') in ('object', 'array')) then
    raise exception 'Cannot filter by %: % needs one value', v_column_name, v_op using errcode = '22023';
  end if;
  if v_op in ('in', 'nin') and (jsonb_typeof(p_node -> 'value') is distinct from 'array' or jsonb_array_length(p_node -> 'value') not between 1 and 100) then
    raise exception 'Cannot filter by %: % needs a list of 1 to 100 values', v_column_name, v_op using errcode = '22023';
  end if;
  return case v_op
    when 'eq' then format('r.%I = %L::%s', v_column_name, v_value, v_column_type)
    when 'neq' then format('r.%I is distinct from %L::%s', v_column_name, v_value, v_column_type)
    when 'lt' then format('r.%I < %L::%s', v_column_name, v_value, v_column_type)
    when 'lte' then format('r.%I <= %L::%s', v_column_name, v_value, v_column_type)
    when 'gt' then format('r.%I > %L::%s', v_column_name, v_value, v_column_type)
    when 'gte' then format('r.%I >= %L::%s', v_column_name, v_value, v_column_type)
    when 'in' then format('r.%I = any (%L::text[]::%s[])', v_column_name, array(select jsonb_array_elements_text(p_node -> 'value')), v_column_type)
    when 'nin' then format('not (r.%I = any (%L::text[]::%s[]))', v_column_name, array(select jsonb_array_elements_text(p_node -> 'value')), v_column_type)
    when 'contains' then format('r.%I::text ilike %L', v_column_name, '%' || v_like || '%')
    when 'starts_with' then format('r.%I::text ilike %L', v_column_name, v_like || '%')
    when 'is_null' then format('r.%I is null', v_column_name)
    when 'not_null' then format('r.%I is not null', v_column_name)
  end;
end
$$;
comment on function private.filter_leaf(regclass, jsonb) is 'One condition of a filter document ({"field", "op", "value"}) as SQL: the column from the catalog, the value a quoted literal cast to its type, the operator from a fixed list (eq, neq, lt, lte, gt, gte, in, nin, contains, starts_with, is_null, not_null).';
revoke all on function private.filter_leaf(regclass, jsonb) from public;
grant execute on function private.filter_leaf(regclass, jsonb) to authenticated, service_role;

create or replace function private.filter_predicate(p_table regclass, p_node jsonb, p_depth integer default 0)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_group text := case when p_node ? 'and' then 'and' when p_node ? 'or' then 'or' end;
begin
  if p_node is null or p_node = '{}'::jsonb or jsonb_typeof(p_node) = 'null' then
    return 'true';
  end if;
  if jsonb_typeof(p_node) is distinct from 'object' or p_depth > 5 then
    raise exception 'Cannot filter: each condition is an object, nested at most 5 deep' using errcode = '22023';
  end if;
  if v_group is null then
    if not (p_node ->> 'op') = any (array['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in', 'nin', 'contains', 'starts_with', 'is_null', 'not_null']) then
      raise exception 'Cannot filter: % is not an operator', coalesce(p_node ->> 'op', '(none)') using errcode = '22023';
    end if;
    return private.filter_leaf(p_table, p_node);
  end if;
  if jsonb_typeof(p_node -> v_group) is distinct from 'array' or jsonb_array_length(p_node -> v_group) not between 1 and 50 then
    raise exception 'Cannot filter: "%" takes a list of 1 to 50 conditions', v_group using errcode = '22023';
  end if;
  return '(' || (select string_agg(private.filter_predicate(p_table, c, p_depth + 1), ' ' || v_group || ' ')
                 from jsonb_array_elements(p_node -> v_group) c) || ')';
end
$$;
comment on function private.filter_predicate(regclass, jsonb, integer) is 'A filter document''s "where" ({"and": [...]}, {"or": [...]}, or one condition) as SQL built from the catalog and quoted literals only; at most 5 deep and 50 conditions a group.';
revoke all on function private.filter_predicate(regclass, jsonb, integer) from public;
grant execute on function private.filter_predicate(regclass, jsonb, integer) to authenticated, service_role;

create or replace function private.filter_order(p_table regclass, p_sort jsonb, p_cursor jsonb)
returns text[]
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_keys text[] := '{}'::text[];
  v_dirs text[] := '{}'::text[];
  v_types text[] := '{}'::text[];
  v_sort record;
  v_name text;
  v_type text;
  v_not_null boolean;
  v_after text := 'false';
begin
  if jsonb_typeof(coalesce(p_sort, '[]')) <> 'array' or jsonb_array_length(coalesce(p_sort, '[]')) > 3 then
    raise exception 'Cannot sort: give at most 3 fields' using errcode = '22023';
  end if;
  for v_sort in select * from jsonb_to_recordset(coalesce(p_sort, '[]')) as s (field text, dir text) loop
    select c.name, c.type, c.not_null into v_name, v_type, v_not_null from private.filter_column(p_table, v_sort.field) c;
    if not v_not_null or coalesce(v_sort.dir, 'asc') not in ('asc', 'desc') then
      raise exception 'Cannot sort by %: sort by a column that is never empty, asc or desc', v_sort.field using errcode = '22023';
    end if;
    v_keys := v_keys || v_name;
    v_dirs := v_dirs || coalesce(v_sort.dir, 'asc');
    v_types := v_types || v_type;
  end loop;
  v_keys := v_keys || 'id'::text;
  v_dirs := v_dirs || 'asc'::text;
  v_types := v_types || 'uuid'::text;
  if p_cursor is not null then
    for i in reverse cardinality(v_keys)..1 loop
      v_after := format('(r.%I %s %L::%s or (r.%I = %L::%s and %s))', v_keys[i], case v_dirs[i] when 'asc' then '>' else '<' end,
        p_cursor -> 'k' ->> (i - 1), v_types[i], v_keys[i], p_cursor -> 'k' ->> (i - 1), v_types[i], v_after);
    end loop;
  end if;
  return array[
    (select string_agg(format('r.%I %s', k, d), ', ') from unnest(v_keys, v_dirs) as x (k, d)),
    (select 'jsonb_build_array(' || string_agg(format('r.%I', k), ', ') || ')' from unnest(v_keys) k),
    case when p_cursor is null then 'true' else v_after end];
end
$$;
comment on function private.filter_order(regclass, jsonb, jsonb) is 'A filter document''s sort (up to 3 never-null columns, then id) as an order by, the cursor''s key expression, and the keyset condition for the rows after a cursor.';
revoke all on function private.filter_order(regclass, jsonb, jsonb) from public;
grant execute on function private.filter_order(regclass, jsonb, jsonb) to authenticated, service_role;

create or replace function private.filter_parts(p_kind text, p_filter jsonb, p_cursor text)
returns text[]
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_table regclass := private.view_table(p_kind);
  v_filter jsonb := coalesce(p_filter, '{}');
  v_after jsonb;
  v_order text[];
  v_trash boolean;
begin
  if jsonb_typeof(v_filter) <> 'object' or exists (select 1 from jsonb_object_keys(v_filter) k where k not in ('where', 'sort', 'limit')) then
    raise exception 'Cannot query %: a filter document has only where, sort and limit', p_kind using errcode = '22023';
  end if;
  if p_cursor is not null then
    begin
      v_after := convert_from(decode(p_cursor, 'base64'), 'utf8')::jsonb;
      if jsonb_typeof(v_after -> 'k') is distinct from 'array' then
        raise exception 'no keys';
      end if;
    exception when others then
      raise exception 'Cannot query %: the cursor is not one a query returned', p_kind using errcode = '22023';
    end;
  end if;
  v_order := private.filter_order(v_table, v_filter -> 'sort', v_after);
  v_trash := exists (select 1 from pg_catalog.pg_attribute a where a.attrelid = v_table and a.attname = 'deleted_at' and not a.attisdropped)
    and coalesce((v_filter -> 'where')::text, '') not like '%"deleted_at"%';
  return array[v_table::text, private.filter_predicate(v_table, v_filter -> 'where') || case when v_trash then ' and r.deleted_at is null' else '' end,
    v_order[1], v_order[2], v_order[3]];
end
$$;
comment on function private.filter_parts(text, jsonb, text) is 'A filter document checked and turned into its table, where (trashed rows left out unless it asks for deleted_at), order by, cursor key and keyset condition.';
revoke all on function private.filter_parts(text, jsonb, text) from public;
grant execute on function private.filter_parts(text, jsonb, text) to authenticated, service_role;

-- Workflows
create or replace function public.query_records(p_kind text, p_filter jsonb default '{}', p_cursor text default null, p_columns text[] default null)
returns table (record jsonb, cursor text)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_parts text[] := private.filter_parts(p_kind, p_filter, p_cursor);
  v_limit integer;
  v_columns text;
begin
  begin
    v_limit := coalesce((p_filter ->> 'limit')::integer, 50);
  exception when others then
    v_limit := 0;
  end;
  if v_limit not between 1 and 500 then
    raise exception 'Cannot query %: a page has 1 to 500 rows', p_kind using errcode = '22023';
  end if;
  if cardinality(p_columns) > 100 then
    raise exception 'Cannot query %: name at most 100 columns', p_kind using errcode = '22023';
  end if;
  select string_agg(format('r.%I', c.name), ', ' order by c.ord) into v_columns
  from (
    select (private.filter_column(v_parts[1]::regclass, f.name)).name, f.ord
    from unnest(coalesce(nullif(p_columns, '{}'), array(
      select a.attname::text from pg_catalog.pg_attribute a
      where a.attrelid = v_parts[1]::regclass and a.attnum > 0 and not a.attisdropped and a.attname <> 'search_vector'
        and pg_catalog.has_column_privilege(a.attrelid, a.attnum, 'select') order by a.attnum))) with ordinality as f (name, ord)
  ) c;
  return query execute format(
    'select (select to_jsonb(x) from (select %s) x), translate(encode(convert_to(jsonb_build_object(''k'', %s)::text, ''utf8''), ''base64''), E''\n'', '''')
     from %s r where %s and %s order by %s limit %s',
    v_columns, v_parts[4], v_parts[1], v_parts[2], v_parts[5], v_parts[3], v_limit);
end
$$;
comment on function public.query_records(text, jsonb, text, text[]) is 'Rows of a kind of record that a filter document selects, as the caller (RLS decides; trashed rows only when the filter asks for deleted_at), sorted, one page (limit 1-500, default 50) with a cursor per row: pass the last one for the next page, stable while rows are added.';
revoke all on function public.query_records(text, jsonb, text, text[]) from public, anon;
grant execute on function public.query_records(text, jsonb, text, text[]) to authenticated;

create or replace function public.count_records(p_kind text, p_filter jsonb default '{}')
returns bigint
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_parts text[] := private.filter_parts(p_kind, p_filter - 'sort' - 'limit', null);
  v_count bigint;
begin
  execute format('select count(*) from %s r where %s', v_parts[1], v_parts[2]) into v_count;
  return v_count;
end
$$;
comment on function public.count_records(text, jsonb) is 'How many rows of a kind of record a filter document selects, as the caller (the same rules as query_records).';
revoke all on function public.count_records(text, jsonb) from public, anon;
grant execute on function public.count_records(text, jsonb) to authenticated;

create or replace function public.query_view(p_view_id uuid, p_cursor text default null)
returns table (record jsonb, cursor text)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_view public.saved_views;
begin
  select * into v_view from public.saved_views where id = p_view_id;
  if v_view.id is null then
    raise exception 'Cannot run view %: no such view shared with you', p_view_id using errcode = 'P0002';
  end if;
  return query select * from public.query_records(v_view.kind, v_view.filter, p_cursor, v_view.columns);
end
$$;
comment on function public.query_view(uuid, text) is 'Runs a saved view you can see, as you: its filter document and columns, one page at a time (count with count_records(kind, filter)).';
revoke all on function public.query_view(uuid, text) from public, anon;
grant execute on function public.query_view(uuid, text) to authenticated;

create or replace function private.check_saved_view()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
  -- The kind must exist and the filter must read as a filter document for its author.
  perform private.filter_parts(new.kind, new.filter, null);
  return new;
end
$$;
comment on function private.check_saved_view() is 'Refuses a saved view whose kind is unknown or whose filter document does not check (422), when it is saved rather than when it is run.';
revoke all on function private.check_saved_view() from public;
grant execute on function private.check_saved_view() to authenticated, service_role;

create trigger check_saved_view before insert or update of kind, filter on public.saved_views
  for each row execute function private.check_saved_view();
