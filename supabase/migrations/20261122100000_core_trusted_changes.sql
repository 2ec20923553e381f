-- Core hardening, part 1: guards that cannot be switched off by the caller, and who may grant a role.
--
-- Purpose: the invariant triggers on roles, grants, members, contract statuses and the audit log
--   used to step aside when a transaction-local setting (groundwork.system_change,
--   groundwork.compliance_workflow, audit.retention_sweep) was 'on' — a setting any SQL session,
--   an API caller included, can set with set_config. They now trust only a mark that a security
--   definer function writes into a private table for the duration of its own work: the caller
--   can neither write that table nor call the functions that do.
-- Tables: private.trusted_changes.
-- Rule: whoever assigns a role (invite, change of role, new member) holds every permission of
--   that role at least as far as the role does (rank alone is not enough: legal and hr share a
--   rank, and only legal approves contracts).

-- ---------------------------------------------------------------------------------------------
-- Trusted changes: a mark only definer code can write
-- ---------------------------------------------------------------------------------------------

create table private.trusted_changes (
  xact xid8 not null,
  kind text not null,
  depth integer not null default 1,
  primary key (xact, kind),
  constraint trusted_changes_depth_positive check (depth >= 1)
);
comment on table private.trusted_changes is 'Marks that the current transaction is inside a trusted (security definer) path of the given kind. Written and removed only by private.begin_trusted / private.end_trusted; a rolled-back path leaves no mark. No API role can read or write it.';
comment on column private.trusted_changes.xact is 'The top-level transaction the mark belongs to (pg_current_xact_id()).';
comment on column private.trusted_changes.depth is 'Nesting depth: a trusted path that calls another of the same kind keeps the mark until the outermost ends.';
alter table private.trusted_changes enable row level security;
revoke all on private.trusted_changes from public, anon, authenticated, service_role;

