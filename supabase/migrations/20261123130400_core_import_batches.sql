-- Core: applying a batch of an import. The lines no duplicate rule concerns go in one INSERT a set
-- of filled fields (inside a savepoint, each row checked against its line afterwards), at the speed
-- of a plain insert, RLS, triggers and audit included; if anything in it fails, or a line touches
-- a duplicate rule, those lines take the careful path: a savepoint a line, recording its field and
-- reason. Tables: none. Permissions: none.

-- Helpers
create or replace function private.import_one(
  p_table regclass, p_org_id uuid, p_header text[], p_mapping jsonb, p_rules jsonb, p_on_duplicate public.duplicate_action,
  p_line integer, p_cells text[]
)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_values jsonb;
  v_row record;
  v_failure record;
  v_state text;
  v_column text;
  v_constraint text;
  v_message text;
begin
  if cardinality(p_cells) <> cardinality(p_header) then
    raise exception 'The line has % cells; the header has %', cardinality(p_cells), cardinality(p_header) using errcode = '22023';
  end if;
  v_values := private.import_values(p_header, p_mapping, p_cells);
  select * into v_row from private.import_row(p_table, p_org_id, v_values, p_rules, p_on_duplicate);
  return jsonb_build_object('line', p_line, 'status', v_row.outcome, 'record_id', v_row.record_id, 'record_hash', v_row.record_hash);
exception when others then
  get stacked diagnostics v_state = returned_sqlstate, v_column = column_name, v_constraint = constraint_name, v_message = message_text;
  select * into v_failure from private.import_failure(p_table, v_values, v_state, v_column, v_constraint);
  return jsonb_build_object('line', p_line, 'status', 'failed', 'field', v_failure.field, 'reason', v_failure.reason, 'message', v_message);
end
$$;
comment on function private.import_one(regclass, uuid, text[], jsonb, jsonb, public.duplicate_action, integer, text[]) is 'One line of an import in a savepoint of its own, as the caller: what became of it, or the field and reason it failed.';
revoke all on function private.import_one(regclass, uuid, text[], jsonb, jsonb, public.duplicate_action, integer, text[]) from public;
grant execute on function private.import_one(regclass, uuid, text[], jsonb, jsonb, public.duplicate_action, integer, text[]) to authenticated;

create or replace function private.import_held_lines(p_table regclass, p_org_id uuid, p_rules jsonb, p_lines jsonb)
returns integer[]
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_rule jsonb;
  v_key text;
  v_match text;
  v_found integer[];
  v_held integer[] := '{}';
begin
  for v_rule in select r from jsonb_array_elements(p_rules) r loop
    select string_agg(format('x.%I', c), ', '), string_agg(format('r.%1$I = x.%1$I', c), ' and ') into v_key, v_match
    from jsonb_array_elements_text(v_rule) c;
    execute format($q$
      select coalesce(array_agg(s.line), '{}') from (
        select l.line, row_number() over (partition by %2$s order by l.line) as n,
               exists (select 1 from %1$s r where r.org_id = $1 and %3$s) as taken
        from jsonb_to_recordset($2) as l (line integer, v jsonb), jsonb_populate_record(null::%1$s, l.v) x
        where not exists (select 1 from jsonb_array_elements_text($3) c where not l.v ? c)
      ) s where s.n > 1 or s.taken $q$, p_table, v_key, v_match) into v_found using p_org_id, p_lines, v_rule;
    v_held := v_held || v_found;
  end loop;
  return v_held;
end
$$;
comment on function private.import_held_lines(regclass, uuid, jsonb, jsonb) is 'The lines of a batch a duplicate rule concerns (a row of the organization has their key, or an earlier line of the batch does), which take the careful path.';
revoke all on function private.import_held_lines(regclass, uuid, jsonb, jsonb) from public;
grant execute on function private.import_held_lines(regclass, uuid, jsonb, jsonb) to authenticated;

