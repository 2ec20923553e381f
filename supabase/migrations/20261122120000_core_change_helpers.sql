-- Core: one name for the helpers that load the row a workflow changes, <entity>_for_change
-- (bookings already had private.booking_for_change). private.member_for_update becomes
-- private.member_for_change, and the member workflows call it; behaviour is unchanged.
-- Tables: none. Permissions: none.

-- Helpers
create or replace function private.member_for_change(p_member_id uuid, p_action text)
returns public.members
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_member public.members;
begin
  select * into v_member from public.members where id = p_member_id;
  if v_member.id is null then
    raise exception 'Cannot % member %: no such member in your organizations', p_action, p_member_id using errcode = 'P0002';
  end if;
  if not private.has_permission(v_member.org_id, 'core.members.manage', 'org') then
    raise exception 'Cannot % member: you need core.members.manage in this organization', p_action using errcode = '42501';
  end if;
  return v_member;
end
$$;
comment on function private.member_for_change(uuid, text) is 'The member a workflow acts on, when the caller can see it and holds core.members.manage; otherwise a clear error.';
revoke all on function private.member_for_change(uuid, text) from public, anon;
grant execute on function private.member_for_change(uuid, text) to authenticated;

-- Workflows
create or replace function public.change_member_role(p_member_id uuid, p_role_id uuid)
returns public.members
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_member public.members := private.member_for_change(p_member_id => p_member_id, p_action => 'change the role of');
begin
  if not exists (select 1 from public.roles where id = p_role_id and org_id = v_member.org_id) then
    raise exception 'Cannot change role: role % is not a role of this organization', p_role_id using errcode = '22023';
  end if;
  -- The member guard refuses a role ranked above the caller's or holding permissions they lack.
  update public.members set role_id = p_role_id where id = p_member_id returning * into v_member;
  return v_member;
end
$$;
comment on function public.change_member_role(uuid, uuid) is 'Gives a member another role of the same organization (core.members.manage; only a role whose every permission you hold; never the last owner).';
revoke all on function public.change_member_role(uuid, uuid) from public, anon;
grant execute on function public.change_member_role(uuid, uuid) to authenticated;

create or replace function public.change_member_department(p_member_id uuid, p_department_id uuid)
returns public.members
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_member public.members := private.member_for_change(p_member_id => p_member_id, p_action => 'move');
begin
  if p_department_id is not null and not exists (
    select 1 from public.departments where id = p_department_id and org_id = v_member.org_id and archived_at is null
  ) then
    raise exception 'Cannot move member: department % is not an active department of this organization', p_department_id using errcode = '22023';
  end if;
  update public.members set department_id = p_department_id where id = p_member_id returning * into v_member;
  return v_member;
end
$$;
comment on function public.change_member_department(uuid, uuid) is 'Moves a member to a department of the same organization, or to none (core.members.manage).';
revoke all on function public.change_member_department(uuid, uuid) from public, anon;
grant execute on function public.change_member_department(uuid, uuid) to authenticated;

create or replace function public.suspend_member(p_member_id uuid)
returns public.members
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_member public.members := private.member_for_change(p_member_id => p_member_id, p_action => 'suspend');
begin
  update public.members set status = 'suspended' where id = p_member_id returning * into v_member;
  return v_member;
end
$$;
comment on function public.suspend_member(uuid) is 'Suspends a member: they lose all access at their next request (core.members.manage; never the last owner).';
revoke all on function public.suspend_member(uuid) from public, anon;
grant execute on function public.suspend_member(uuid) to authenticated;

create or replace function public.reactivate_member(p_member_id uuid)
returns public.members
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_member public.members := private.member_for_change(p_member_id => p_member_id, p_action => 'reactivate');
begin
  update public.members set status = 'active' where id = p_member_id returning * into v_member;
  return v_member;
end
$$;
comment on function public.reactivate_member(uuid) is 'Gives a suspended member their access back (core.members.manage).';
revoke all on function public.reactivate_member(uuid) from public, anon;
grant execute on function public.reactivate_member(uuid) to authenticated;

drop function private.member_for_update(uuid, text);
