-- Core: starting, reverting and cancelling imports, the job's claim, and the export records. The
-- imports and exports functions call these as the caller; the job claims work as the function's own
-- database user and then acts with the claims of the member who started it.
-- Tables: none. Permissions: none new.

-- Helpers
create or replace function private.check_member_in(p_org_id uuid, p_action text)
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if auth.uid() is null or not p_org_id = any (array(select private.member_org_ids())) then
    raise exception 'Cannot % in organization %: you are not a member', p_action, p_org_id using errcode = '42501';
  end if;
  if p_org_id in (select private.mfa_blocked_org_ids()) then
    raise exception 'Cannot %: this organization requires MFA (aal2)', p_action using errcode = '42501';
  end if;
end
$$;
comment on function private.check_member_in(uuid, text) is 'Refuses, with a clear 403, a caller who is not an active member of the organization or has not passed the MFA it requires.';
revoke all on function private.check_member_in(uuid, text) from public;
grant execute on function private.check_member_in(uuid, text) to authenticated;

-- Workflows: imports
create or replace function private.stage_import(p_org_id uuid, p_kind text, p_file_name text, p_header text[], p_mapping jsonb default '{}')
returns public.imports
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_import public.imports;
begin
  perform private.check_member_in(p_org_id, 'import');
  if not exists (select 1 from private.import_tables t where t.kind = p_kind) then
    raise exception 'Cannot import %: no such kind of record accepts imports', p_kind using errcode = '22023';
  end if;
  if p_header is null or cardinality(p_header) = 0 or exists (select 1 from unnest(p_header) h where coalesce(btrim(h), '') = '')
     or cardinality(p_header) <> (select count(distinct h) from unnest(p_header) h) then
    raise exception 'Cannot import %: the first line must name every column, each once', p_kind using errcode = '22023';
  end if;
  insert into public.imports (org_id, created_by, kind, file_name, header, mapping)
  values (p_org_id, auth.uid(), p_kind, p_file_name, p_header, coalesce(p_mapping, '{}'))
  returning * into v_import;
  return v_import;
end
$$;
comment on function private.stage_import(uuid, text, text, text[], jsonb) is 'Opens an import of a file into a kind of record for a member of the organization (MFA where required), with the file''s header; its lines follow with private.stage_import_lines.';
revoke all on function private.stage_import(uuid, text, text, text[], jsonb) from public;
grant execute on function private.stage_import(uuid, text, text, text[], jsonb) to authenticated;

create or replace function private.stage_import_lines(p_import_id uuid, p_lines jsonb)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_count integer;
begin
  if not exists (select 1 from public.imports i where i.id = p_import_id and i.created_by = auth.uid() and i.status = 'staged' and i.total_rows = 0) then
    raise exception 'Cannot add lines to import %: it is not one you are staging', p_import_id using errcode = 'P0002';
  end if;
  insert into private.import_lines (import_id, line, cells)
  select p_import_id, (l ->> 0)::integer, array(select jsonb_array_elements_text(l -> 1))
  from jsonb_array_elements(p_lines) l;
  get diagnostics v_count = row_count;
  return v_count;
end
$$;
comment on function private.stage_import_lines(uuid, jsonb) is 'Adds parsed lines ([[line number, [cells…]], …]) to an import its caller is staging; private.finish_staging closes it.';
revoke all on function private.stage_import_lines(uuid, jsonb) from public;
grant execute on function private.stage_import_lines(uuid, jsonb) to authenticated;

create or replace function private.finish_staging(p_import_id uuid)
returns public.imports
language sql
security definer
set search_path = ''
as $$
  update public.imports i set total_rows = (select count(*) from private.import_lines l where l.import_id = i.id)
  where i.id = p_import_id and i.created_by = auth.uid() and i.status = 'staged' and i.total_rows = 0
  returning i.*
$$;
comment on function private.finish_staging(uuid) is 'Closes the staging of an import: its total is the number of lines kept.';
revoke all on function private.finish_staging(uuid) from public;
grant execute on function private.finish_staging(uuid) to authenticated;

create or replace function private.queue_import(p_import_id uuid, p_mapping jsonb, p_on_duplicate public.duplicate_action, p_dry_run boolean)
returns public.imports
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_import public.imports := private.import_for_change(p_import_id, 'start');
begin
  if v_import.created_by is distinct from auth.uid() then
    raise exception 'Cannot start import %: only who uploaded it may', p_import_id using errcode = '42501';
  end if;
  if v_import.status not in ('staged', 'validated') then
    raise exception 'Cannot start import %: it is %', p_import_id, v_import.status using errcode = 'GW409';
  end if;
  if v_import.status = 'validated' then
    update private.import_lines set status = 'pending', record_id = null, record_hash = null, field = null, reason = null, message = null
    where import_id = p_import_id;
  end if;
  update public.imports
  set mapping = p_mapping, on_duplicate = p_on_duplicate, dry_run = p_dry_run,
      status = case when p_dry_run then 'validating' else 'running' end::public.import_status,
      processed_rows = 0, created_rows = 0, updated_rows = 0, skipped_rows = 0, failed_rows = 0,
      acting_user = auth.uid(), acting_claims = private.acting_claims(), started_at = now(), finished_at = null
  where id = p_import_id
  returning * into v_import;
  return v_import;
