-- Platform stand-in, part 6: what supautils allows postgres on Supabase's own schemas, and no more.
-- On a hosted project postgres owns nothing in auth and storage; supautils' policy_grants lets it
-- create, alter and drop policies on the storage tables, and grants give it DML and triggers on
-- auth.users. Here postgres is a member of supabase_storage_admin (PostgreSQL lets only an owner
-- manage policies), so this event trigger refuses any other DDL postgres runs there: a migration
-- that would need more than the platform gives fails natively too.

create or replace function extensions.groundwork_platform_ddl_guard() returns event_trigger
language plpgsql
as $$
declare
  v_command record;
begin
  if current_user <> 'postgres' then
    return;
  end if;
  for v_command in select * from pg_event_trigger_ddl_commands() loop
    if v_command.schema_name in ('auth', 'storage') and not (
      -- supautils policy_grants: policies on the storage tables
      (v_command.command_tag in ('CREATE POLICY', 'ALTER POLICY') and v_command.object_identity ~ ' on storage\.(objects|buckets)$')
      -- the TRIGGER privilege Supabase grants on auth.users
      or (v_command.command_tag = 'CREATE TRIGGER' and v_command.object_identity ~ ' on auth\.users$')
    ) then
      raise exception 'supautils: % on % is not allowed for postgres on Supabase', v_command.command_tag, v_command.object_identity
        using errcode = '42501';
    end if;
  end loop;
end
$$;
comment on function extensions.groundwork_platform_ddl_guard() is 'Native stand-in for supautils: postgres may manage policies on storage.objects/buckets and add triggers on auth.users, and no other DDL in auth or storage.';

drop event trigger if exists groundwork_platform_ddl_guard;
create event trigger groundwork_platform_ddl_guard on ddl_command_end execute function extensions.groundwork_platform_ddl_guard();
