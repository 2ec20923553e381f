-- Core hardening, part 2: three rules made core mechanisms, applied to every table that exists,
-- and checked over the catalog by tests so the next module cannot skip them.
--
-- 1. A column naming a user inside an organization's row references a member of that
--    organization: private.reference_member(table, column) replaces the foreign key to auth.users
--    with a composite one to public.members (org_id, user_id).
-- 2. Every table carrying org_id gets the restrictive MFA policies from one generator,
--    private.enable_mfa_policies (private.create_scoped_policies and enable_document_links call it).
-- 3. The audit trail shows an entry only to readers who could read that table's rows at
--    organization scope: audit.set_read_permission declares, per audited table, the permission a
--    reader of its history needs besides core.audit.read ('-' for nobody through the API).
-- Also: no API role reads a secret's hash (invitations.token_hash, calendar_feeds.token_hash).

-- ---------------------------------------------------------------------------------------------
-- 1. Members, not just users
-- ---------------------------------------------------------------------------------------------

create or replace function private.reference_member(p_table regclass, p_column text, p_on_delete text default 'set null')
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_relname text := (select relname from pg_catalog.pg_class where oid = p_table);
  v_org_not_null boolean;
  v_fkey record;
begin
  if p_on_delete not in ('set null', 'cascade') then
    raise exception 'Cannot reference members from %.%: on delete must be set null or cascade', p_table, p_column;
  end if;
  select a.attnotnull into v_org_not_null from pg_catalog.pg_attribute a
  where a.attrelid = p_table and a.attname = 'org_id' and not a.attisdropped;
  if v_org_not_null is null then
    raise exception 'Cannot reference members from %: it has no org_id column', p_table;
  end if;
  -- The single-column key to auth.users is implied by the member key; it stays only where the
  -- organization is optional (a personal row outside any organization still names a user).
  if v_org_not_null then
    for v_fkey in
      select k.conname from pg_catalog.pg_constraint k
      join pg_catalog.pg_attribute a on a.attrelid = k.conrelid and a.attnum = k.conkey[1]
      where k.conrelid = p_table and k.contype = 'f' and cardinality(k.conkey) = 1 and a.attname = p_column
        and k.confrelid = 'auth.users'::regclass
    loop
      execute format('alter table %s drop constraint %I', p_table, v_fkey.conname);
    end loop;
  end if;
  execute format('alter table %s add constraint %I foreign key (org_id, %I) references public.members (org_id, user_id) on delete %s',
    p_table, left(format('%s_%s_member_fkey', v_relname, p_column), 63), p_column,
    case p_on_delete when 'cascade' then 'cascade' else format('set null (%I)', p_column) end);
  if not exists (
    select 1 from pg_catalog.pg_index i
    join pg_catalog.pg_attribute a1 on a1.attrelid = i.indrelid and a1.attnum = i.indkey[0]
    join pg_catalog.pg_attribute a2 on a2.attrelid = i.indrelid and a2.attnum = i.indkey[1]
    where i.indrelid = p_table and a1.attname = 'org_id' and a2.attname = p_column
  ) then
    execute format('create index %I on %s (org_id, %I)', left(format('%s_%s_member_idx', v_relname, p_column), 63), p_table, p_column);
  end if;
end
$$;
comment on function private.reference_member(regclass, text, text) is 'Makes a column that names a user in an organization''s row reference a member of that organization: a composite foreign key (org_id, column) to public.members, indexed; on delete of the membership the column is nulled (or the row removed with cascade).';
revoke all on function private.reference_member(regclass, text, text) from public;

-- Rows that outlive the membership of the person they name keep the row and lose the name; the
-- audit trail keeps who it was.
alter table compliance.contract_approvals drop constraint contract_approvals_decided;
alter table compliance.contract_approvals add constraint contract_approvals_decided
  check ((status in ('approved', 'rejected')) = (decided_at is not null));
alter table public.invitations drop constraint invitations_accepted_by_matches_status;
alter table public.invitations add constraint invitations_accepted_by_matches_status check (accepted_by is null or status = 'accepted');

select private.reference_member('compliance.contracts', 'owner_id');
select private.reference_member('compliance.contracts', 'proposed_by');
select private.reference_member('compliance.contract_assignees', 'user_id', 'cascade');
select private.reference_member('compliance.contract_approvals', 'approver_id');
select private.reference_member('compliance.certifications', 'recorded_by');
select private.reference_member('compliance.certifications', 'verified_by');
select private.reference_member('compliance.contracts_documents', 'created_by');
select private.reference_member('public.documents', 'owner_id');
select private.reference_member('public.documents', 'deleted_by');
select private.reference_member('public.document_versions', 'uploaded_by');
select private.reference_member('public.invitations', 'invited_by');
select private.reference_member('public.invitations', 'accepted_by');
select private.reference_member('public.resources', 'member_user_id');
select private.reference_member('public.bookings', 'booked_by');
select private.reference_member('public.booking_attendees', 'user_id');
select private.reference_member('public.notifications', 'user_id', 'cascade');

