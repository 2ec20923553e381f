-- Documents in Supabase Storage, whose access follows the record they belong to.
-- A document (per organization) has versions, each an object in the private `documents` bucket at
-- <org_id>/<document_id>/<version>/<file name>. Access is the document's own permission
-- (core.documents.read / write, scopes own / department / org) united with read access to any
-- record it is linked to; modules declare "documents attach to my table" with one call.

insert into public.permissions (key, module, description) values
  ('core.documents.read', 'core', 'Read documents and download their files'),
  ('core.documents.write', 'core', 'Upload, rename, link, delete and restore documents');
insert into private.system_role_grants (role_key, permission, scope) values
  ('owner', 'core.documents.read', 'org'), ('owner', 'core.documents.write', 'org'),
  ('admin', 'core.documents.read', 'org'), ('admin', 'core.documents.write', 'org'),
  ('executive', 'core.documents.read', 'org'),
  ('manager', 'core.documents.read', 'department'), ('manager', 'core.documents.write', 'department'),
  ('member', 'core.documents.read', 'own'), ('member', 'core.documents.write', 'own'),
  ('viewer', 'core.documents.read', 'own');
select private.install_system_roles(id) from public.organizations;

alter table public.organizations add column document_retention_days integer not null default 30
  constraint organizations_document_retention_range check (document_retention_days between 1 and 365);
comment on column public.organizations.document_retention_days is 'How long a deleted document can be restored before it is purged (1-365 days, default 30).';
grant update (document_retention_days) on public.organizations to authenticated;

-- The bucket: private, 25 MiB per object, office documents and images only.
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('documents', 'documents', false, 26214400, array[
  'application/pdf', 'image/png', 'image/jpeg', 'image/webp', 'text/plain', 'text/csv',
  'application/msword', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.ms-excel', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.oasis.opendocument.text', 'application/vnd.oasis.opendocument.spreadsheet'])
on conflict (id) do update set public = false, file_size_limit = excluded.file_size_limit, allowed_mime_types = excluded.allowed_mime_types;

-- ---------------------------------------------------------------------------------------------
-- Documents and versions
-- ---------------------------------------------------------------------------------------------

create table public.documents (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  title text not null,
  owner_id uuid default auth.uid() references auth.users (id) on delete set null,
  department_id uuid,
  current_version integer not null default 0,
  status text generated always as (case when deleted_at is not null then 'deleted' when current_version = 0 then 'empty' else 'active' end) stored,
  deleted_at timestamptz,
  deleted_by uuid references auth.users (id) on delete set null,
  purge_after timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint documents_title_length check (char_length(btrim(title)) between 1 and 300),
  constraint documents_deleted_fields check ((deleted_at is null) = (purge_after is null)),
  constraint documents_org_id_id_key unique (org_id, id),
  constraint documents_department_fkey foreign key (org_id, department_id)
    references public.departments (org_id, id) on delete set null (department_id)
);
create index documents_department_idx on public.documents (org_id, department_id);
create index documents_owner_idx on public.documents (owner_id);
create index documents_deleted_by_idx on public.documents (deleted_by);
create index documents_purge_idx on public.documents (purge_after) where deleted_at is not null;
comment on table public.documents is 'A logical file of an organization, with versions in Storage. Readable with core.documents.read in scope, or by anyone who can read a record it is linked to.';
comment on column public.documents.current_version is 'The latest confirmed version (0 until the first upload is confirmed).';
comment on column public.documents.status is 'Derived: empty (no confirmed version yet), active, or deleted (restorable until purge_after).';
comment on column public.documents.deleted_at is 'Soft delete: restorable until purge_after, then purged (objects first, then rows).';

create trigger touch_updated_at before update on public.documents
  for each row execute function private.touch_updated_at();

create type public.document_version_status as enum ('pending', 'uploaded', 'rejected');