end
$$;
comment on function private.queue_import(uuid, jsonb, public.duplicate_action, boolean) is 'Queues a staged (or dry-run) import for its job, as a dry run or for real, with the checked mapping; the job acts with the starter''s claims.';
revoke all on function private.queue_import(uuid, jsonb, public.duplicate_action, boolean) from public;
grant execute on function private.queue_import(uuid, jsonb, public.duplicate_action, boolean) to authenticated;

create or replace function private.start_import(p_import_id uuid, p_mapping jsonb, p_on_duplicate public.duplicate_action, p_dry_run boolean)
returns public.imports
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_import record;
begin
  select i.id, i.kind, i.header, i.mapping into v_import from public.imports i where i.id = p_import_id;
  if v_import.id is null then
    raise exception 'Cannot start import %: no such import of yours', p_import_id using errcode = 'P0002';
  end if;
  perform private.check_import_mapping(v_import.kind, v_import.header, coalesce(nullif(p_mapping, '{}'), v_import.mapping));
  return private.queue_import(p_import_id, coalesce(nullif(p_mapping, '{}'), v_import.mapping), p_on_duplicate, p_dry_run);
end
$$;
comment on function private.start_import(uuid, jsonb, public.duplicate_action, boolean) is 'Starts an import (or its dry run) after checking the mapping against the fields the caller may insert.';
revoke all on function private.start_import(uuid, jsonb, public.duplicate_action, boolean) from public;
grant execute on function private.start_import(uuid, jsonb, public.duplicate_action, boolean) to authenticated;

create or replace function private.revert_import(p_import_id uuid)
returns public.imports
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_import public.imports := private.import_for_change(p_import_id, 'revert');
begin
  if v_import.status not in ('completed', 'cancelled') or v_import.dry_run then
    raise exception 'Cannot revert import %: it is % (only a finished import that wrote rows can be)', p_import_id,
      case when v_import.dry_run then 'a dry run' else v_import.status::text end using errcode = 'GW409';
  end if;
  update public.imports
  set status = 'reverting', acting_user = auth.uid(), acting_claims = private.acting_claims(), reverted_by = auth.uid()
  where id = p_import_id
  returning * into v_import;
  return v_import;
end
$$;
comment on function private.revert_import(uuid) is 'Queues the revert of a finished import (its starter, or core.imports.manage): the job removes, as the one who asked, the rows it created that nobody changed since.';
revoke all on function private.revert_import(uuid) from public;
grant execute on function private.revert_import(uuid) to authenticated;

create or replace function private.cancel_import(p_import_id uuid)
returns public.imports
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_import public.imports := private.import_for_change(p_import_id, 'cancel');
begin
  if v_import.status not in ('staged', 'validating', 'validated', 'running') then
    raise exception 'Cannot cancel import %: it is %', p_import_id, v_import.status using errcode = 'GW409';
  end if;
  update public.imports set status = 'cancelled', finished_at = now(), dry_run = dry_run and status = 'validating'
  where id = p_import_id
  returning * into v_import;
  return v_import;
end
$$;
comment on function private.cancel_import(uuid) is 'Stops an import where it is (lines already applied stay; revert them with private.revert_import).';
revoke all on function private.cancel_import(uuid) from public;
grant execute on function private.cancel_import(uuid) to authenticated;

create or replace function private.import_report(p_import_id uuid, p_after integer default 0, p_limit integer default 1000)
returns table (line integer, cells text[], status text, field text, reason text, message text)
language sql
stable
security definer
set search_path = ''
as $$
  select l.line, l.cells, l.status, l.field, l.reason, l.message
  from public.imports i
  join private.import_lines l on l.import_id = i.id and l.status in ('failed', 'kept') and l.line > coalesce(p_after, 0)
  where i.id = p_import_id
    and (i.created_by = auth.uid() or private.has_permission(i.org_id, 'core.imports.read', 'org'))
    and i.org_id not in (select private.mfa_blocked_org_ids())
  order by l.line
  limit least(greatest(p_limit, 1), 5000)
$$;
comment on function private.import_report(uuid, integer, integer) is 'The lines of an import that failed (or a revert left alone), with their cells, field and reason, after a line, for who may read the import.';
revoke all on function private.import_report(uuid, integer, integer) from public;
grant execute on function private.import_report(uuid, integer, integer) to authenticated;

create or replace function private.claim_import_work(p_import_id uuid default null)
returns table (id uuid, claims jsonb)
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.imports i set status = 'cancelled', finished_at = now()
  where i.status in ('validating', 'running', 'reverting') and i.acting_user is null;
  return query
  select i.id, i.acting_claims from public.imports i
  where i.status in ('validating', 'running', 'reverting') and (p_import_id is null or i.id = p_import_id)
  order by i.updated_at
  limit 1
  for update skip locked;
