-- Identifiers stay under PostgreSQL's 63-byte limit, so none is silently truncated.
--
-- Purpose: PostgreSQL cuts a longer identifier to 63 bytes with only a NOTICE; several policy
--   names were cut mid-word ("… to the documents bucke"), and a cut name can collide with another.
--   Each is renamed to a sentence that fits, and the policy generator refuses a name that would
--   not fit instead of letting it be cut. tests/db/core_identifier_lengths.test.sql checks every
--   policy, constraint, index, trigger and function name over the catalog.
-- Tables: none new.

alter policy "Writers upload the version they reserved to the documents bucke" on storage.objects
  rename to "Writers upload the version they reserved";
alter policy "Members with core.departments.manage change rows in their scope" on public.departments
  rename to "Holders of core.departments.manage change rows in scope";
alter policy "Members with core.departments.manage remove rows in their scope" on public.departments
  rename to "Holders of core.departments.manage remove rows in scope";
alter policy "Members leave, and members with core.members.manage remove othe" on public.members
  rename to "Members leave; core.members.manage holders remove others";
alter policy "Members read their own memberships and members of their organiz" on public.members
  rename to "Members read own memberships and their organizations' members";
alter policy "Inviters read their organization's invitations and invitees rea" on public.invitations
  rename to "Inviters and invitees read invitations";
alter policy "Members with core.documents.read, or who can read a linked reco" on public.documents
  rename to "Document readers and readers of a linked record read documents";
alter policy "Members with core.documents.write change documents in their sco" on public.documents
  rename to "Holders of core.documents.write change documents in scope";
alter policy "Members with compliance.contracts.read read contracts in their " on compliance.contracts
  rename to "Holders of compliance.contracts.read read contracts in scope";
alter policy "Members with compliance.contracts.write change drafts in their " on compliance.contracts
  rename to "Holders of compliance.contracts.write change drafts in scope";
alter policy "Members with compliance.training.manage add rows in their scope" on compliance.certification_types
  rename to "Holders of compliance.training.manage add rows in scope";
alter policy "Members with compliance.training.manage change rows in their sc" on compliance.certification_types
  rename to "Holders of compliance.training.manage change rows in scope";
alter policy "Members with compliance.training.manage remove rows in their sc" on compliance.certification_types
  rename to "Holders of compliance.training.manage remove rows in scope";
alter policy "Members with compliance.training.manage change and verify certi" on compliance.certifications
  rename to "Training managers change and verify certifications";
alter policy "Members with compliance.training.read read certifications in th" on compliance.certifications
  rename to "Training readers read certifications in their scope";

-- The generator's policy names: the full sentence when it fits, a shorter one otherwise, never cut.
create or replace function private.scoped_policy_name(p_permission text, p_verb text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_name text := case when p_permission = 'membership' and p_verb = 'read' then 'Members read rows of their organizations'
                      else format('Members with %s %s rows in their scope', p_permission, p_verb) end;
begin
  if octet_length(v_name) >= 63 then
    v_name := format('Holders of %s %s rows in scope', p_permission, p_verb);
  end if;
  if octet_length(v_name) >= 63 then
    raise exception 'Cannot name the % policy for %: "%" is longer than PostgreSQL''s 63-byte identifiers; use a shorter permission key',
      p_verb, p_permission, v_name;
  end if;
  return v_name;
end
$$;
comment on function private.scoped_policy_name(text, text) is 'The name of a generated policy ("Members with <permission> <verb> rows in their scope", or a shorter form when that would pass 63 bytes); refuses a name PostgreSQL would truncate.';
revoke all on function private.scoped_policy_name(text, text) from public;

create or replace function private.create_scoped_policies(
  p_table regclass,
  p_read_permission text,
  p_write_permission text,
  p_org_column text default 'org_id',
  p_department_column text default null,
  p_owner_column text default null
)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_read text := private.scope_predicate(p_read_permission, p_org_column, p_department_column, p_owner_column);
  v_write text := private.scope_predicate(p_write_permission, p_org_column, p_department_column, p_owner_column);
  v_column text;
begin
  -- 'membership' (every active member) is not in the catalogue; every other name must be.
  if exists (
    select 1 from unnest(array[p_read_permission, p_write_permission]) k
    where k <> 'membership' and not exists (select 1 from public.permissions where key = k)
  ) then
    raise exception 'Cannot create policies on %: add % and % to public.permissions first', p_table, p_read_permission, p_write_permission;
  end if;
  execute format('alter table %s enable row level security', p_table);
  execute format('create policy %I on %s for select to authenticated using (%s)',
    private.scoped_policy_name(p_read_permission, 'read'), p_table, v_read);
  execute format('create policy %I on %s for insert to authenticated with check (%s)',
    private.scoped_policy_name(p_write_permission, 'add'), p_table, v_write);
  execute format('create policy %I on %s for update to authenticated using (%s) with check (%s)',
    private.scoped_policy_name(p_write_permission, 'change'), p_table, v_write, v_write);
  execute format('create policy %I on %s for delete to authenticated using (%s)',
    private.scoped_policy_name(p_write_permission, 'remove'), p_table, v_write);
  perform private.enable_mfa_policies(p_table, p_org_column);
  -- Every column a policy reads is indexed (unless an index already leads with it).
  foreach v_column in array array_remove(array[p_org_column, p_department_column, p_owner_column], null) loop
    if not exists (
      select 1 from pg_catalog.pg_index i join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
      where i.indrelid = p_table and a.attname = v_column
    ) then
      execute format('create index %I on %s (%I)',
        left(format('%s_%s_policy_idx', (select relname from pg_catalog.pg_class where oid = p_table), v_column), 62), p_table, v_column);
    end if;
  end loop;
end
$$;
comment on function private.create_scoped_policies(regclass, text, text, text, text, text) is 'Gives an organization-scoped table its policies in one call: read with one permission, write with another (''membership'' meaning any active member), each reaching org / department / own rows by the grant''s scope, plus the restrictive MFA policies (private.enable_mfa_policies); indexes the columns they read. Policy names never pass 63 bytes.';
revoke all on function private.create_scoped_policies(regclass, text, text, text, text, text) from public;