create table public.document_versions (
  id uuid primary key default gen_random_uuid(),
  document_id uuid not null,
  org_id uuid not null,
  version integer not null,
  storage_path text not null unique,
  file_name text not null,
  size_bytes bigint not null,
  mime_type text not null,
  sha256 text,
  status public.document_version_status not null default 'pending',
  uploaded_by uuid default auth.uid() references auth.users (id) on delete set null,
  uploaded_at timestamptz,
  created_at timestamptz not null default now(),
  constraint document_versions_document_fkey foreign key (org_id, document_id) references public.documents (org_id, id) on delete cascade,
  constraint document_versions_version_key unique (document_id, version),
  constraint document_versions_version_positive check (version >= 1),
  constraint document_versions_size_range check (size_bytes between 1 and 26214400),
  constraint document_versions_file_name_format check (file_name ~ '^[^/\\\x01-\x1f]{1,200}$' and file_name not in ('.', '..')),
  constraint document_versions_sha256_format check (sha256 is null or sha256 ~ '^[0-9a-f]{64}$'),
  constraint document_versions_uploaded_fields check ((status = 'uploaded') = (uploaded_at is not null and sha256 is not null)),
  constraint document_versions_path_convention check (storage_path = org_id || '/' || document_id || '/' || version || '/' || file_name)
);
create index document_versions_org_idx on public.document_versions (org_id, document_id);
create index document_versions_uploaded_by_idx on public.document_versions (uploaded_by);
comment on table public.document_versions is 'One row per upload of a document: its object path (<org>/<document>/<version>/<file>), size, MIME type, SHA-256 and uploader. Pending until the documents function confirms the upload.';

-- The allow-list is the bucket's: one source of truth.
create or replace function private.check_document_version()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_bucket storage.buckets;
begin
  select * into v_bucket from storage.buckets where id = 'documents';
  if v_bucket.allowed_mime_types is not null and not (new.mime_type = any (v_bucket.allowed_mime_types)) then
    raise exception 'Cannot store a file of type %: the documents bucket does not accept it', new.mime_type using errcode = '22023';
  end if;
  if v_bucket.file_size_limit is not null and new.size_bytes > v_bucket.file_size_limit then
    raise exception 'Cannot store a file of % bytes: the limit is % bytes', new.size_bytes, v_bucket.file_size_limit using errcode = '22023';
  end if;
  return new;
end
$$;
comment on function private.check_document_version() is 'Refuses a version whose declared type or size the documents bucket would refuse.';

create trigger check_version before insert or update of mime_type, size_bytes on public.document_versions
  for each row execute function private.check_document_version();

-- ---------------------------------------------------------------------------------------------
-- Links: a module declares "documents attach to my table" once; each gets its own link table
-- with real foreign keys. Reading a record means reading the documents linked to it.
-- ---------------------------------------------------------------------------------------------

create table private.document_link_tables (
  link_table regclass primary key,
  record_table regclass not null unique,
  created_at timestamptz not null default now()
);
comment on table private.document_link_tables is 'Registry of the link tables made by private.enable_document_links: which record table each one attaches documents to.';
alter table private.document_link_tables enable row level security;
revoke all on private.document_link_tables from public, anon, authenticated, service_role;

-- Documents linked to a record the caller can read. Security invoker on purpose: each record
-- table's own RLS decides, so this helper knows nothing about any module.
create or replace function private.linked_document_ids()
returns setof uuid
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_link record;
begin
  for v_link in select link_table, record_table from private.document_link_tables_readable() loop
    return query execute format(
      'select l.document_id from %s l where l.org_id in (select private.member_org_ids()) and exists (select 1 from %s r where r.id = l.record_id)',
      v_link.link_table, v_link.record_table);
  end loop;
end
$$;
comment on function private.linked_document_ids() is 'Documents linked to records the current user can read (each record table''s RLS decides). Policies call it once per statement.';

create or replace function private.document_link_tables_readable()
returns table (link_table regclass, record_table regclass)
language sql
stable
security definer
set search_path = ''
as $$
  select t.link_table, t.record_table from private.document_link_tables t
$$;
comment on function private.document_link_tables_readable() is 'The link-table registry, for linked_document_ids.';

revoke all on function private.linked_document_ids(), private.document_link_tables_readable() from public;
grant execute on function private.linked_document_ids(), private.document_link_tables_readable() to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Row-level security
-- ---------------------------------------------------------------------------------------------

alter table public.documents enable row level security;
alter table public.document_versions enable row level security;
revoke all on public.documents, public.document_versions from anon, authenticated;
grant select on public.documents, public.document_versions to authenticated;
grant insert (org_id, title, department_id) on public.documents to authenticated;
grant update (title, department_id) on public.documents to authenticated;

create policy "Members with core.documents.read, or who can read a linked record, read documents" on public.documents
  for select to authenticated
  using (
    org_id in (select private.org_ids_with('core.documents.read'))
    or department_id in (select private.department_ids_with('core.documents.read'))
    or (owner_id = (select auth.uid()) and org_id in (select private.org_ids_with('core.documents.read', 'own')))
    or id in (select private.linked_document_ids())
  );
create policy "Members with core.documents.write add documents in their scope" on public.documents
  for insert to authenticated
  with check (owner_id = (select auth.uid()) and org_id in (select private.org_ids_with('core.documents.write', 'own')));
