-- Core: CSV imports and exports, once for every module table. The imports function parses a CSV
-- (csv-parse) and stages its lines here; a job then applies them in batches as the member who
-- started it — a savepoint a line, RLS, triggers and audit as for any insert — recording each
-- failed line with its field and reason, and the progress on public.imports (Realtime). A batch
-- commits its rows and their outcome together, so a crash resumes from the last committed batch.
-- Duplicates are found by rules declared per table (private.enable_import), not coded per module.
-- A finished import can be reverted: the rows it created and nobody changed since go again.
-- Exports (public.exports) record who exported what, as the audited export event.
-- Tables: private.import_tables, private.import_lines, public.imports, public.exports (new).
-- Permissions: core.imports.read, core.exports.read (own for everyone; org for owner and admin),
-- core.imports.manage (owner, admin: revert and cancel anyone's import).

-- Permissions and roles
insert into public.permissions (key, module, description) values
  ('core.imports.read', 'core', 'See imports (own scope: the ones you started) with their progress and failed lines'),
  ('core.imports.manage', 'core', 'Revert or cancel any import of the organization'),
  ('core.exports.read', 'core', 'See exports (own scope: the ones you made) and fetch their files');
insert into private.system_role_grants (role_key, permission, scope)
select r.role_key, p.permission, case when r.role_key in ('owner', 'admin') then 'org' else 'own' end::public.permission_scope
from (values ('owner'), ('admin'), ('manager'), ('hr'), ('legal'), ('member'), ('viewer'), ('executive')) r (role_key)
cross join (values ('core.imports.read'), ('core.exports.read')) p (permission);
insert into private.system_role_grants (role_key, permission, scope) values
  ('owner', 'core.imports.manage', 'org'), ('admin', 'core.imports.manage', 'org');
select private.install_system_roles(id) from public.organizations;

-- The policy generator, fixed: a table with an owner column and no department column (format's
-- %I refuses null, so the write predicate failed for it).
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
    case when p_department_column is null then 'null::uuid' else format('%I', p_department_column) end,
    case when p_owner_column is null then 'false' else format('%I = (select auth.uid())', p_owner_column) end);
end
$$;
comment on function private.write_predicate(text, text, text, text) is 'The write policy expression (insert, update, delete): the one row''s organization probed directly with private.has_permission or private.reaches, not the set of all the caller''s organizations.';
revoke all on function private.write_predicate(text, text, text, text) from public;

create type public.import_status as enum (
  'staged', 'validating', 'validated', 'running', 'completed', 'cancelled', 'reverting', 'reverted'
);
comment on type public.import_status is 'An import''s life: staged (lines parsed, waiting for a mapping), validating → validated (a dry run), running → completed, cancelled, reverting → reverted.';
create type public.duplicate_action as enum ('skip', 'update', 'fail');
comment on type public.duplicate_action is 'What an import does with a line matching an existing row under the table''s duplicate rules: skip it, update the row, or fail the line.';

-- Tables
create table private.import_tables (
  table_id regclass primary key,
  kind text not null,
  duplicate_rules jsonb not null default '[]',
  constraint import_tables_kind_key unique (kind),
  constraint import_tables_rules_shape check (jsonb_typeof(duplicate_rules) = 'array')
);
comment on table private.import_tables is 'Tables the imports function may write, by kind, with their duplicate rules: a list of column lists, a line being a duplicate of a row of its organization equal on every column of one rule.';
alter table private.import_tables enable row level security;
revoke all on private.import_tables from public, anon, authenticated, service_role;
select audit.enable('private.import_tables');

create table public.imports (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  created_by uuid,
  kind text not null,
  file_name text not null,
  header text[] not null,
  mapping jsonb not null default '{}',
  on_duplicate public.duplicate_action not null default 'skip',
  status public.import_status not null default 'staged',
  dry_run boolean not null default false,
  total_rows integer not null default 0,
  processed_rows integer not null default 0,
  created_rows integer not null default 0,
  updated_rows integer not null default 0,
  skipped_rows integer not null default 0,
  failed_rows integer not null default 0,
  reverted_rows integer not null default 0,
  kept_rows integer not null default 0,
  acting_user uuid,
  acting_claims jsonb,
  reverted_by uuid,
  started_at timestamptz,
  finished_at timestamptz,
  reverted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint imports_file_name_length check (char_length(file_name) between 1 and 255),
  constraint imports_header_count check (cardinality(header) between 1 and 200),
  constraint imports_mapping_shape check (jsonb_typeof(mapping) = 'object'),
  constraint imports_counts check (processed_rows between 0 and total_rows and total_rows <= 1000000),
  constraint imports_created_by_fkey foreign key (org_id, created_by)
    references public.members (org_id, user_id) on delete set null (created_by),
  constraint imports_reverted_by_fkey foreign key (org_id, reverted_by)
    references public.members (org_id, user_id) on delete set null (reverted_by),
  constraint imports_acting_user_fkey foreign key (org_id, acting_user)
    references public.members (org_id, user_id) on delete set null (acting_user)
);
create index imports_org_created_idx on public.imports (org_id, created_at desc);
create index imports_created_by_idx on public.imports (org_id, created_by);
create index imports_reverted_by_idx on public.imports (org_id, reverted_by);
create index imports_acting_user_idx on public.imports (org_id, acting_user);
create index imports_work_idx on public.imports (updated_at) where status in ('validating', 'running', 'reverting');
comment on table public.imports is 'CSV imports into a kind of record: the file''s header, the mapping of its columns to fields, and the progress clients follow with Realtime. Written only by the imports function''s workflows.';
comment on column public.imports.mapping is 'The file''s column (by header) → the table''s field. Columns not mapped are ignored.';
comment on column public.imports.processed_rows is 'Lines done so far (of total_rows), committed batch by batch.';
comment on column public.imports.acting_user is 'Whose rights the job applies the lines (or the revert) with: who started it.';
comment on column public.imports.acting_claims is 'The claims the job acts with (subject, assurance level, API key), taken from the starter''s verified token. Not readable by API roles.';
create trigger touch_updated_at before update on public.imports for each row execute function private.touch_updated_at();