-- ---------------------------------------------------------------------------------------------
-- 2. The one MFA policy generator
-- ---------------------------------------------------------------------------------------------

create or replace function private.enable_mfa_policies(p_table regclass, p_org_column text default 'org_id', p_read_unless text default null)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_nullable boolean;
  v_check text;
  v_read text;
  v_policy record;
begin
  select not a.attnotnull into v_nullable from pg_catalog.pg_attribute a
  where a.attrelid = p_table and a.attname = p_org_column and not a.attisdropped;
  if v_nullable is null then
    raise exception 'Cannot add MFA policies to %: it has no column %', p_table, p_org_column;
  end if;
  v_check := format('%I not in (select private.mfa_blocked_org_ids())', p_org_column);
  if v_nullable then
    v_check := format('(%I is null or %s)', p_org_column, v_check);
  end if;
  v_read := case when p_read_unless is null then v_check else format('(%s) or %s', p_read_unless, v_check) end;
  for v_policy in
    select polname from pg_catalog.pg_policy where polrelid = p_table and not polpermissive and polname like 'Organizations requiring MFA%'
  loop
    execute format('drop policy %I on %s', v_policy.polname, p_table);
  end loop;
  execute format('create policy %I on %s as restrictive for select to authenticated using (%s)',
    'Organizations requiring MFA demand aal2 to read', p_table, v_read);
  execute format('create policy %I on %s as restrictive for insert to authenticated with check (%s)',
    'Organizations requiring MFA demand aal2 to add', p_table, v_check);
  execute format('create policy %I on %s as restrictive for update to authenticated using (%s) with check (%s)',
    'Organizations requiring MFA demand aal2 to change', p_table, v_check, v_check);
  execute format('create policy %I on %s as restrictive for delete to authenticated using (%s)',
    'Organizations requiring MFA demand aal2 to remove', p_table, v_read);
end
$$;
comment on function private.enable_mfa_policies(regclass, text, text) is 'Gives a table carrying an organization column the four restrictive MFA policies (read, add, change, remove): rows of organizations requiring MFA are out of reach for sessions below aal2. p_read_unless names rows still readable and removable at aal1 (your own membership, an invitation to your own email). Replaces earlier MFA policies; idempotent.';
revoke all on function private.enable_mfa_policies(regclass, text, text) from public;

-- private.create_scoped_policies calls this generator from 20261122100400_core_identifier_lengths on.

-- Every table that carries org_id, in every schema the API reaches, gets them now.
do $$
declare
  v_table record;
begin
  for v_table in
    select c.oid::regclass as id from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attname = 'org_id' and not a.attisdropped
    where c.relkind in ('r', 'p') and n.nspname in ('public', 'compliance', 'audit')
  loop
    perform private.enable_mfa_policies(v_table.id, 'org_id',
      case v_table.id
        when 'public.members'::regclass then 'user_id = (select auth.uid())'
        when 'public.invitations'::regclass then 'email = (select private.verified_email())'
      end);
  end loop;
end
$$;

-- Profiles carry no organization: a co-member's profile is visible only through an organization
-- this session may read.
drop policy "Users read their own profile and their co-members' profiles" on public.profiles;
create policy "Users read their own profile and their co-members' profiles" on public.profiles
  for select to authenticated
  using (
    id = (select auth.uid())
    or exists (
      select 1 from public.members m
      where m.user_id = profiles.id and m.org_id in (select private.member_org_ids())
        and m.org_id not in (select private.mfa_blocked_org_ids())
    )
  );

-- Document links made from now on follow both rules as well.
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
  execute format('create unique index if not exists %I on %s (org_id, id)', v_table || '_org_id_id_key', p_record_table);
  execute format($sql$
    create table %1$s (
      document_id uuid not null,
      record_id uuid not null,
      org_id uuid not null,
      created_by uuid default auth.uid(),
      created_at timestamptz not null default now(),
      primary key (document_id, record_id),
      foreign key (org_id, document_id) references public.documents (org_id, id) on delete cascade,
      foreign key (org_id, record_id) references %2$s (org_id, id) on delete cascade
    )$sql$, v_link, p_record_table);
  v_link_table := v_link::regclass;
  execute format('create index %I on %s (org_id, record_id)', v_table || '_documents_record_idx', v_link_table);
  execute format('create index %I on %s (org_id, document_id)', v_table || '_documents_document_idx', v_link_table);
  perform private.reference_member(v_link_table, 'created_by');
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
  perform private.enable_mfa_policies(v_link_table);
  perform audit.enable(v_link_table);
  perform audit.set_read_permission(v_link_table, 'core.documents.read');
  insert into private.document_link_tables (link_table, record_table) values (v_link_table, p_record_table);
  return v_link_table;