create policy "Members with core.documents.write change documents in their scope" on public.documents
  for update to authenticated
  using (
    org_id in (select private.org_ids_with('core.documents.write'))
    or department_id in (select private.department_ids_with('core.documents.write'))
    or (owner_id = (select auth.uid()) and org_id in (select private.org_ids_with('core.documents.write', 'own')))
  )
  with check (org_id in (select private.org_ids_with('core.documents.write', 'own')));
create policy "Organizations requiring MFA demand aal2 to read documents" on public.documents
  as restrictive for select to authenticated using (org_id not in (select private.mfa_blocked_org_ids()));
create policy "Organizations requiring MFA demand aal2 to add documents" on public.documents
  as restrictive for insert to authenticated with check (org_id not in (select private.mfa_blocked_org_ids()));
create policy "Organizations requiring MFA demand aal2 to change documents" on public.documents
  as restrictive for update to authenticated using (org_id not in (select private.mfa_blocked_org_ids()));

-- Versions follow their document (its RLS applies inside the subquery).
create policy "Readers of a document read its versions" on public.document_versions
  for select to authenticated
  using (document_id in (select d.id from public.documents d where d.org_id = document_versions.org_id));

select audit.enable('public.documents');
select audit.enable('public.document_versions');
select audit.enable('private.document_link_tables', p_org_column => null);

