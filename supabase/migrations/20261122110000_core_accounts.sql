-- Core accounts: admins correct a member's name and department; a user deletes their own account,
-- and their personal data is erased or pseudonymised while the audit trail is kept.
--
-- Tables: none new.
-- Permissions: core.members.manage (existing) lets an admin update a member's display name and
--   department (never someone who outranks them).
-- Erasure (private.erase_user_data, a BEFORE DELETE trigger on auth.users): runs for the
--   self-service RPC and for Supabase Auth's admin deleteUser alike. The audit trail keeps every
--   entry, with the user's id replaced by one tombstone id and the personal fields of their profile
--   scrubbed; attendee rows, invitations and queued mail to their address are pseudonymised or
--   removed; profile, memberships, notifications, preferences and feeds go with the account.
--   A last owner cannot be deleted: 409, "make someone else owner first".

-- ---------------------------------------------------------------------------------------------
-- An admin corrects a member's profile
-- ---------------------------------------------------------------------------------------------

create or replace function private.update_member_profile(p_member_id uuid, p_display_name text, p_department_id uuid)
returns public.members
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_member public.members;
  v_rank integer;
  v_target_rank integer;
begin
  select * into v_member from public.members where id = p_member_id for update;
  if v_member.id is null or v_member.org_id in (select private.mfa_blocked_org_ids())
     or not private.has_permission(v_member.org_id, 'core.members.manage', 'org') then
    raise exception 'Cannot update member %: no such member you may manage', p_member_id using errcode = 'P0002';
  end if;
  v_rank := coalesce(private.role_rank(v_member.org_id), 0);
  select rank into v_target_rank from public.roles where id = v_member.role_id;
  if v_member.user_id <> auth.uid() and v_target_rank > v_rank then
    raise exception 'Cannot update a member whose role ranks above your own' using errcode = '42501';
  end if;
  if p_display_name is not null then
    if char_length(btrim(p_display_name)) not between 1 and 200 then
      raise exception 'Cannot rename member: a display name has 1 to 200 characters' using errcode = '22023';
    end if;
    update public.profiles set display_name = btrim(p_display_name) where id = v_member.user_id;
  end if;
  if p_department_id is distinct from v_member.department_id then
    if p_department_id is not null and not exists (
      select 1 from public.departments where id = p_department_id and org_id = v_member.org_id and archived_at is null
    ) then
      raise exception 'Cannot move member: department % is not an active department of this organization', p_department_id using errcode = '22023';
    end if;
    update public.members set department_id = p_department_id where id = p_member_id returning * into v_member;
  end if;
  return v_member;
end
$$;
comment on function private.update_member_profile(uuid, text, uuid) is 'Sets a member''s display name (when given) and department (core.members.manage in their organization; never a member who outranks the caller).';
revoke all on function private.update_member_profile(uuid, text, uuid) from public;
grant execute on function private.update_member_profile(uuid, text, uuid) to authenticated;

create or replace function public.update_member_profile(p_member_id uuid, p_display_name text default null, p_department_id uuid default null)
returns public.members
language sql
security invoker
set search_path = ''
as $$ select * from private.update_member_profile(p_member_id, p_display_name, p_department_id) $$;
comment on function public.update_member_profile(uuid, text, uuid) is 'Admins (core.members.manage) correct a member''s display name and department; pass null to keep the name.';
revoke all on function public.update_member_profile(uuid, text, uuid) from public, anon;
grant execute on function public.update_member_profile(uuid, text, uuid) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Deleting an account: last owners first, then erasure
-- ---------------------------------------------------------------------------------------------

-- Organizations where the user is the only active owner (they must hand over first).
create or replace function private.sole_owner_org_names(p_user_id uuid)
returns text[]
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return coalesce((
    select array_agg(o.name order by o.name)
    from public.members m
    join public.roles r on r.id = m.role_id and r.key = 'owner'
    join public.organizations o on o.id = m.org_id
    where m.user_id = p_user_id and m.status = 'active'
      and not exists (select 1 from public.members x where x.org_id = m.org_id and x.role_id = m.role_id and x.status = 'active' and x.user_id <> p_user_id)
  ), '{}');
