-- Core: the import workflows. stage_import and stage_import_lines keep a parsed file's lines;
-- start_import checks the mapping as the caller and queues a dry run or the import; the job
-- (claim_import_work, then run_import_batch as the member who started it) applies a batch of lines,
-- a savepoint each, and records what became of them together with the progress; revert_import
-- queues the removal of the rows it created that nobody changed since; cancel_import stops it.
-- Tables: none. Permissions: none new (public.imports' own, and each target table's policies).

-- Helpers
create or replace function private.import_values(p_header text[], p_mapping jsonb, p_cells text[])
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select coalesce(jsonb_object_agg(m.value, nullif(p_cells[h.i], '')), '{}')
  from jsonb_each_text(p_mapping) m
  join unnest(p_header) with ordinality h (name, i) on h.name = m.key
$$;
comment on function private.import_values(text[], jsonb, text[]) is 'One line of a file as {field: text}: each mapped column''s cell, an empty cell being null (the column''s default then applies).';
revoke all on function private.import_values(text[], jsonb, text[]) from public;
grant execute on function private.import_values(text[], jsonb, text[]) to authenticated;

create or replace function private.check_import_mapping(p_kind text, p_header text[], p_mapping jsonb)
returns void
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_problems text[];
begin
  if jsonb_typeof(p_mapping) is distinct from 'object' or p_mapping = '{}' then
    raise exception 'Cannot import %: map at least one column of the file to a field', p_kind using errcode = '22023';
  end if;
  select array_agg(p) into v_problems from (
    select format('the file has no column %s', m.key) p from jsonb_each_text(p_mapping) m where not m.key = any (p_header)
    union all
    select format('%s is not a field you may import', m.value) from jsonb_each_text(p_mapping) m
    where not exists (select 1 from private.import_fields(p_kind) f where f.name = m.value)
    union all
    select format('%s is mapped more than once', m.value) from jsonb_each_text(p_mapping) m group by m.value having count(*) > 1
    union all
    select format('%s is required and not mapped', f.name) from private.import_fields(p_kind) f
    where f.required and not exists (select 1 from jsonb_each_text(p_mapping) m where m.value = f.name)
  ) x;
  if v_problems is not null then
    raise exception 'Cannot import %: %', p_kind, array_to_string(v_problems, '; ') using errcode = '22023',
      detail = jsonb_build_object('problems', v_problems)::text;
  end if;
end
$$;
comment on function private.check_import_mapping(text, text[], jsonb) is 'Checks a mapping as the caller: every column is in the file, every field one the caller may insert, none twice, every required field mapped; a clear 422 listing each problem.';
revoke all on function private.check_import_mapping(text, text[], jsonb) from public;
grant execute on function private.check_import_mapping(text, text[], jsonb) to authenticated;

create or replace function private.import_job(p_import_id uuid)
returns table (
  table_id regclass, kind text, org_id uuid, status public.import_status, header text[], mapping jsonb,
  on_duplicate public.duplicate_action, duplicate_rules jsonb, trash_kind text
)
language sql
stable
security definer
set search_path = ''
as $$
  select t.table_id, i.kind, i.org_id, i.status, i.header, i.mapping, i.on_duplicate, t.duplicate_rules, s.kind
  from public.imports i
  join private.import_tables t on t.kind = i.kind
  left join private.soft_delete_tables s on s.table_id = t.table_id
  where i.id = p_import_id and i.acting_user = auth.uid() and i.status in ('validating', 'running', 'reverting')
$$;
comment on function private.import_job(uuid) is 'What a batch of an import needs (table, mapping, rules), for the member the job acts as only, while it runs.';
revoke all on function private.import_job(uuid) from public;
grant execute on function private.import_job(uuid) to authenticated;

create or replace function private.import_next_lines(p_import_id uuid, p_status text, p_size integer)
returns table (line integer, cells text[], record_id uuid, record_hash text)
language sql
stable
security definer
set search_path = ''
as $$
  select l.line, l.cells, l.record_id, l.record_hash
  from private.import_lines l
  join public.imports i on i.id = l.import_id and i.acting_user = auth.uid()
  where l.import_id = p_import_id and l.status = p_status
  order by l.line
  limit least(greatest(p_size, 1), 5000)
$$;
comment on function private.import_next_lines(uuid, text, integer) is 'The next lines of an import in a state (pending to apply, created to revert), in file order, for the member the job acts as.';
revoke all on function private.import_next_lines(uuid, text, integer) from public;
grant execute on function private.import_next_lines(uuid, text, integer) to authenticated;