create or replace function private.import_set(p_table regclass, p_org_id uuid, p_lines jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_group record;
  v_done jsonb;
  v_ok boolean;
  v_count integer;
  v_out jsonb := '[]';
begin
  for v_group in
    select k.keys, jsonb_agg(jsonb_build_object('line', l.line, 'v', l.v) order by l.line) as lines, count(*) as n
    from jsonb_to_recordset(p_lines) as l (line integer, v jsonb)
    cross join lateral (select coalesce(array_agg(k order by k), '{}') as keys from jsonb_object_keys(l.v) k) k
    group by k.keys
  loop
    execute format($q$
      with src as (select (e ->> 'line')::integer as line, e -> 'v' as v, o from jsonb_array_elements($2) with ordinality as a (e, o)),
      ins as (insert into %1$s as r (org_id%2$s) select $1%3$s from src, jsonb_populate_record(null::%1$s, src.v) x order by src.o
              returning r.id, md5(r::text) as hash, to_jsonb(r) as written),
      paired as (select s.line, s.v, i.id, i.hash, i.written from (select ins.*, row_number() over () as n from ins) i join src s on s.o = i.n)
      select jsonb_agg(jsonb_build_object('line', p.line, 'status', 'created', 'record_id', p.id, 'record_hash', p.hash)),
             bool_and(not exists (select 1 from jsonb_object_keys(p.v) k
                                  where to_jsonb(jsonb_populate_record(null::%1$s, p.v)) -> k is distinct from p.written -> k)),
             count(*)
      from paired p $q$, p_table,
      (select coalesce(string_agg(format(', %I', k), ''), '') from unnest(v_group.keys) k),
      (select coalesce(string_agg(format(', x.%I', k), ''), '') from unnest(v_group.keys) k)) into v_done, v_ok, v_count using p_org_id, v_group.lines;
    if not coalesce(v_ok, false) or v_count <> v_group.n then
      raise exception 'The rows written do not match their lines' using errcode = 'GW500';
    end if;
    v_out := v_out || v_done;
  end loop;
  return v_out;
end
$$;
comment on function private.import_set(regclass, uuid, jsonb) is 'Inserts lines ([{line, v}]) as the caller with one INSERT per set of filled fields, pairing each written row with its line (and checking every field against it); any failure raises, and the caller takes the careful path.';
revoke all on function private.import_set(regclass, uuid, jsonb) from public;
grant execute on function private.import_set(regclass, uuid, jsonb) to authenticated;

-- Workflows
create or replace function private.run_import_batch(p_import_id uuid, p_size integer default 500)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_job record;
  v_lines jsonb;
  v_held integer[];
  v_fast jsonb := '[]';
  v_done integer[] := '{}';
  v_line record;
  v_results jsonb[];
begin
  select * into v_job from private.import_job(p_import_id);
  if v_job.table_id is null then
    raise exception 'Cannot run import %: it is not running as you', p_import_id using errcode = '42501';
  elsif v_job.status = 'reverting' then
    return private.run_revert_batch(p_import_id, p_size);
  end if;
  begin
    select coalesce(jsonb_agg(jsonb_build_object('line', l.line, 'v', jsonb_strip_nulls(private.import_values(v_job.header, v_job.mapping, l.cells))))
                    filter (where cardinality(l.cells) = cardinality(v_job.header)), '[]')
    into v_lines from private.import_next_lines(p_import_id, 'pending', p_size) l;
    begin
      v_held := private.import_held_lines(v_job.table_id, v_job.org_id, v_job.duplicate_rules, v_lines);
      v_fast := private.import_set(v_job.table_id, v_job.org_id,
        (select coalesce(jsonb_agg(e), '[]') from jsonb_array_elements(v_lines) e where not (e ->> 'line')::integer = any (v_held)));
      v_done := array(select (d ->> 'line')::integer from jsonb_array_elements(v_fast) d);
    exception when others then
      v_fast := '[]'; -- something in the set failed: every line takes the careful path
    end;
    v_results := array(select jsonb_array_elements(v_fast));
    for v_line in select * from private.import_next_lines(p_import_id, 'pending', p_size) l where not l.line = any (v_done) loop
      v_results := v_results || private.import_one(v_job.table_id, v_job.org_id, v_job.header, v_job.mapping, v_job.duplicate_rules,
        v_job.on_duplicate, v_line.line, v_line.cells);
    end loop;
    if v_job.status = 'validating' then
      raise exception 'dry run' using errcode = 'GWDRY';
    end if;
  exception when sqlstate 'GWDRY' then
    null; -- a dry run: every row it wrote is rolled back, what became of each line is kept
  end;
  return private.record_import_batch(p_import_id, to_jsonb(v_results));
end
$$;
comment on function private.run_import_batch(uuid, integer) is 'Applies the next batch of an import''s lines as the member it acts as — the lines no duplicate rule concerns in one insert, the rest (and all of them if that fails) a savepoint a line; a dry run rolls it all back and keeps only what would have happened — and records the outcome with the progress.';
revoke all on function private.run_import_batch(uuid, integer) from public;
grant execute on function private.run_import_batch(uuid, integer) to authenticated;