alter table public.imports enable row level security;
revoke all on public.imports from anon, authenticated;
grant select (id, org_id, created_by, kind, file_name, header, mapping, on_duplicate, status, dry_run, total_rows, processed_rows,
  created_rows, updated_rows, skipped_rows, failed_rows, reverted_rows, kept_rows, acting_user, reverted_by, started_at,
  finished_at, reverted_at, created_at, updated_at) on public.imports to authenticated;
select private.create_scoped_policies('public.imports', 'core.imports.read', 'core.imports.manage', 'org_id', null, 'created_by');
select audit.enable('public.imports', array['acting_claims']);
select audit.set_read_permission('public.imports', 'core.imports.read');

do $$
begin
  if exists (select 1 from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    alter publication supabase_realtime add table public.imports;
  end if;
end
$$;

create table private.import_lines (
  import_id uuid not null references public.imports (id) on delete cascade,
  line integer not null,
  cells text[] not null,
  status text not null default 'pending',
  record_id uuid,
  record_hash text,
  field text,
  reason text,
  message text,
  primary key (import_id, line),
  constraint import_lines_status check (status in ('pending', 'created', 'updated', 'skipped', 'failed', 'reverted', 'kept'))
);
create index import_lines_pending_idx on private.import_lines (import_id, line) where status = 'pending';
create index import_lines_created_idx on private.import_lines (import_id, line) where status = 'created';
comment on table private.import_lines is 'The staged lines of an import and what became of each: the record it created or updated (with a hash of the row as written, so a revert leaves changed rows alone), or the field and reason it failed. Working data, deleted with its import; the records it makes are audited in their own tables.';
alter table private.import_lines enable row level security;
revoke all on private.import_lines from public, anon, authenticated, service_role;

create type public.export_format as enum ('csv', 'json', 'xlsx');
comment on type public.export_format is 'The file an export writes: CSV (formula cells neutralised), JSON (an array of records) or XLSX.';

create table public.exports (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  created_by uuid,
  kind text not null,
  format public.export_format not null,
  filter jsonb not null default '{}',
  columns text[] not null default '{}',
  view_id uuid references public.saved_views (id) on delete set null,
  delivery text not null,
  status text not null default 'running',
  row_count integer not null default 0,
  byte_size bigint not null default 0,
  storage_path text,
  error text,
  acting_claims jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz,
  constraint exports_delivery check (delivery in ('download', 'storage')),
  constraint exports_status check (status in ('queued', 'running', 'completed', 'failed')),
  constraint exports_filter_size check (pg_column_size(filter) <= 16384 and jsonb_typeof(filter) = 'object'),
  constraint exports_created_by_fkey foreign key (org_id, created_by)
    references public.members (org_id, user_id) on delete set null (created_by)
);
create index exports_org_created_idx on public.exports (org_id, created_at desc);
create index exports_created_by_idx on public.exports (org_id, created_by);
create index exports_view_idx on public.exports (view_id);
create index exports_work_idx on public.exports (created_at) where status in ('queued', 'running') and delivery = 'storage';
comment on table public.exports is 'Every export of records (the audited export event): who exported which kind with which filter, in which format, how many rows; large ones run as a job whose file lands in the exports bucket. Written only by the exports function''s workflows.';
comment on column public.exports.delivery is 'download: streamed in the response; storage: written by a job to the exports bucket, announced with a signed link.';
comment on column public.exports.acting_claims is 'The claims the job reads the rows with (subject, assurance level, API key). Not readable by API roles.';
create trigger touch_updated_at before update on public.exports for each row execute function private.touch_updated_at();

alter table public.exports enable row level security;
revoke all on public.exports from anon, authenticated;
grant select (id, org_id, created_by, kind, format, filter, columns, view_id, delivery, status, row_count, byte_size, storage_path,
  error, created_at, updated_at, finished_at) on public.exports to authenticated;
select private.create_scoped_policies('public.exports', 'core.exports.read', 'core.imports.manage', 'org_id', null, 'created_by');
select audit.enable('public.exports', array['acting_claims']);
select audit.set_read_permission('public.exports', 'core.exports.read');

-- The bucket for export files: private; only the service role writes it, people get signed links.
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('exports', 'exports', false, null, array[
  'text/csv', 'application/json', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'])
on conflict (id) do update set public = false, allowed_mime_types = excluded.allowed_mime_types;

-- Helpers
create or replace function private.enable_import(p_table regclass, p_duplicate_rules jsonb default '[]')
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_kind text := (select v.kind from private.view_tables v where v.table_id = p_table);
begin
  if v_kind is null then
    raise exception 'Cannot enable imports on %: enable its filter documents first (private.enable_views)', p_table;
  end if;
  if exists (
    select 1 from jsonb_array_elements(p_duplicate_rules) r
    where jsonb_typeof(r) <> 'array' or jsonb_array_length(r) = 0 or exists (
      select 1 from jsonb_array_elements_text(r) c
      where not exists (select 1 from pg_catalog.pg_attribute a where a.attrelid = p_table and a.attname = c and a.attnum > 0 and not a.attisdropped))
  ) then
    raise exception 'Cannot enable imports on %: each duplicate rule is a non-empty list of its columns', p_table;
  end if;
  insert into private.import_tables (table_id, kind, duplicate_rules) values (p_table, v_kind, p_duplicate_rules)
  on conflict (table_id) do update set duplicate_rules = excluded.duplicate_rules;
end
$$;
comment on function private.enable_import(regclass, jsonb) is 'Lets the imports function write a table (registered with private.enable_views, whose kind it keeps), with its duplicate rules (e.g. [["email"], ["first_name", "last_name"]]), in one idempotent call.';
revoke all on function private.enable_import(regclass, jsonb) from public;

create or replace function private.import_table(p_kind text)
returns regclass
language sql
stable
security definer
set search_path = ''
as $$
  select t.table_id from private.import_tables t where t.kind = p_kind
$$;
comment on function private.import_table(text) is 'The table a kind of record is imported into, or null when it accepts no imports.';
revoke all on function private.import_table(text) from public;
grant execute on function private.import_table(text) to authenticated;

create or replace function private.import_fields(p_kind text)
returns table (name text, type text, required boolean)
language sql
stable
security invoker
set search_path = ''
as $$
  select a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod),
         a.attnotnull and not a.atthasdef and a.attidentity = '' and a.attgenerated = ''
  from pg_catalog.pg_attribute a
  where a.attrelid = private.import_table(p_kind) and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
    and a.attname not in ('id', 'org_id', 'deleted_at', 'deleted_by', 'created_at', 'updated_at')
    and pg_catalog.has_column_privilege(a.attrelid, a.attnum, 'insert')
  order by a.attnum
$$;
comment on function private.import_fields(text) is 'The fields an import may fill in a kind of record: the columns the caller may insert (not the id, organization or trash columns), with their type and whether a line must give them.';
revoke all on function private.import_fields(text) from public;
grant execute on function private.import_fields(text) to authenticated;

create or replace function private.import_for_change(p_import_id uuid, p_action text)
returns public.imports
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_import public.imports;
begin
  select * into v_import from public.imports where id = p_import_id;
  if v_import.id is null or not (v_import.created_by = auth.uid() or private.has_permission(v_import.org_id, 'core.imports.manage', 'org')) then
    raise exception 'Cannot % import %: no such import of yours', p_action, p_import_id using errcode = 'P0002';
  end if;
  if v_import.org_id in (select private.mfa_blocked_org_ids()) then
    raise exception 'Cannot % import: this organization requires MFA (aal2)', p_action using errcode = '42501';
  end if;
  return v_import;
end
$$;
comment on function private.import_for_change(uuid, text) is 'The import a workflow acts on, when the caller started it or holds core.imports.manage (and passed MFA where required); otherwise a clear error.';
revoke all on function private.import_for_change(uuid, text) from public;

create or replace function private.acting_claims()
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_strip_nulls(jsonb_build_object('sub', auth.uid(), 'role', 'authenticated', 'aal', coalesce(auth.jwt() ->> 'aal', 'aal1'),
    'api_key_id', auth.jwt() ->> 'api_key_id', 'session_id', auth.jwt() ->> 'session_id'))
$$;
comment on function private.acting_claims() is 'The claims a job acts with later on the caller''s behalf: their subject, assurance level and API key, from their verified token.';
revoke all on function private.acting_claims() from public;
grant execute on function private.acting_claims() to authenticated;