-- Whether the current user may write a document (for functions and storage policies).
create or replace function private.can_write_document(p_document_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_doc public.documents;
begin
  select * into v_doc from public.documents where id = p_document_id;
  if v_doc.id is null or v_doc.org_id in (select private.mfa_blocked_org_ids()) then
    return false;
  end if;
  return private.reaches(v_doc.org_id, 'core.documents.write', v_doc.department_id, v_doc.owner_id = auth.uid());
end
$$;
comment on function private.can_write_document(uuid) is 'Whether the current user holds core.documents.write over this document (org, department or own scope, MFA respected).';
revoke all on function private.can_write_document(uuid) from public;
grant execute on function private.can_write_document(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Attaching documents to a module's table, in one call
-- ---------------------------------------------------------------------------------------------

create or replace function private.enable_document_links(p_record_table regclass)
returns regclass
language plpgsql
set search_path = ''
as $$
declare
  v_schema text;
  v_table text;
  v_link text;
  v_link_table regclass;
begin
  select n.nspname, c.relname into v_schema, v_table
  from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where c.oid = p_record_table;
  if not exists (select 1 from pg_catalog.pg_attribute where attrelid = p_record_table and attname = 'org_id' and not attisdropped)
     or not exists (select 1 from pg_catalog.pg_attribute where attrelid = p_record_table and attname = 'id' and not attisdropped) then
    raise exception 'Cannot attach documents to %: it needs id and org_id columns', p_record_table;
  end if;
  v_link := format('%I.%I', v_schema, v_table || '_documents');
  -- The link's organization matches the record's and the document's (composite keys).
  execute format('create unique index if not exists %I on %s (org_id, id)', v_table || '_org_id_id_key', p_record_table);
  execute format($sql$
    create table %1$s (
      document_id uuid not null,
      record_id uuid not null,
      org_id uuid not null,
      created_by uuid default auth.uid() references auth.users (id) on delete set null,
      created_at timestamptz not null default now(),
      primary key (document_id, record_id),
      foreign key (org_id, document_id) references public.documents (org_id, id) on delete cascade,
      foreign key (org_id, record_id) references %2$s (org_id, id) on delete cascade
    )$sql$, v_link, p_record_table);
  v_link_table := v_link::regclass;
  execute format('create index %I on %s (org_id, record_id)', v_table || '_documents_record_idx', v_link_table);
  execute format('create index %I on %s (org_id, document_id)', v_table || '_documents_document_idx', v_link_table);
  execute format('create index %I on %s (created_by)', v_table || '_documents_created_by_idx', v_link_table);
  execute format('comment on table %s is %L', v_link_table, format('Documents attached to %s (made by private.enable_document_links).', p_record_table));
  execute format('alter table %s enable row level security', v_link_table);
  execute format('revoke all on %s from anon, authenticated', v_link_table);
  execute format('grant select, delete on %s to authenticated', v_link_table);
  execute format('grant insert (document_id, record_id, org_id) on %s to authenticated', v_link_table);
  execute format('create policy %I on %s for select to authenticated using (org_id in (select private.member_org_ids()))',
    'Members read their organization''s links', v_link_table);
  execute format('create policy %I on %s for insert to authenticated with check (private.can_write_document(document_id) and exists (select 1 from %s r where r.id = record_id))',
    'Writers of a document link it to records they can read', v_link_table, p_record_table);
  execute format('create policy %I on %s for delete to authenticated using (private.can_write_document(document_id))',
    'Writers of a document unlink it', v_link_table);
  perform audit.enable(v_link_table);
  insert into private.document_link_tables (link_table, record_table) values (v_link_table, p_record_table);
  return v_link_table;
end
$$;
comment on function private.enable_document_links(regclass) is 'Lets documents attach to a module''s table: creates <table>_documents with real foreign keys to both, its policies and audit, and registers it so readers of a record read its documents.';
revoke all on function private.enable_document_links(regclass) from public;

-- ---------------------------------------------------------------------------------------------
-- Lifecycle (called by the documents function as the caller; each checks the caller itself)
-- ---------------------------------------------------------------------------------------------

create or replace function private.writable_document(p_document_id uuid, p_action text)
returns public.documents
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_doc public.documents;
begin
  select * into v_doc from public.documents where id = p_document_id for update;
  if v_doc.id is null or not private.can_write_document(p_document_id) then
    raise exception 'Cannot % document %: no such document that you may change', p_action, p_document_id using errcode = 'P0002';
  end if;
  return v_doc;
end
$$;
comment on function private.writable_document(uuid, text) is 'The document a write acts on, locked, when the caller may write it; otherwise 404.';

-- Reserves the next version for an upload: a pending row whose path the storage insert policy allows.
create or replace function private.begin_document_upload(p_document_id uuid, p_file_name text, p_size_bytes bigint, p_mime_type text)
returns public.document_versions
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_doc public.documents := private.writable_document(p_document_id, 'upload to');
  v_next integer;
  v_version public.document_versions;
begin
  if v_doc.deleted_at is not null then
    raise exception 'Cannot upload to document %: it is deleted; restore it first', p_document_id using errcode = 'GW409';
  end if;
  select coalesce(max(version), 0) + 1 into v_next from public.document_versions where document_id = p_document_id;
  insert into public.document_versions (document_id, org_id, version, storage_path, file_name, size_bytes, mime_type, uploaded_by)
  values (p_document_id, v_doc.org_id, v_next, v_doc.org_id || '/' || p_document_id || '/' || v_next || '/' || p_file_name,
          p_file_name, p_size_bytes, p_mime_type, auth.uid())
  returning * into v_version;
  return v_version;
end
$$;
comment on function private.begin_document_upload(uuid, text, bigint, text) is 'Reserves the next version of a document for an upload (pending until confirmed).';

-- Confirms an uploaded version after the function checked the file: the object exists with the
-- declared size and type; the checksum is recorded. A mismatch rejects the version.
create or replace function private.confirm_document_upload(p_version_id uuid, p_sha256 text)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_version public.document_versions;
  v_object storage.objects;
  v_reason text;
begin
  select * into v_version from public.document_versions where id = p_version_id for update;
  if v_version.id is null or not private.can_write_document(v_version.document_id) then
    raise exception 'Cannot confirm upload %: no such upload that you may change', p_version_id using errcode = 'P0002';
  end if;
  if v_version.status <> 'pending' then
    raise exception 'Cannot confirm upload: it is already %', v_version.status using errcode = 'GW409';
  end if;
  select * into v_object from storage.objects where bucket_id = 'documents' and name = v_version.storage_path;
  v_reason := case
    when v_object.id is null then 'missing'
    when (v_object.metadata ->> 'size')::bigint is distinct from v_version.size_bytes then 'size_mismatch'
    when lower(split_part(v_object.metadata ->> 'mimetype', ';', 1)) is distinct from v_version.mime_type then 'type_mismatch'
    when p_sha256 !~ '^[0-9a-f]{64}$' then 'checksum_mismatch'
  end;
  if v_reason is not null then
    update public.document_versions set status = 'rejected' where id = p_version_id;
    return v_reason;
  end if;
  update public.document_versions set status = 'uploaded', sha256 = p_sha256, uploaded_at = pg_catalog.now() where id = p_version_id;
  update public.documents set current_version = greatest(current_version, v_version.version) where id = v_version.document_id;
  return 'uploaded';
end
$$;
comment on function private.confirm_document_upload(uuid, text) is 'Marks a pending version uploaded (and current) when its object matches the declared size and type; otherwise rejects it and says why.';

create or replace function private.reject_document_upload(p_version_id uuid, p_reason text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.document_versions v set status = 'rejected'
  where v.id = p_version_id and v.status = 'pending' and private.can_write_document(v.document_id);
  if not found then
    raise exception 'Cannot reject upload %: no such pending upload that you may change (%)', p_version_id, p_reason using errcode = 'P0002';
  end if;
end
$$;
comment on function private.reject_document_upload(uuid, text) is 'Rejects a pending version (e.g. its checksum did not match).';

create or replace function private.delete_document(p_document_id uuid)
returns public.documents
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_doc public.documents := private.writable_document(p_document_id, 'delete');
begin
  if v_doc.deleted_at is not null then
    return v_doc;
  end if;
  update public.documents d
  set deleted_at = private.now(), deleted_by = auth.uid(),
      purge_after = private.now() + make_interval(days => (select document_retention_days from public.organizations where id = d.org_id))
  where d.id = p_document_id
  returning * into v_doc;
  return v_doc;
end
$$;
comment on function private.delete_document(uuid) is 'Soft-deletes a document: hidden from downloads, restorable until purge_after (the organization''s retention).';

create or replace function private.restore_document(p_document_id uuid)
returns public.documents
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_doc public.documents := private.writable_document(p_document_id, 'restore');
begin
  if v_doc.deleted_at is null then
    return v_doc;
  end if;
  if v_doc.purge_after <= private.now() then
    raise exception 'Cannot restore document %: its retention ended on %', p_document_id, v_doc.purge_after using errcode = 'GW410';
  end if;
  update public.documents set deleted_at = null, deleted_by = null, purge_after = null where id = p_document_id returning * into v_doc;
  return v_doc;
end
$$;
comment on function private.restore_document(uuid) is 'Restores a deleted document within its retention window.';

-- Purge, run by documents-purge (service role): claim documents past retention with their object
-- paths; only after Storage removed the objects are the rows deleted. A failed run changes nothing.
create or replace function private.claim_document_purges(p_limit integer)
returns table (document_id uuid, paths text[])
language plpgsql
security definer
set search_path = ''
as $$
begin
  return query
    select d.id, coalesce(array_agg(v.storage_path) filter (where v.id is not null), '{}')
    from (select id from public.documents where deleted_at is not null and purge_after <= private.now()
          order by purge_after limit p_limit for update skip locked) d
    left join public.document_versions v on v.document_id = d.id
    group by d.id;
end
$$;
comment on function private.claim_document_purges(integer) is 'Documents past their retention (locked for this run) and the object paths to remove from Storage first.';

create or replace function private.finish_document_purge(p_document_id uuid)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from public.documents where id = p_document_id and deleted_at is not null and purge_after <= private.now();
  return found;
end
$$;
comment on function private.finish_document_purge(uuid) is 'Deletes a purged document''s rows (versions and links cascade) once its objects are gone.';

revoke all on function private.writable_document(uuid, text), private.begin_document_upload(uuid, text, bigint, text),
  private.confirm_document_upload(uuid, text), private.reject_document_upload(uuid, text), private.delete_document(uuid),
  private.restore_document(uuid), private.claim_document_purges(integer), private.finish_document_purge(uuid) from public;
grant execute on function private.begin_document_upload(uuid, text, bigint, text), private.confirm_document_upload(uuid, text),
  private.reject_document_upload(uuid, text), private.delete_document(uuid), private.restore_document(uuid) to authenticated;
grant execute on function private.claim_document_purges(integer), private.finish_document_purge(uuid) to service_role;

-- ---------------------------------------------------------------------------------------------
-- Storage policies for the documents bucket (the Storage server runs each request as the caller)
-- ---------------------------------------------------------------------------------------------

create or replace function private.can_upload_document_object(p_name text)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (
    select 1 from public.document_versions v
    where v.storage_path = p_name and v.status = 'pending' and v.uploaded_by = auth.uid()
      and private.can_write_document(v.document_id)
  );
end
$$;
comment on function private.can_upload_document_object(text) is 'An upload is allowed only at the exact path of a pending version the caller reserved, of a document they may write.';
revoke all on function private.can_upload_document_object(text) from public;
grant execute on function private.can_upload_document_object(text) to authenticated;

create policy "Writers upload the version they reserved to the documents bucket" on storage.objects
  for insert to authenticated
  with check (bucket_id = 'documents' and private.can_upload_document_object(name));
create policy "Readers of a document download its confirmed versions" on storage.objects
  for select to authenticated
  using (
    bucket_id = 'documents'
    and exists (
      select 1 from public.document_versions v join public.documents d on d.id = v.document_id
      where v.storage_path = objects.name and v.status = 'uploaded' and d.deleted_at is null
    )
  );