end
$$;
comment on function private.enable_document_links(regclass) is 'Lets documents attach to a module''s table: creates <table>_documents with real foreign keys to both (the creator a member), its policies (MFA included), audit readable by document readers, and registers it so readers of a record read its documents.';
revoke all on function private.enable_document_links(regclass) from public;

-- ---------------------------------------------------------------------------------------------
-- 3. Who reads which part of the audit trail
-- ---------------------------------------------------------------------------------------------

alter table audit.tables add column read_permission text;
comment on column audit.tables.read_permission is 'What a reader of this table''s history needs besides core.audit.read, at organization scope: a permission key, ''core.audit.read'' for nothing more, or ''-'' when no API reader may see it (personal rows). Declared per table with audit.set_read_permission; every audited table with an organization column must declare it.';

create or replace function audit.set_read_permission(p_table regclass, p_permission text)
returns void
language plpgsql
set search_path = ''
as $$
begin
  if p_permission <> '-' and not exists (select 1 from public.permissions where key = p_permission) then
    raise exception 'Cannot let % audit readers need %: no such permission', p_table, p_permission;
  end if;
  update audit.tables set read_permission = p_permission where table_id = p_table;
  if not found then
    raise exception 'Cannot set who reads the history of %: audit.enable it first', p_table;
  end if;
end
$$;
comment on function audit.set_read_permission(regclass, text) is 'Declares who reads a table''s audit history: holders of core.audit.read who also hold p_permission at organization scope (''core.audit.read'': no more; ''-'': nobody through the API).';
revoke all on function audit.set_read_permission(regclass, text) from public;

select audit.set_read_permission(t, p) from (values
  ('public.departments'::regclass, 'core.audit.read'), ('public.roles', 'core.audit.read'), ('public.role_permissions', 'core.audit.read'),
  ('public.organizations', 'core.audit.read'), ('public.members', 'core.members.read'), ('public.invitations', 'core.members.invite'),
  ('public.notifications', '-'),
  ('public.documents', 'core.documents.read'), ('public.document_versions', 'core.documents.read'),
  ('public.resources', 'core.scheduling.read'), ('public.availability_rules', 'core.scheduling.read'),
  ('public.availability_overrides', 'core.scheduling.read'), ('public.time_off', 'core.scheduling.read'),
  ('public.bookings', 'core.scheduling.read'), ('public.booking_attendees', 'core.scheduling.read'),
  ('compliance.settings', 'core.audit.read'), ('compliance.approval_policies', 'core.audit.read'),
  ('compliance.contracts', 'compliance.contracts.read'), ('compliance.contract_parties', 'compliance.contracts.read'),
  ('compliance.contract_assignees', 'compliance.contracts.read'), ('compliance.contract_departments', 'compliance.contracts.read'),
  ('compliance.contract_approvals', 'compliance.contracts.read'), ('compliance.contracts_documents', 'core.documents.read'),
  ('compliance.certification_types', 'core.audit.read'), ('compliance.certifications', 'compliance.training.read')
) as v (t, p);

-- The (organization, table) pairs whose history the current user may not read although they hold
-- core.audit.read there.
create or replace function private.audit_hidden_tables()
returns setof text
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query
    select a.org_id::text || ':' || n.nspname || '.' || c.relname
    from private.access a
    cross join audit.tables t
    join pg_catalog.pg_class c on c.oid = t.table_id
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where a.user_id = auth.uid() and a.permission = 'core.audit.read' and a.scope = 'org'
      and t.read_permission is distinct from 'core.audit.read'
      and (t.read_permission is null or t.read_permission = '-' or not exists (
        select 1 from private.access p
        where p.user_id = a.user_id and p.org_id = a.org_id and p.permission = t.read_permission and p.scope = 'org'));
end
$$;
comment on function private.audit_hidden_tables() is 'Pairs ''org_id:schema.table'' whose audit entries the current user may not read: the table''s history needs a permission they lack at organization scope there, or is personal.';
revoke all on function private.audit_hidden_tables() from public;
grant execute on function private.audit_hidden_tables() to authenticated, service_role;

drop policy "Members with core.audit.read read their organization's audit trail" on audit.log;
create policy "Audit readers read the history of what they may read" on audit.log
  for select to authenticated
  using (org_id in (select private.org_ids_with('core.audit.read'))
         and (org_id::text || ':' || table_schema || '.' || table_name) not in (select private.audit_hidden_tables()));

-- ---------------------------------------------------------------------------------------------
-- Secrets' hashes stay out of every API role's reach
-- ---------------------------------------------------------------------------------------------

revoke select on public.invitations from authenticated;
grant select (id, org_id, email, role_id, department_id, status, expires_at, invited_by, resent_count, last_sent_at, responded_at,
  accepted_by, created_at, updated_at) on public.invitations to authenticated;
revoke select on public.calendar_feeds from authenticated;
grant select (id, user_id, label, created_at, last_used_at, revoked_at) on public.calendar_feeds to authenticated;