end
$$;
comment on function private.claim_import_work(uuid) is 'The job''s claim: one running import no other worker holds (locked until the batch commits, so a crash only loses the batch in flight), with the claims to act with. Imports whose member left are cancelled.';
revoke all on function private.claim_import_work(uuid) from public;

-- Workflows: exports
create or replace function private.open_export(
  p_org_id uuid, p_kind text, p_format public.export_format, p_filter jsonb, p_columns text[], p_view_id uuid, p_delivery text
)
returns public.exports
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_export public.exports;
begin
  perform private.check_member_in(p_org_id, 'export');
  insert into public.exports (org_id, created_by, kind, format, filter, columns, view_id, delivery, status, acting_claims)
  values (p_org_id, auth.uid(), p_kind, p_format, coalesce(p_filter, '{}'), coalesce(p_columns, '{}'), p_view_id, p_delivery,
          case when p_delivery = 'storage' then 'queued' else 'running' end, private.acting_claims())
  returning * into v_export;
  return v_export;
end
$$;
comment on function private.open_export(uuid, text, public.export_format, jsonb, text[], uuid, text) is 'Records an export a member makes (the audited export event): streamed now, or queued for the job that writes it to Storage.';
revoke all on function private.open_export(uuid, text, public.export_format, jsonb, text[], uuid, text) from public;
grant execute on function private.open_export(uuid, text, public.export_format, jsonb, text[], uuid, text) to authenticated;

create or replace function private.finish_export(
  p_export_id uuid, p_rows integer, p_bytes bigint, p_error text default null, p_storage_path text default null, p_link text default null
)
returns public.exports
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_export public.exports;
begin
  update public.exports
  set status = case when p_error is null then 'completed' else 'failed' end, row_count = p_rows, byte_size = p_bytes,
      error = left(p_error, 500), storage_path = p_storage_path, finished_at = now()
  where id = p_export_id and created_by = auth.uid() and status in ('queued', 'running')
  returning * into v_export;
  if v_export.id is null then
    raise exception 'Cannot finish export %: it is not running as you', p_export_id using errcode = 'P0002';
  end if;
  if v_export.delivery = 'storage' then
    perform private.notify(
      p_user_id => v_export.created_by, p_type => 'core.export_ready',
      p_title => case when p_error is null then format('Your export of %s records (%s) is ready', p_rows, v_export.kind)
                      else format('Your export of %s failed', v_export.kind) end,
      p_body => case when p_error is null then 'The link works for 24 hours; the export page gives a new one.' else left(p_error, 500) end,
      p_link => p_link, p_data => jsonb_build_object('export_id', v_export.id, 'format', v_export.format, 'rows', p_rows),
      p_org_id => v_export.org_id);
  end if;
  return v_export;
end
$$;
comment on function private.finish_export(uuid, integer, bigint, text, text, text) is 'Closes an export its maker is running: rows and bytes written, or the error; a Storage export notifies its maker (in-app and email) with the signed link, in the same transaction.';
revoke all on function private.finish_export(uuid, integer, bigint, text, text, text) from public;
grant execute on function private.finish_export(uuid, integer, bigint, text, text, text) to authenticated;

create or replace function private.claim_export_work()
returns table (id uuid, claims jsonb)
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.exports e set status = 'failed', error = 'Its maker left the organization', finished_at = now()
  where e.delivery = 'storage' and e.status in ('queued', 'running') and e.created_by is null;
  return query
  update public.exports e set status = 'running'
  where e.id = (
    select x.id from public.exports x
    where x.delivery = 'storage' and x.status in ('queued', 'running')
    order by x.created_at limit 1 for update skip locked)
  returning e.id, e.acting_claims;
end
$$;
comment on function private.claim_export_work() is 'The export job''s claim: one queued export to Storage no other worker holds (locked until its file is written and announced; a crash leaves it queued for the next run).';
revoke all on function private.claim_export_work() from public;

create or replace function private.purge_import_lines()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_count integer;
begin
  delete from private.import_lines l using public.imports i
  where i.id = l.import_id and coalesce(i.reverted_at, i.finished_at, i.created_at) < now() - interval '30 days'
    and i.status in ('staged', 'validated', 'completed', 'cancelled', 'reverted');
  get diagnostics v_count = row_count;
  return v_count;
end
$$;
comment on function private.purge_import_lines() is 'Removes the staged lines of imports finished (or abandoned) more than 30 days ago: the import''s record and counts stay, it can no longer be reverted. Run daily by pg_cron.';
revoke all on function private.purge_import_lines() from public;

-- Cron
select cron.schedule('groundwork-purge-import-lines', '53 3 * * *', 'select private.purge_import_lines()');
select private.schedule_function('groundwork-imports-work', '* * * * *', 'imports/work');
select private.schedule_function('groundwork-exports-work', '* * * * *', 'exports/work');