create or replace function private.import_row(
  p_table regclass, p_org_id uuid, p_values jsonb, p_rules jsonb, p_on_duplicate public.duplicate_action
)
returns table (outcome text, record_id uuid, record_hash text)
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_present jsonb := jsonb_strip_nulls(p_values);
  v_rule jsonb;
  v_match text;
  v_existing uuid;
  v_columns text := (select string_agg(format('%I', k), ', ') from jsonb_object_keys(v_present) k);
  v_sources text := (select string_agg(format('x.%I', k), ', ') from jsonb_object_keys(v_present) k);
  v_count integer;
begin
  for v_rule in select r from jsonb_array_elements(p_rules) r loop
    continue when exists (select 1 from jsonb_array_elements_text(v_rule) c where v_present -> c is null);
    select string_agg(format('r.%1$I = x.%1$I', c), ' and ') into v_match from jsonb_array_elements_text(v_rule) c;
    execute format('select r.id from %1$s r, jsonb_populate_record(null::%1$s, $2) x where r.org_id = $1 and %2$s limit 1', p_table, v_match)
      into v_existing using p_org_id, v_present;
    exit when v_existing is not null;
  end loop;
  if v_existing is null then
    execute format('insert into %1$s as r (org_id%2$s) select $1%3$s from jsonb_populate_record(null::%1$s, $2) x returning r.id, md5(r::text)',
      p_table, coalesce(', ' || v_columns, ''), coalesce(', ' || v_sources, '')) into record_id, record_hash using p_org_id, v_present;
    outcome := 'created';
  elsif p_on_duplicate = 'skip' then
    outcome := 'skipped';
    record_id := v_existing;
  elsif p_on_duplicate = 'fail' or v_columns is null then
    raise exception 'A row with the same % exists (%)', v_match, v_existing using errcode = 'GW409';
  else
    execute format('update %1$s r set (%2$s) = (select %3$s from jsonb_populate_record(null::%1$s, $2) x) where r.id = $1',
      p_table, v_columns, v_sources) using v_existing, v_present;
    get diagnostics v_count = row_count;
    if v_count = 0 then
      raise exception 'A row with the same % exists and you may not change it', v_match using errcode = '42501';
    end if;
    outcome := 'updated';
    record_id := v_existing;
  end if;
  return next;
end
$$;
comment on function private.import_row(regclass, uuid, jsonb, jsonb, public.duplicate_action) is 'One line of an import, as the caller: finds a duplicate by the table''s rules (the first rule whose columns the line fills), then inserts (returning the row''s hash), skips, fails or updates it.';
revoke all on function private.import_row(regclass, uuid, jsonb, jsonb, public.duplicate_action) from public;
grant execute on function private.import_row(regclass, uuid, jsonb, jsonb, public.duplicate_action) to authenticated;

create or replace function private.import_failure(p_table regclass, p_values jsonb, p_state text, p_column text, p_constraint text)
returns table (field text, reason text)
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_value record;
begin
  reason := case when p_state = 'GW409' then 'duplicate' when p_state = '42501' then 'no_access' when p_state = '23503' then 'not_found'
                 when p_state in ('23505', '23P01') then 'constraint' when p_state like '22%' or p_state in ('23502', '23514') then 'validation'
                 else 'error' end;
  field := nullif(p_column, '');
  if field is null and nullif(p_constraint, '') is not null then
    select a.attname into field from pg_catalog.pg_constraint c
    join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = any (c.conkey)
    where c.conrelid = p_table and c.conname = p_constraint and a.attname <> 'org_id'
    order by array_position(c.conkey, a.attnum) limit 1;
  end if;
  if field is null and p_state like '22%' then
    for v_value in
      select e.key, e.value, pg_catalog.format_type(a.atttypid, a.atttypmod) as type from jsonb_each_text(coalesce(p_values, '{}')) e
      join pg_catalog.pg_attribute a on a.attrelid = p_table and a.attname = e.key
    loop
      begin
        execute format('select %L::%s', v_value.value, v_value.type);
      exception when others then
        field := v_value.key;
        exit;
      end;
    end loop;
  end if;
  return next;
end
$$;
comment on function private.import_failure(regclass, jsonb, text, text, text) is 'Why a line failed (validation, no_access, not_found, constraint, duplicate) and which field: the column the error names, the first column of its constraint, or the first value that does not cast to its column''s type.';
revoke all on function private.import_failure(regclass, jsonb, text, text, text) from public;
grant execute on function private.import_failure(regclass, jsonb, text, text, text) to authenticated;

