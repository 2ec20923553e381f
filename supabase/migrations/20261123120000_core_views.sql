-- Core: filter documents, keyset pages and saved views, once for every module table. A filter
-- document ({"where": {"and": [{"field": "status", "op": "eq", "value": "draft"}, {"or": [...]}]},
-- "sort": [{"field": "created_at", "dir": "desc"}], "limit": 50}) is checked against the table's
-- columns in the catalog — only columns the caller may read, values cast to the column's type,
-- never caller text in the SQL — and run as the caller: RLS decides, trashed rows stay out unless
-- the filter asks for deleted_at. Pages are keyset (sort values and id in the cursor), stable while
-- rows are added. public.saved_views keeps named filters, private or shared with a department or
-- the whole organization.
-- Tables: private.view_tables, public.saved_views (new). Permissions: none (each table's decide).

-- Tables
create table private.view_tables (
  table_id regclass primary key,
  kind text not null,
  constraint view_tables_kind_key unique (kind),
  constraint view_tables_kind_format check (kind ~ '^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$')
);
comment on table private.view_tables is 'Tables public.query_records and public.count_records serve, by the kind callers name them with.';
alter table private.view_tables enable row level security;
revoke all on private.view_tables from public, anon, authenticated, service_role;
select audit.enable('private.view_tables');

create type public.view_sharing as enum ('private', 'department', 'org');
comment on type public.view_sharing is 'Who sees a saved view: its owner, the members of its department, or every member of the organization.';

create table public.saved_views (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  owner_id uuid not null default auth.uid(),
  department_id uuid,
  kind text not null,
  name text not null,
  filter jsonb not null default '{}',
  columns text[] not null default '{}',
  sharing public.view_sharing not null default 'private',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint saved_views_name_length check (char_length(btrim(name)) between 1 and 100),
  constraint saved_views_filter_size check (pg_column_size(filter) <= 16384 and jsonb_typeof(filter) = 'object'),
  constraint saved_views_columns_count check (cardinality(columns) <= 100),
  constraint saved_views_department_sharing check ((sharing = 'department') = (department_id is not null)),
  constraint saved_views_owner_fkey foreign key (org_id, owner_id) references public.members (org_id, user_id) on delete cascade,
  constraint saved_views_department_fkey foreign key (org_id, department_id) references public.departments (org_id, id) on delete cascade
);
create index saved_views_org_kind_idx on public.saved_views (org_id, kind, sharing);
create index saved_views_owner_idx on public.saved_views (org_id, owner_id);
create index saved_views_department_idx on public.saved_views (org_id, department_id);
comment on table public.saved_views is 'Named filter documents for a kind of record: lists, counts and exports run the same document. Private to their owner, or shared with a department or the organization.';
comment on column public.saved_views.filter is 'The filter document (where, sort, limit), checked when it runs against the columns the reader may read.';
comment on column public.saved_views.columns is 'The columns to show, in order (empty: all the reader may read).';
create trigger touch_updated_at before update on public.saved_views for each row execute function private.touch_updated_at();

alter table public.saved_views enable row level security;
revoke all on public.saved_views from anon, authenticated;
grant select, delete on public.saved_views to authenticated;
grant insert (org_id, department_id, kind, name, filter, columns, sharing) on public.saved_views to authenticated;
grant update (department_id, name, filter, columns, sharing) on public.saved_views to authenticated;
create policy "Members read their views and the views shared with them" on public.saved_views
  for select to authenticated
  using (org_id = any (array(select private.member_org_ids())) and (owner_id = (select auth.uid()) or sharing = 'org'
    or (sharing = 'department' and department_id = any (array(select m.department_id from public.members m where m.user_id = (select auth.uid()) and m.org_id = saved_views.org_id)))));
create policy "Members add views they own" on public.saved_views
  for insert to authenticated with check (owner_id = (select auth.uid()) and org_id = any (array(select private.member_org_ids())));
create policy "Owners change their views" on public.saved_views
  for update to authenticated using (owner_id = (select auth.uid())) with check (owner_id = (select auth.uid()) and org_id = any (array(select private.member_org_ids())));
create policy "Owners remove their views" on public.saved_views
  for delete to authenticated using (owner_id = (select auth.uid()));
select private.enable_mfa_policies('public.saved_views');
select audit.enable('public.saved_views');
select audit.set_read_permission('public.saved_views', 'core.audit.read');