create or replace function private.begin_trusted(p_kind text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.trusted_changes as t (xact, kind) values (pg_catalog.pg_current_xact_id(), p_kind)
  on conflict (xact, kind) do update set depth = t.depth + 1;
end
$$;
comment on function private.begin_trusted(text) is 'Marks the current transaction as inside a trusted path of this kind until private.end_trusted. Callable only by the definer functions that own such a path.';
revoke all on function private.begin_trusted(text) from public;

create or replace function private.end_trusted(p_kind text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from private.trusted_changes
  where xact = pg_catalog.pg_current_xact_id() and kind = p_kind and depth = 1;
  if not found then
    update private.trusted_changes set depth = depth - 1
    where xact = pg_catalog.pg_current_xact_id() and kind = p_kind;
  end if;
end
$$;
comment on function private.end_trusted(text) is 'Ends the trusted path begun by private.begin_trusted (the outermost end removes the mark).';
revoke all on function private.end_trusted(text) from public;

create or replace function private.is_trusted(p_kind text)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_xact xid8 := pg_catalog.pg_current_xact_id_if_assigned();
begin
  return v_xact is not null
    and exists (select 1 from private.trusted_changes where xact = v_xact and kind = p_kind);
end
$$;
comment on function private.is_trusted(text) is 'Whether the current transaction is inside a trusted path of this kind. Guards call this instead of reading a setting the caller could set.';
revoke all on function private.is_trusted(text) from public;

-- ---------------------------------------------------------------------------------------------
-- Who may grant a role: every permission of the role, at least as far
-- ---------------------------------------------------------------------------------------------

create or replace function private.role_permissions_beyond_caller(p_org_id uuid, p_role_id uuid)
returns text[]
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return coalesce((
    select array_agg(rp.permission || ' (' || rp.scope::text || ')' order by rp.permission)
    from public.role_permissions rp
    where rp.role_id = p_role_id
      and not exists (
        select 1 from private.access a
        where a.user_id = auth.uid() and a.org_id = p_org_id and a.permission = rp.permission and a.scope >= rp.scope
      )
  ), '{}');
end
$$;
comment on function private.role_permissions_beyond_caller(uuid, uuid) is 'The permissions (with scope) of a role that the current user does not hold that far in the organization; empty when they may grant the role.';
revoke all on function private.role_permissions_beyond_caller(uuid, uuid) from public;
grant execute on function private.role_permissions_beyond_caller(uuid, uuid) to authenticated, service_role;

create or replace function private.assert_holds_role_permissions(p_org_id uuid, p_role_id uuid, p_action text)
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_missing text[] := private.role_permissions_beyond_caller(p_org_id, p_role_id);
begin
  if cardinality(v_missing) > 0 then
    raise exception 'Cannot %: role % holds permissions you do not hold yourself: %', p_action,
      (select key from public.roles where id = p_role_id), array_to_string(v_missing, ', ')
      using errcode = '42501';
  end if;
end
$$;
comment on function private.assert_holds_role_permissions(uuid, uuid, text) is 'Refuses (42501, naming what is missing) unless the current user holds each permission of the role at least at its scope.';
revoke all on function private.assert_holds_role_permissions(uuid, uuid, text) from public;
grant execute on function private.assert_holds_role_permissions(uuid, uuid, text) to authenticated, service_role;

create or replace function private.assert_may_grant_role(p_org_id uuid, p_role_id uuid, p_action text)
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_role public.roles;
  v_rank integer;
begin
  select * into v_role from public.roles where id = p_role_id and org_id = p_org_id;
  if v_role.id is null then
    raise exception 'Cannot %: role % is not a role of this organization', p_action, p_role_id using errcode = '22023';
  end if;
  v_rank := coalesce(private.role_rank(p_org_id), 0);
  if v_role.rank > v_rank then
    raise exception 'Cannot % as %: the role ranks above your own', p_action, v_role.key using errcode = '42501';
  end if;
  perform private.assert_holds_role_permissions(p_org_id, p_role_id, p_action);
end
$$;
comment on function private.assert_may_grant_role(uuid, uuid, text) is 'Refuses (42501) unless the current user may give this role: it ranks no higher than theirs and they hold each of its permissions at least at its scope.';
revoke all on function private.assert_may_grant_role(uuid, uuid, text) from public;
grant execute on function private.assert_may_grant_role(uuid, uuid, text) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- The guards, now trusting only the mark
-- ---------------------------------------------------------------------------------------------

create or replace function private.install_system_roles(p_org_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- System roles and their grants may only change here.
  perform private.begin_trusted('core.roles');
  insert into public.roles (org_id, key, name, description, rank, is_system)
  select p_org_id, t.key, t.name, t.description, t.rank, true from private.system_roles t
  on conflict (org_id, key) do update
    set name = excluded.name, description = excluded.description, rank = excluded.rank, is_system = true;
  -- Grants follow the templates exactly: added, rescoped, withdrawn.
  delete from public.role_permissions rp
  using public.roles r
  where r.id = rp.role_id and r.org_id = p_org_id and r.is_system
    and not exists (select 1 from private.system_role_grants g where g.role_key = r.key and g.permission = rp.permission);
  insert into public.role_permissions (role_id, permission, scope, org_id)
  select r.id, g.permission, g.scope, p_org_id
  from private.system_role_grants g join public.roles r on r.key = g.role_key and r.org_id = p_org_id
  on conflict (role_id, permission) do update set scope = excluded.scope
    where public.role_permissions.scope is distinct from excluded.scope;
  perform private.end_trusted('core.roles');
end
$$;
comment on function private.install_system_roles(uuid) is 'Creates or updates an organization''s system roles and their grants from the templates. Called on creation and by module migrations for every organization.';
revoke all on function private.install_system_roles(uuid) from public;

create or replace function private.handle_new_organization()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.install_system_roles(new.id);
  if new.created_by is not null then
    perform private.begin_trusted('core.members');
    insert into public.members (org_id, user_id, role_id)
    select new.id, new.created_by, r.id from public.roles r where r.org_id = new.id and r.key = 'owner';
    perform private.end_trusted('core.members');
  end if;
  return null;
end
$$;
comment on function private.handle_new_organization() is 'Installs the system roles of a new organization and makes its creator the owner, in the same transaction.';
revoke all on function private.handle_new_organization() from public;

create or replace function private.check_role_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_rank integer;
  v_row public.roles := coalesce(new, old);
begin
  if private.is_trusted('core.roles') then
    return coalesce(new, old);
  end if;
  if tg_op = 'DELETE' and not exists (select 1 from public.organizations where id = old.org_id) then
    return old; -- the organization itself is being deleted
  end if;
  if (tg_op = 'DELETE' and old.is_system) or (tg_op = 'UPDATE' and old.is_system and
      (new.key <> old.key or new.rank <> old.rank or not new.is_system)) then
    raise exception 'Cannot % the system role %: system roles are fixed', lower(tg_op), v_row.key using errcode = '42501';
  end if;
  if tg_op = 'INSERT' and new.is_system then
    raise exception 'Cannot create role %: only templates make system roles', new.key using errcode = '42501';
  end if;
  if (select auth.uid()) is not null then
    v_rank := coalesce(private.role_rank(v_row.org_id), 0);
    if tg_op <> 'INSERT' and old.rank > v_rank then
      raise exception 'Cannot change role %: it ranks above your own (%)', old.key, v_rank using errcode = '42501';
    end if;
    if tg_op = 'INSERT' and new.rank > v_rank then
      raise exception 'Cannot give role % rank %: it is above your own (%)', new.key, new.rank, v_rank using errcode = '42501';
    end if;
    if tg_op = 'UPDATE' and new.rank <> old.rank and new.rank > v_rank then
      raise exception 'Cannot raise role % to rank %: it is above your own (%)', new.key, new.rank, v_rank using errcode = '42501';
    end if;
  end if;
  return coalesce(new, old);
end
$$;
comment on function private.check_role_change() is 'Keeps system roles fixed and stops anyone creating, raising or changing a role ranked above their own. Steps aside only inside a trusted path (private.is_trusted), never for a setting.';

create or replace function private.check_role_permission_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_role public.roles;
  v_row public.role_permissions := coalesce(new, old);
begin
  if tg_op = 'INSERT' then
    select * into v_role from public.roles where id = new.role_id;
    new.org_id := v_role.org_id;
  else
    select * into v_role from public.roles where id = v_row.role_id;
  end if;
  if private.is_trusted('core.roles') or v_role.id is null then
    return coalesce(new, old);
  end if;
  if v_role.is_system then
    raise exception 'Cannot change the permissions of system role %: system roles are fixed', v_role.key using errcode = '42501';
  end if;
  if (select auth.uid()) is not null then
    if coalesce(private.role_rank(v_role.org_id), 0) < v_role.rank then
      raise exception 'Cannot change role %: it ranks above your own', v_role.key using errcode = '42501';
    end if;
    if tg_op <> 'DELETE' and not private.has_permission(v_role.org_id, new.permission, new.scope) then
      raise exception 'Cannot grant % at scope %: you do not hold it that far yourself', new.permission, new.scope using errcode = '42501';
    end if;
  end if;
  return coalesce(new, old);
end
$$;
comment on function private.check_role_permission_change() is 'Copies the organization from the role, keeps system grants fixed, and refuses grants wider than the granter''s own. Steps aside only inside a trusted path.';

create or replace function private.check_member_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_org_id uuid := coalesce(new.org_id, old.org_id);
  v_actor uuid := (select auth.uid());
  v_rank integer;
  v_old_rank integer;
  v_new_rank integer;
  v_owner_role uuid;
  v_losing_owner boolean;
begin
  if private.is_trusted('core.members') then
    return coalesce(new, old);
  end if;
  perform 1 from public.organizations where id = v_org_id for update;
  if not found then
    return coalesce(new, old); -- the organization itself is being deleted
  end if;
  if tg_op = 'UPDATE' and new.user_id <> old.user_id then
    raise exception 'Cannot move a membership to another user' using errcode = '42501';
  end if;
  if tg_op = 'UPDATE' then
    new.suspended_at := case when new.status = 'suspended' then coalesce(old.suspended_at, pg_catalog.now()) end;
  end if;

  if v_actor is not null then
    v_rank := coalesce(private.role_rank(v_org_id), 0);
    if tg_op <> 'INSERT' and old.user_id <> v_actor then
      select rank into v_old_rank from public.roles where id = old.role_id;
      if v_old_rank > v_rank then
        raise exception 'Cannot change a member whose role ranks above your own' using errcode = '42501';
      end if;
    end if;
    if tg_op <> 'DELETE' and (tg_op = 'INSERT' or new.role_id <> old.role_id) then
      select rank into v_new_rank from public.roles where id = new.role_id and org_id = v_org_id;
      if v_new_rank > v_rank then
        raise exception 'Cannot assign a role ranked above your own' using errcode = '42501';
      end if;
      if v_new_rank is not null then
        perform private.assert_holds_role_permissions(v_org_id, new.role_id, 'assign a role');
      end if;
    end if;
  end if;

  select id into v_owner_role from public.roles where org_id = v_org_id and key = 'owner';
  v_losing_owner := tg_op <> 'INSERT' and old.role_id = v_owner_role and old.status = 'active'
    and (tg_op = 'DELETE' or new.role_id <> v_owner_role or new.status <> 'active');
  if v_losing_owner and not exists (
    select 1 from public.members
    where org_id = v_org_id and role_id = v_owner_role and status = 'active' and id <> old.id
  ) then
    raise exception 'Cannot % the last owner of the organization: make someone else owner first',
      case when tg_op = 'DELETE' then 'remove' when new.status <> 'active' then 'suspend' else 'demote' end
      using errcode = '42501';
  end if;
  return coalesce(new, old);
end
$$;
comment on function private.check_member_change() is 'Keeps an active owner in every organization, stops anyone changing a member who outranks them, and lets a role be assigned only by someone who holds all of its permissions. Steps aside only inside a trusted path.';

create or replace function private.invite_member(
  p_org_id uuid, p_email text, p_role_id uuid, p_department_id uuid, p_token text, p_accept_url text, p_locale text default 'en'
)
returns public.invitations
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_email text := lower(btrim(p_email));
  v_invitation public.invitations;
begin
  if not private.has_permission(p_org_id, 'core.members.invite', 'org') then
    raise exception 'Cannot invite: you need core.members.invite in this organization' using errcode = '42501';
  end if;
  if p_org_id in (select private.mfa_blocked_org_ids()) then
    raise exception 'Cannot invite: this organization requires MFA (aal2)' using errcode = '42501';
  end if;
  perform private.enforce_rate_limit('invite:user:' || auth.uid(), 30, interval '1 hour', 'invite more people');
  perform private.enforce_rate_limit('invite:org:' || p_org_id, 50, interval '1 hour', 'invite more people to this organization');
  perform private.assert_may_grant_role(p_org_id, p_role_id, 'invite');
  if p_department_id is not null and not exists (
    select 1 from public.departments where id = p_department_id and org_id = p_org_id and archived_at is null
  ) then
    raise exception 'Cannot invite: department % is not an active department of this organization', p_department_id using errcode = '22023';
  end if;
  if exists (
    select 1 from public.members m join auth.users u on u.id = m.user_id where m.org_id = p_org_id and lower(u.email) = v_email
  ) then
    raise exception 'Cannot invite %: they are already a member', v_email using errcode = 'GW409';
  end if;
  if exists (select 1 from public.invitations where org_id = p_org_id and email = v_email and status = 'pending') then
    raise exception 'Cannot invite %: an invitation is already pending; resend or revoke it', v_email using errcode = 'GW409';
  end if;
  insert into public.invitations (org_id, email, role_id, department_id, token_hash, expires_at, invited_by)
  select p_org_id, v_email, p_role_id, p_department_id, private.token_hash(p_token),
         private.now() + make_interval(hours => o.invitation_ttl_hours), auth.uid()
  from public.organizations o where o.id = p_org_id
  returning * into v_invitation;
  perform private.send_invitation_email(v_invitation, p_token, p_accept_url, p_locale);
  return v_invitation;
end
$$;
comment on function private.invite_member(uuid, text, uuid, uuid, text, text, text) is 'Invites an email address with a role (core.members.invite; only a role whose every permission the inviter holds; rate limited), and enqueues the email.';
revoke all on function private.invite_member(uuid, text, uuid, uuid, text, text, text) from public;
grant execute on function private.invite_member(uuid, text, uuid, uuid, text, text, text) to authenticated;

create or replace function private.resend_invitation(p_invitation_id uuid, p_token text, p_accept_url text, p_locale text default 'en')
returns public.invitations
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_invitation public.invitations := private.managed_invitation(p_invitation_id, 'resend');
begin
  if v_invitation.resent_count >= 5 then
    raise exception 'Cannot resend invitation: it was resent 5 times already; revoke it and invite again' using errcode = 'GW409';
  end if;
  perform private.enforce_rate_limit('invite:user:' || auth.uid(), 30, interval '1 hour', 'send more invitations');
  perform private.enforce_rate_limit('invite:org:' || v_invitation.org_id, 50, interval '1 hour', 'send more invitations for this organization');
  perform private.assert_may_grant_role(v_invitation.org_id, v_invitation.role_id, 'resend an invitation');
  update public.invitations i
  set status = 'pending', token_hash = private.token_hash(p_token), resent_count = i.resent_count + 1, last_sent_at = pg_catalog.now(),
      expires_at = private.now() + make_interval(hours => (select invitation_ttl_hours from public.organizations where id = i.org_id))
  where i.id = v_invitation.id
  returning * into v_invitation;
  perform private.send_invitation_email(v_invitation, p_token, p_accept_url, p_locale);
  return v_invitation;
end
$$;
comment on function private.resend_invitation(uuid, text, text, text) is 'Sends a pending (or expired) invitation again with a new token; the old token dies. At most 5 times; rate limited; only by someone who may still grant its role.';
revoke all on function private.resend_invitation(uuid, text, text, text) from public;
grant execute on function private.resend_invitation(uuid, text, text, text) to authenticated;

create or replace function private.accept_invitation(p_token text)
returns public.members
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_invitation public.invitations;
  v_email text := private.verified_email();
  v_member public.members;
begin
  if auth.uid() is null then
    raise exception 'Cannot accept invitation: sign in first' using errcode = '42501';
  end if;
  if v_email is null then
    raise exception 'Cannot accept invitation: confirm your email address first' using errcode = '42501';
  end if;
  v_invitation := private.invitation_for_token(p_token, 'accept');
  if v_invitation.email <> v_email then
    raise exception 'Cannot accept invitation: it was sent to another address' using errcode = '42501';
  end if;
  if exists (select 1 from public.members where org_id = v_invitation.org_id and user_id = auth.uid()) then
    raise exception 'Cannot accept invitation: you are already a member of this organization' using errcode = 'GW409';
  end if;
  -- The inviter's right to grant the role was checked when inviting; the invitee joins with it.
  perform private.begin_trusted('core.members');
  insert into public.members (org_id, user_id, role_id, department_id)
  values (v_invitation.org_id, auth.uid(), v_invitation.role_id, v_invitation.department_id)
  returning * into v_member;
  perform private.end_trusted('core.members');
  update public.invitations set status = 'accepted', responded_at = pg_catalog.now(), accepted_by = auth.uid()
  where id = v_invitation.id;
  return v_member;
end
$$;
comment on function private.accept_invitation(text) is 'Joins the organization with the invited role: only the signed-in user whose confirmed email was invited, once, before expiry.';
revoke all on function private.accept_invitation(text) from public;
grant execute on function private.accept_invitation(text) to authenticated;

create or replace function public.change_member_role(p_member_id uuid, p_role_id uuid)
returns public.members
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_member public.members := private.member_for_update(p_member_id, 'change the role of');
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

-- The audit log's retention sweep marks itself the same way, and so does an account's erasure
-- (20261122110000_core_accounts), the one update the log accepts: actor and personal fields only.
create or replace function audit.guard_log()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'TRUNCATE' then
    raise exception 'Cannot truncate the audit log: it is append-only' using errcode = '42501';
  end if;
  if tg_op = 'DELETE' and private.is_trusted('audit.retention') then
    return old;
  end if;
  if tg_op = 'UPDATE' and private.is_trusted('audit.erasure')
     and (new.id, new.occurred_at, new.org_id, new.table_schema, new.table_name, new.operation, new.record_id, new.actor_role, new.txid)
         is not distinct from (old.id, old.occurred_at, old.org_id, old.table_schema, old.table_name, old.operation, old.record_id, old.actor_role, old.txid) then
    return new;
  end if;
  raise exception 'Cannot % the audit log: it is append-only', lower(tg_op) using errcode = '42501';
end
$$;
comment on function audit.guard_log() is 'Refuses updates, deletes and truncation of audit.log, except the retention sweep''s deletes and an account erasure''s pseudonymisation (actor and personal fields only), each inside its trusted path.';
revoke all on function audit.guard_log() from public;

create or replace function audit.purge_expired(p_batch_size integer default 10000)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_deleted bigint := 0;
  v_batch bigint;
begin
  perform private.begin_trusted('audit.retention');
  loop
    with doomed as (
      select l.id
      from audit.log l
      join public.organizations o on o.id = l.org_id
      where l.occurred_at < private.now() - make_interval(days => o.audit_retention_days)
      limit p_batch_size
    )
    delete from audit.log l using doomed where l.id = doomed.id;
    get diagnostics v_batch = row_count;
    v_deleted := v_deleted + v_batch;
    exit when v_batch < p_batch_size;
  end loop;
  perform private.end_trusted('audit.retention');
  return v_deleted;
end
$$;
comment on function audit.purge_expired(integer) is 'Deletes audit entries older than their organization''s retention, in batches; run daily by pg_cron. Entries of deleted organizations are kept.';
revoke all on function audit.purge_expired(integer) from public;
