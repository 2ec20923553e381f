-- Core: the audit trigger's cost per row change, cut where a profile of a durable single-row
-- transaction put it (perf, the audit benchmark's tables):
--  * audit.log loses its two CHECK constraints. Its only writer is audit.capture (a security definer
--    trigger; no API role may insert, the owner may not update or delete), and PostgreSQL reads and
--    plans a table's CHECK expressions again for every statement writing it — for every audited row
--    change, each its own INSERT: about 30 µs of a 0.3 ms transaction (stringToNode and expression
--    planning under ExecRelCheck). What they stated — one of four operations; the record id and row
--    images each operation fills — is checked against the trigger's output in tests/db/core_audit.test.sql.
--  * An update's changed columns are found by hstore (`hstore(new) - hstore(old)`, in C, comparing
--    each column's text) instead of a query over jsonb_each with two aggregates run through SPI:
--    about 15 µs less per audited update. Values equal as jsonb but written differently (a numeric's
--    scale, 1.0 → 1.00) now count as changed.
--  * request.headers is parsed once, not twice.
-- Tables: none new. Permissions: none.

create extension if not exists hstore with schema extensions;

alter table audit.log
  drop constraint log_records_by_operation_check,
  drop constraint log_operation_check;
comment on column audit.log.operation is 'INSERT, UPDATE, DELETE or TRUNCATE (written by audit.capture only). INSERT fills new_record, DELETE old_record, UPDATE both (only the changed fields); TRUNCATE neither, and no record_id.';

create or replace function audit.capture()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_org_column text := tg_argv[0];
  v_excluded text[] := tg_argv[1]::text[];
  v_key text[] := tg_argv[2]::text[];
  v_full jsonb;
  v_old jsonb;
  v_new jsonb;
  v_raw text := current_setting('request.jwt.claims', true);
  v_claims jsonb := case when v_raw is null or v_raw = '' then null else v_raw::jsonb end;
  v_headers jsonb := nullif(current_setting('request.headers', true), '')::jsonb;
  v_request_id text := coalesce(v_headers ->> 'x-request-id', v_headers ->> 'sb-request-id');
  v_key_id uuid := case when v_claims ->> 'api_key_id' ~ '^[0-9a-f-]{36}$' then (v_claims ->> 'api_key_id')::uuid end;
  v_record text;
  v_unchanged text[];
begin
  if tg_level = 'STATEMENT' then
    insert into audit.log (table_schema, table_name, operation, actor_id, actor_role, actor_aal, request_id, api_key_id)
    values (tg_table_schema, tg_table_name, tg_op, (v_claims ->> 'sub')::uuid, coalesce(v_claims ->> 'role', session_user),
            v_claims ->> 'aal', v_request_id, v_key_id);
    return null;
  end if;
  if tg_op = 'INSERT' then
    v_full := to_jsonb(new);
    v_new := v_full - v_excluded;
  elsif tg_op = 'DELETE' then
    v_full := to_jsonb(old);
    v_old := v_full - v_excluded;
  else
    v_full := to_jsonb(new);
    -- The unchanged columns, compared by their text in C (hstore), without running a query.
    v_unchanged := extensions.akeys(extensions.hstore(new) operator(extensions.-)
      extensions.akeys(extensions.hstore(new) operator(extensions.-) extensions.hstore(old)));
    v_new := (v_full - v_excluded) - v_unchanged;
    v_old := (to_jsonb(old) - v_excluded) - v_unchanged;
  end if;
  if cardinality(v_key) = 1 then
    v_record := v_full ->> v_key[1];
  else
    select string_agg(v_full ->> k, ',' order by ordinality) into v_record from unnest(v_key) with ordinality as k;
  end if;
  insert into audit.log (org_id, table_schema, table_name, operation, record_id, actor_id, actor_role, actor_aal,
                         request_id, old_record, new_record, api_key_id)
  values (case when v_org_column <> '' then (v_full ->> v_org_column)::uuid end,
          tg_table_schema, tg_table_name, tg_op, v_record, (v_claims ->> 'sub')::uuid,
          coalesce(v_claims ->> 'role', session_user), v_claims ->> 'aal', v_request_id, v_old, v_new, v_key_id);
  return null;
end
$$;
comment on function audit.capture() is 'The one audit trigger: records a row change (an update: only the columns whose value changed, found with hstore) or a truncation in audit.log with the actor, and the API key when the request''s token came from one.';
revoke all on function audit.capture() from public;
