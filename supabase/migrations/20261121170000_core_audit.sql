-- Core audit trail: one generic trigger, enabled per table by one idempotent call
-- (audit.enable), writing an append-only, tenant-scoped log. No API role can change or delete
-- it; members with core.audit.read read their organization's history through
-- public.audit_events (added with the tenancy tables).

create schema if not exists audit;
comment on schema audit is 'Append-only audit trail written by triggers. Not exposed through the Data API.';
revoke all on schema audit from public;
grant usage on schema audit to authenticated, service_role;

create table audit.log (
  id bigint generated always as identity primary key,
  occurred_at timestamptz not null default clock_timestamp(),
  org_id uuid,
  table_schema text not null,
  table_name text not null,
  operation text not null,
  record_id text,
  actor_id uuid,
  actor_role text not null,
  actor_aal text,
  request_id text,
  txid bigint not null default txid_current(),
  old_record jsonb,
  new_record jsonb,
  constraint log_operation_check check (operation in ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')),
  -- Which fields each operation fills.
  constraint log_records_by_operation_check check (
    case operation
      when 'INSERT' then old_record is null and new_record is not null and record_id is not null
      when 'UPDATE' then old_record is not null and new_record is not null and record_id is not null
      when 'DELETE' then old_record is not null and new_record is null and record_id is not null
      else old_record is null and new_record is null and record_id is null
    end
  )
);
comment on table audit.log is 'One row per change to an audited table: who (actor, role, aal, request id), what (table, record, operation), when, and the old and new values (for updates, only the changed columns).';
comment on column audit.log.org_id is 'The organization the changed row belongs to; null for rows outside any organization (profiles).';
comment on column audit.log.record_id is 'Primary key of the changed row as text (composite keys joined by commas).';
comment on column audit.log.actor_role is 'The database role of the request (anon, authenticated, service_role) or the session user for direct SQL.';
comment on column audit.log.actor_aal is 'Authenticator assurance level of the session (aal1, aal2) when the change came through the API.';
comment on column audit.log.request_id is 'x-request-id (or sb-request-id) of the API request, as PostgREST passes it in request.headers.';
comment on column audit.log.old_record is 'The row before the change (DELETE), or the old values of the changed columns (UPDATE). Excluded columns never appear.';
comment on column audit.log.new_record is 'The row after the change (INSERT), or the new values of the changed columns (UPDATE). Excluded columns never appear.';

-- Reading one organization's recent history with keyset pagination, a record's history, and
-- the retention sweep by time (BRIN: tiny, and the log is appended in time order).
create index log_org_id_id_idx on audit.log (org_id, id desc);
create index log_record_idx on audit.log (table_name, record_id, id desc);
create index log_occurred_at_brin on audit.log using brin (occurred_at);

alter table audit.log enable row level security;
revoke all on audit.log from public, anon, authenticated, service_role;
grant select on audit.log to authenticated, service_role;

create table audit.tables (
  table_id regclass primary key,
  org_column text,
  excluded_columns text[] not null default '{}',
  enabled_at timestamptz not null default now()
);
comment on table audit.tables is 'Tables with the audit trigger enabled, with the column naming their organization and the columns never recorded.';
alter table audit.tables enable row level security;
revoke all on audit.tables from public, anon, authenticated, service_role;

-- The generic trigger. Arguments (set by audit.enable): org column ('' for none), excluded
-- columns, primary key columns.
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
  v_claims jsonb := nullif(current_setting('request.jwt.claims', true), '')::jsonb;
  v_headers jsonb := nullif(current_setting('request.headers', true), '')::jsonb;
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
    select coalesce(jsonb_object_agg(n.key, o.value), '{}'::jsonb), coalesce(jsonb_object_agg(n.key, n.value), '{}'::jsonb)
      into v_old, v_new
    from jsonb_each(v_full - v_excluded) as n
    join jsonb_each(to_jsonb(old) - v_excluded) as o on o.key = n.key
    where o.value is distinct from n.value;
  end if;

  select string_agg(v_full ->> k, ',' order by ordinality) into v_record
  from unnest(v_key) with ordinality as k;

  insert into audit.log (org_id, table_schema, table_name, operation, record_id, actor_id, actor_role, actor_aal,
                         request_id, old_record, new_record)
  values (case when v_org_column <> '' then (v_full ->> v_org_column)::uuid end,
          tg_table_schema, tg_table_name, tg_op, v_record, (v_claims ->> 'sub')::uuid,
          coalesce(v_claims ->> 'role', session_user), v_claims ->> 'aal',
          coalesce(v_headers ->> 'x-request-id', v_headers ->> 'sb-request-id'), v_old, v_new);
  return null;
end
$$;
comment on function audit.capture() is 'The one audit trigger: records a row change (or a truncation) in audit.log with the actor from request.jwt.claims.';
revoke all on function audit.capture() from public;

-- Enables (or re-enables with new settings) the audit trail on a table. Idempotent.
create or replace function audit.enable(
  p_table regclass,
  p_excluded_columns text[] default '{}',
  p_org_column text default null
)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_org_column text := p_org_column;
  v_key text[];
begin
  if v_org_column is null and exists (
    select 1 from pg_catalog.pg_attribute where attrelid = p_table and attname = 'org_id' and not attisdropped
  ) then
    v_org_column := 'org_id';
  end if;
  if v_org_column is not null and not exists (
    select 1 from pg_catalog.pg_attribute where attrelid = p_table and attname = v_org_column and not attisdropped
  ) then
    raise exception 'Cannot audit %: it has no column %', p_table, v_org_column;
  end if;
  select array_agg(a.attname::text order by k.ordinality) into v_key
  from pg_catalog.pg_index i
  cross join lateral unnest(i.indkey) with ordinality as k (attnum, ordinality)
  join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
  where i.indrelid = p_table and i.indisprimary;
  if v_key is null then
    raise exception 'Cannot audit %: it has no primary key', p_table;
  end if;

  execute format('drop trigger if exists audit_row on %s', p_table);
  execute format('drop trigger if exists audit_truncate on %s', p_table);
  execute format(
    'create trigger audit_row after insert or update or delete on %s for each row execute function audit.capture(%L, %L, %L)',
    p_table, coalesce(v_org_column, ''), p_excluded_columns::text, v_key::text);
  execute format('create trigger audit_truncate after truncate on %s for each statement execute function audit.capture(%L, %L, %L)',
    p_table, '', '{}', '{}');

  insert into audit.tables (table_id, org_column, excluded_columns)
  values (p_table, v_org_column, p_excluded_columns)
  on conflict (table_id) do update set org_column = excluded.org_column, excluded_columns = excluded.excluded_columns;
end
$$;
comment on function audit.enable(regclass, text[], text) is 'Turns on the audit trail for a table (idempotent). p_excluded_columns never reach the log (secrets); p_org_column names the organization column (default org_id when present).';
revoke all on function audit.enable(regclass, text[], text) from public;

-- The log is append-only: nothing updates or deletes it except the retention sweep, and
-- nothing truncates it.
create or replace function audit.guard_log()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'TRUNCATE' then
    raise exception 'Cannot truncate the audit log: it is append-only' using errcode = '42501';
  end if;
  if tg_op = 'DELETE' and current_setting('audit.retention_sweep', true) = 'on' then
    return old;
  end if;
  raise exception 'Cannot % the audit log: it is append-only', lower(tg_op) using errcode = '42501';
end
$$;
comment on function audit.guard_log() is 'Refuses updates, deletes (outside the retention sweep) and truncation of audit.log.';
revoke all on function audit.guard_log() from public;

create trigger guard_changes before update or delete on audit.log for each row execute function audit.guard_log();
create trigger guard_truncate before truncate on audit.log for each statement execute function audit.guard_log();