create or replace function private.record_import_batch(p_import_id uuid, p_results jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_import public.imports;
  v_counts record;
  v_left boolean;
begin
  select * into v_import from public.imports where id = p_import_id for update;
  if v_import.acting_user is distinct from auth.uid() or v_import.status not in ('validating', 'running', 'reverting') then
    raise exception 'Cannot record lines of import %: it is not running as you', p_import_id using errcode = '42501';
  end if;
  update private.import_lines l
  set status = r.status, field = r.field, reason = r.reason, message = left(r.message, 500),
      record_id = case when v_import.status = 'validating' then null when r.status = 'failed' then null else coalesce(r.record_id, l.record_id) end,
      record_hash = case when v_import.status = 'running' then r.record_hash else l.record_hash end
  from jsonb_to_recordset(p_results) as r (line integer, status text, record_id uuid, record_hash text, field text, reason text, message text)
  where l.import_id = p_import_id and l.line = r.line;
  select count(*) filter (where r.status = 'created') as created, count(*) filter (where r.status = 'updated') as updated,
         count(*) filter (where r.status = 'skipped') as skipped, count(*) filter (where r.status = 'failed') as failed,
         count(*) filter (where r.status = 'reverted') as reverted, count(*) filter (where r.status = 'kept') as kept, count(*) as total
  into v_counts from jsonb_to_recordset(p_results) as r (status text);
  v_left := exists (select 1 from private.import_lines l where l.import_id = p_import_id
                    and l.status = case when v_import.status = 'reverting' then 'created' else 'pending' end);
  update public.imports i
  set processed_rows = i.processed_rows + case when v_import.status = 'reverting' then 0 else v_counts.total end,
      created_rows = i.created_rows + v_counts.created, updated_rows = i.updated_rows + v_counts.updated,
      skipped_rows = i.skipped_rows + v_counts.skipped, failed_rows = i.failed_rows + v_counts.failed,
      reverted_rows = i.reverted_rows + v_counts.reverted, kept_rows = i.kept_rows + v_counts.kept,
      status = case when v_left then i.status when i.status = 'validating' then 'validated'
                    when i.status = 'running' then 'completed' else 'reverted' end,
      finished_at = case when not v_left and i.status <> 'reverting' then now() else i.finished_at end,
      reverted_at = case when not v_left and i.status = 'reverting' then now() else i.reverted_at end
  where i.id = p_import_id
  returning * into v_import;
  return jsonb_build_object('id', v_import.id, 'status', v_import.status, 'lines', v_counts.total, 'processed_rows', v_import.processed_rows,
    'total_rows', v_import.total_rows, 'failed_rows', v_import.failed_rows, 'reverted_rows', v_import.reverted_rows);
end
$$;
comment on function private.record_import_batch(uuid, jsonb) is 'Writes what became of a batch of lines and the import''s progress in the batch''s transaction; the last batch finishes the import (validated, completed or reverted).';
revoke all on function private.record_import_batch(uuid, jsonb) from public;
grant execute on function private.record_import_batch(uuid, jsonb) to authenticated;

create or replace function private.run_revert_batch(p_import_id uuid, p_size integer default 500)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_job record;
  v_line record;
  v_hash text;
  v_count integer;
  v_results jsonb[] := '{}';
  v_state text;
  v_message text;
begin
  select * into v_job from private.import_job(p_import_id);
  if v_job.table_id is null or v_job.status <> 'reverting' then
    raise exception 'Cannot revert import %: it is not reverting as you', p_import_id using errcode = '42501';
  end if;
  for v_line in select * from private.import_next_lines(p_import_id, 'created', p_size) loop
    begin
      execute format('select md5(r::text) from %s r where r.id = $1', v_job.table_id) into v_hash using v_line.record_id;
      if v_hash is null then
        raise exception 'The record is gone or out of your reach' using errcode = 'P0002';
      elsif v_hash <> v_line.record_hash then
        raise exception 'The record changed since the import; it stays' using errcode = 'GW409';
      elsif v_job.trash_kind is not null then
        perform public.trash_record(v_job.trash_kind, v_line.record_id);
      else
        execute format('delete from %s r where r.id = $1', v_job.table_id) using v_line.record_id;
        get diagnostics v_count = row_count;
        if v_count = 0 then
          raise exception 'You may not delete the record' using errcode = '42501';
        end if;
      end if;
      v_results := v_results || jsonb_build_object('line', v_line.line, 'status', 'reverted');
    exception when others then
      get stacked diagnostics v_state = returned_sqlstate, v_message = message_text;
      v_results := v_results || jsonb_build_object('line', v_line.line, 'status', 'kept', 'message', v_message,
        'reason', case v_state when 'GW409' then 'changed' when 'P0002' then 'not_found' when '42501' then 'no_access' else 'error' end);
    end;
  end loop;
  return private.record_import_batch(p_import_id, to_jsonb(v_results));
end
$$;
comment on function private.run_revert_batch(uuid, integer) is 'Reverts the next batch of rows an import created, as the member who asked: a row unchanged since (same hash) goes to the trash (or is deleted where the table has none); a changed, gone or protected row stays, with why.';
revoke all on function private.run_revert_batch(uuid, integer) from public;
grant execute on function private.run_revert_batch(uuid, integer) to authenticated;
