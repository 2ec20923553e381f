-- Invitations: an admin invites an email address with a role; the invitee accepts with a
-- single-use token (stored only as its SHA-256) and becomes a member in the same transaction.
-- The invitation email goes through the outbox in the transaction that creates the invitation.

alter table public.organizations add column invitation_ttl_hours integer not null default 168
  constraint organizations_invitation_ttl_range check (invitation_ttl_hours between 1 and 720);
comment on column public.organizations.invitation_ttl_hours is 'How long a new or resent invitation stays valid, in hours (default 168: 7 days).';
grant update (invitation_ttl_hours) on public.organizations to authenticated;

create type public.invitation_status as enum ('pending', 'accepted', 'declined', 'revoked', 'expired');
comment on type public.invitation_status is 'pending → accepted | declined | revoked | expired; every other state is final.';

create table public.invitations (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  email text not null,
  role_id uuid not null,
  department_id uuid,
  status public.invitation_status not null default 'pending',
  token_hash text not null unique,
  expires_at timestamptz not null,
  invited_by uuid references auth.users (id) on delete set null,
  resent_count integer not null default 0,
  last_sent_at timestamptz not null default now(),
  responded_at timestamptz,
  accepted_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint invitations_email_format check (email = lower(email) and email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' and char_length(email) <= 320),
  constraint invitations_resent_count_range check (resent_count between 0 and 5),
  constraint invitations_token_hash_format check (token_hash ~ '^[0-9a-f]{64}$'),
  constraint invitations_responded_matches_status check ((status in ('accepted', 'declined', 'revoked')) = (responded_at is not null)),
  constraint invitations_accepted_by_matches_status check ((status = 'accepted') = (accepted_by is not null)),
  constraint invitations_role_fkey foreign key (org_id, role_id) references public.roles (org_id, id) on delete cascade,
  constraint invitations_department_fkey foreign key (org_id, department_id)
    references public.departments (org_id, id) on delete set null (department_id)
);
create unique index invitations_one_pending_per_email on public.invitations (org_id, email) where status = 'pending';
create index invitations_email_idx on public.invitations (email, status);
create index invitations_role_idx on public.invitations (org_id, role_id);
create index invitations_department_idx on public.invitations (org_id, department_id);
create index invitations_invited_by_idx on public.invitations (invited_by);
create index invitations_accepted_by_idx on public.invitations (accepted_by);
create index invitations_expiry_idx on public.invitations (expires_at) where status = 'pending';
comment on table public.invitations is 'Invitations to join an organization with a role. Admins read their organization''s; invitees read those sent to their verified email. Written only through the invitations function.';
comment on column public.invitations.token_hash is 'SHA-256 (hex) of the single-use token in the invitation link; the token itself is never stored.';
comment on column public.invitations.resent_count is 'Each resend issues a new token (the old one dies); at most 5.';

create trigger touch_updated_at before update on public.invitations
  for each row execute function private.touch_updated_at();

alter table public.invitations enable row level security;
revoke all on public.invitations from anon, authenticated;
grant select on public.invitations to authenticated;

-- The current user's email, when Supabase Auth has confirmed it.
create or replace function private.verified_email()
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (select lower(u.email) from auth.users u where u.id = auth.uid() and u.email_confirmed_at is not null);
end
$$;
comment on function private.verified_email() is 'The signed-in user''s email if confirmed, else null. Invitations are matched against it.';
revoke all on function private.verified_email() from public;
grant execute on function private.verified_email() to authenticated;

create policy "Inviters read their organization's invitations and invitees read their own" on public.invitations
  for select to authenticated
  using (org_id in (select private.org_ids_with('core.members.invite')) or email = (select private.verified_email()));
create policy "Organizations requiring MFA demand aal2 to read invitations" on public.invitations
  as restrictive for select to authenticated
  using (email = (select private.verified_email()) or org_id not in (select private.mfa_blocked_org_ids()));

select audit.enable('public.invitations', array['token_hash']);

-- ---------------------------------------------------------------------------------------------
-- Workflow functions: security definer, each checks the caller itself. Called by the
-- invitations edge function inside the caller's transaction.
-- ---------------------------------------------------------------------------------------------

create or replace function private.token_hash(p_token text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
  if p_token is null or char_length(p_token) < 22 or p_token !~ '^[A-Za-z0-9_-]+$' then
    raise exception 'Cannot use the token: it is malformed' using errcode = '22023';
  end if;
  return encode(extensions.digest(p_token, 'sha256'), 'hex');
end
$$;
comment on function private.token_hash(text) is 'SHA-256 (hex) of a secret link token (invitations, calendar feeds); refuses tokens shorter than 128 bits of base64url.';

-- Enqueues the invitation email (the link with its token is redacted from the outbox once sent).
create or replace function private.send_invitation_email(p_invitation public.invitations, p_token text, p_accept_url text, p_locale text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_org public.organizations;
  v_role_name text;
  v_inviter text;
begin
  select * into v_org from public.organizations where id = p_invitation.org_id;
  select name into v_role_name from public.roles where id = p_invitation.role_id;
  select coalesce(nullif(display_name, ''), email) into v_inviter from public.profiles where id = p_invitation.invited_by;
  perform private.enqueue_email(
    'invitation', p_invitation.email,
    jsonb_build_object(
      'org_name', v_org.name, 'inviter_name', coalesce(v_inviter, v_org.name), 'role_name', v_role_name,
      'accept_url', p_accept_url || case when p_accept_url like '%?%' then '&' else '?' end || 'token=' || p_token,
      'expires_at', to_char(p_invitation.expires_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')),
    format('invitation:%s:%s', p_invitation.id, p_invitation.resent_count),
    p_locale, p_invitation.org_id, array['accept_url']);
end
$$;
comment on function private.send_invitation_email(public.invitations, text, text, text) is 'Puts an invitation email in the outbox, one per (invitation, send).';
revoke all on function private.send_invitation_email(public.invitations, text, text, text) from public;

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
  v_rank integer;
  v_role public.roles;
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
  select * into v_role from public.roles where id = p_role_id and org_id = p_org_id;
  if v_role.id is null then
    raise exception 'Cannot invite: role % is not a role of this organization', p_role_id using errcode = '22023';
  end if;
  v_rank := private.role_rank(p_org_id);
  if v_role.rank > coalesce(v_rank, 0) then
    raise exception 'Cannot invite as %: the role ranks above your own', v_role.key using errcode = '42501';
  end if;
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
comment on function private.invite_member(uuid, text, uuid, uuid, text, text, text) is 'Invites an email address with a role (core.members.invite; never above your own rank; rate limited), and enqueues the email.';

-- The pending invitation for a token, locked, or a clear error.
create or replace function private.invitation_for_token(p_token text, p_action text)
returns public.invitations
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_invitation public.invitations;
begin
  select * into v_invitation from public.invitations where token_hash = private.token_hash(p_token) for update;
  if v_invitation.id is null then
    raise exception 'Cannot % invitation: the link is not valid (it may have been replaced by a newer one)', p_action using errcode = 'P0002';
  end if;
  -- Past its expiry a pending invitation is expired (the cron job records it; this refusal changes nothing).
  if v_invitation.status = 'pending' and v_invitation.expires_at <= private.now() then
    v_invitation.status := 'expired';
  end if;
  if v_invitation.status <> 'pending' then
    raise exception 'Cannot % invitation: it has %', p_action,
      case v_invitation.status when 'accepted' then 'already been accepted' when 'declined' then 'been declined'
        when 'revoked' then 'been revoked' else 'expired' end
      using errcode = 'GW410';
  end if;
  return v_invitation;
end
$$;
comment on function private.invitation_for_token(text, text) is 'Finds and locks the pending invitation for a token; 404 when unknown, 410 when it is accepted, declined, revoked or past its expiry.';

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
  -- The inviter's rank was checked when inviting; the invitee joins with the invited role.
  perform set_config('groundwork.system_change', 'on', true);
  insert into public.members (org_id, user_id, role_id, department_id)
  values (v_invitation.org_id, auth.uid(), v_invitation.role_id, v_invitation.department_id)
  returning * into v_member;
  perform set_config('groundwork.system_change', '', true);
  update public.invitations set status = 'accepted', responded_at = pg_catalog.now(), accepted_by = auth.uid()
  where id = v_invitation.id;
  return v_member;
end
$$;
comment on function private.accept_invitation(text) is 'Joins the organization with the invited role: only the signed-in user whose confirmed email was invited, once, before expiry.';

create or replace function private.decline_invitation(p_token text)
returns public.invitations
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_invitation public.invitations := private.invitation_for_token(p_token, 'decline');
begin
  update public.invitations set status = 'declined', responded_at = pg_catalog.now() where id = v_invitation.id
  returning * into v_invitation;
  return v_invitation;
end
$$;
comment on function private.decline_invitation(text) is 'Declines an invitation by its token (the token proves the address, so no sign-in is needed); joins nothing.';

create or replace function private.managed_invitation(p_invitation_id uuid, p_action text)
returns public.invitations
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_invitation public.invitations;
begin
  select * into v_invitation from public.invitations where id = p_invitation_id for update;
  if v_invitation.id is null or not private.has_permission(v_invitation.org_id, 'core.members.invite', 'org') then
    raise exception 'Cannot % invitation %: no such invitation in your organizations', p_action, p_invitation_id using errcode = 'P0002';
  end if;
  if v_invitation.status = 'pending' and v_invitation.expires_at <= private.now() and p_action = 'revoke' then
    return v_invitation; -- expired: revoking it is unnecessary but harmless
  end if;
  if v_invitation.status not in ('pending', 'expired') or (v_invitation.status = 'expired' and p_action <> 'resend') then
    raise exception 'Cannot % invitation: it has been %', p_action, v_invitation.status using errcode = 'GW410';
  end if;
  return v_invitation;
end
$$;
comment on function private.managed_invitation(uuid, text) is 'The invitation an inviter acts on, locked; 404 outside their organizations, 410 when it is final.';

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
  update public.invitations i
  set status = 'pending', token_hash = private.token_hash(p_token), resent_count = i.resent_count + 1, last_sent_at = pg_catalog.now(),
      expires_at = private.now() + make_interval(hours => (select invitation_ttl_hours from public.organizations where id = i.org_id))
  where i.id = v_invitation.id
  returning * into v_invitation;
  perform private.send_invitation_email(v_invitation, p_token, p_accept_url, p_locale);
  return v_invitation;
end
$$;
comment on function private.resend_invitation(uuid, text, text, text) is 'Sends a pending (or expired) invitation again with a new token; the old token dies. At most 5 times; rate limited.';

create or replace function private.revoke_invitation(p_invitation_id uuid)
returns public.invitations
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_invitation public.invitations := private.managed_invitation(p_invitation_id, 'revoke');
begin
  update public.invitations set status = 'revoked', responded_at = pg_catalog.now() where id = v_invitation.id
  returning * into v_invitation;
  return v_invitation;
end
$$;
comment on function private.revoke_invitation(uuid) is 'Revokes a pending invitation; its token stops working at once.';

revoke all on function private.token_hash(text), private.invite_member(uuid, text, uuid, uuid, text, text, text),
  private.invitation_for_token(text, text), private.accept_invitation(text), private.decline_invitation(text),
  private.managed_invitation(uuid, text), private.resend_invitation(uuid, text, text, text), private.revoke_invitation(uuid) from public;
grant execute on function private.invite_member(uuid, text, uuid, uuid, text, text, text), private.accept_invitation(text),
  private.resend_invitation(uuid, text, text, text), private.revoke_invitation(uuid) to authenticated;
-- Declining needs only the token (it proves the address): the function runs it as the service role.
grant execute on function private.decline_invitation(text) to authenticated, service_role;

-- Pending invitations past their expiry are marked expired every 15 minutes.
select cron.schedule('groundwork-invitation-expiry', '*/15 * * * *',
  $$update public.invitations set status = 'expired' where status = 'pending' and expires_at <= now()$$);
