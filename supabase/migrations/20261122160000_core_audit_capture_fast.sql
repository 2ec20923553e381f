-- Core: the audit trigger does less per row. A single-column primary key is read straight from the
-- row (no query), an update's changed columns are found in one pass over the new row, and the
-- request's claims and headers are parsed only when a request set them. What it records is
-- unchanged. Tables: none. Permissions: none.

-- Helpers
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
  v_before jsonb;
  v_old jsonb;
  v_new jsonb;
  v_raw text := current_setting('request.jwt.claims', true);
  v_claims jsonb := case when v_raw is null or v_raw = '' then null else v_raw::jsonb end;
  v_headers_raw text := current_setting('request.headers', true);
  v_headers jsonb := case when v_headers_raw is null or v_headers_raw = '' then null else v_headers_raw::jsonb end;
  v_record text;
begin
  if tg_level = 'STATEMENT' then
    insert into audit.log (table_schema, table_name, operation, actor_id, actor_role, actor_aal, request_id)
    values (tg_table_schema, tg_table_name, tg_op, (v_claims ->> 'sub')::uuid,
            coalesce(v_claims ->> 'role', session_user), v_claims ->> 'aal',
            coalesce(v_headers ->> 'x-request-id', v_headers ->> 'sb-request-id'));
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
    v_before := to_jsonb(old) - v_excluded;
    select coalesce(jsonb_object_agg(n.key, v_before -> n.key), '{}'::jsonb), coalesce(jsonb_object_agg(n.key, n.value), '{}'::jsonb)
      into v_old, v_new
    from jsonb_each(v_full - v_excluded) as n
    where n.value is distinct from v_before -> n.key;
  end if;
  if cardinality(v_key) = 1 then
    v_record := v_full ->> v_key[1];
  else
    select string_agg(v_full ->> k, ',' order by ordinality) into v_record from unnest(v_key) with ordinality as k;
  end if;
  insert into audit.log (org_id, table_schema, table_name, operation, record_id, actor_id, actor_role, actor_aal,
                         request_id, old_record, new_record)
  values (case when v_org_column <> '' then (v_full ->> v_org_column)::uuid end,
          tg_table_schema, tg_table_name, tg_op, v_record, (v_claims ->> 'sub')::uuid,
          coalesce(v_claims ->> 'role', session_user), v_claims ->> 'aal',
          coalesce(v_headers ->> 'x-request-id', v_headers ->> 'sb-request-id'), v_old, v_new);
  return null;
end
$$;
comment on function audit.capture() is 'The one audit trigger: records a row change (or a truncation) in audit.log with the actor from request.jwt.claims; a single-column key is read from the row, an update''s changed columns found in one pass.';
revoke all on function audit.capture() from public;