end
$$;
comment on function private.sole_owner_org_names(uuid) is 'Names of the organizations in which the user is the only active owner.';
revoke all on function private.sole_owner_org_names(uuid) from public;

create or replace function private.erase_user_data()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_sole text[] := private.sole_owner_org_names(old.id);
  v_address text := format('erased-%s@erased.invalid', gen_random_uuid());
  v_tombstone uuid := gen_random_uuid();
begin
  if cardinality(v_sole) > 0 then
    raise exception 'Cannot delete the account of %: they are the last owner of %; make someone else owner first (transfer_ownership) or delete the organization',
      coalesce(old.email, old.id::text), array_to_string(v_sole, ', ')
      using errcode = 'GW409', detail = json_build_object('organizations', v_sole)::text;
  end if;
  -- Rows that outlive the account lose the address and name.
  update public.booking_attendees set email = v_address, name = '' where user_id = old.id or email = lower(old.email);
  update public.invitations set email = v_address where email = lower(old.email) and status <> 'pending';
  update public.invitations set status = 'revoked', responded_at = pg_catalog.now(), email = v_address
  where email = lower(old.email) and status = 'pending';
  delete from private.email_outbox where recipient = lower(old.email);
  -- What belongs to the account goes now (not by cascade later), so its audit entries are written
  -- before the trail is pseudonymised below. Memberships go through the trusted path (the
  -- last-owner check above already passed); columns naming them as a member are cleared by that.
  delete from public.notifications where user_id = old.id;
  delete from public.notification_preferences where user_id = old.id;
  delete from public.calendar_feeds where user_id = old.id;
  perform private.begin_trusted('core.members');
  delete from public.members where user_id = old.id;
  perform private.end_trusted('core.members');
  delete from public.profiles where id = old.id;
  -- The trail keeps every entry; who did what becomes one tombstone id, and the profile's personal
  -- fields are removed from its history.
  perform private.begin_trusted('audit.erasure');
  update audit.log set actor_id = v_tombstone where actor_id = old.id;
  update audit.log
  set old_record = case when old_record is null then null else old_record - array['email', 'display_name', 'avatar_path'] end,
      new_record = case when new_record is null then null else new_record - array['email', 'display_name', 'avatar_path'] end
  where table_schema = 'public' and table_name = 'profiles' and record_id = old.id::text;
  perform private.end_trusted('audit.erasure');
  return old;
end
$$;
comment on function private.erase_user_data() is 'Before an auth user is deleted (self-service or Auth''s admin API): refuses a last owner (409); pseudonymises attendee rows and invitations; removes queued mail, notifications, preferences, feeds, memberships and the profile; then keeps the audit trail with one tombstone id for the user and without their profile''s personal fields.';
revoke all on function private.erase_user_data() from public;

create trigger erase_user_data before delete on auth.users
  for each row execute function private.erase_user_data();

create or replace function private.delete_my_account()
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user uuid := auth.uid();
begin
  if v_user is null then
    raise exception 'Cannot delete an account: sign in first' using errcode = '42501';
  end if;
  delete from auth.users where id = v_user;
end
$$;
comment on function private.delete_my_account() is 'Deletes the caller''s account: personal data erased or pseudonymised, the audit trail kept under a tombstone id. 409 for the last owner of an organization.';
revoke all on function private.delete_my_account() from public;
grant execute on function private.delete_my_account() to authenticated;

create or replace function public.delete_my_account()
returns void
language sql
security invoker
set search_path = ''
as $$ select private.delete_my_account() $$;
comment on function public.delete_my_account() is 'Deletes your own account (then sign out). A last owner must make someone else owner first (409).';
revoke all on function public.delete_my_account() from public, anon;
grant execute on function public.delete_my_account() to authenticated;
