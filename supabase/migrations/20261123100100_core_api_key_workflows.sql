-- Core: the API key workflows the api-keys and token functions call. Creating a key makes its
-- machine user, its role (only permissions the creator holds, at most as far as the creator holds
-- them) and its membership in one transaction; revoking suspends the member, so tokens already
-- issued stop at their next request; rotating keeps the old secret for an overlap window; the
-- exchange checks the secret, expiry, revocation and the IP allow-list and counts the use.
-- Tables: none (private.rate_limit_rules gains api_keys.create). Permissions: core.api_keys.manage.

insert into private.rate_limit_rules (name, max_hits, per, description) values
  ('api_keys.create', 100, interval '1 day', 'API keys one organization may create');

-- Helpers
create or replace function private.api_key_for_change(p_key_id uuid, p_action text)
returns public.api_keys
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_key public.api_keys;
begin
  select * into v_key from public.api_keys where id = p_key_id;
  if v_key.id is null or not private.has_permission(v_key.org_id, 'core.api_keys.manage', 'org') then
    raise exception 'Cannot % API key %: no such key in your organizations (core.api_keys.manage)', p_action, p_key_id
      using errcode = 'P0002';
  end if;
  if v_key.org_id in (select private.mfa_blocked_org_ids()) then
    raise exception 'Cannot % API key: this organization requires MFA (aal2)', p_action using errcode = '42501';
  end if;
  if v_key.revoked_at is not null and p_action <> 'revoke' then
    raise exception 'Cannot % API key %: it was revoked', p_action, v_key.prefix using errcode = 'GW409';
  end if;
  return v_key;
end
$$;
comment on function private.api_key_for_change(uuid, text) is 'The key a workflow acts on, when the caller holds core.api_keys.manage in its organization (and has passed MFA where required); otherwise a clear error.';
revoke all on function private.api_key_for_change(uuid, text) from public;

create or replace function private.check_api_key_grants(p_org_id uuid, p_grants jsonb)
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_grant record;
begin
  if jsonb_typeof(p_grants) is distinct from 'array' or jsonb_array_length(p_grants) not between 1 and 100 then
    raise exception 'Cannot create API key: give it between 1 and 100 permissions' using errcode = '22023';
  end if;
  for v_grant in select * from jsonb_to_recordset(p_grants) as g (permission text, scope public.permission_scope) loop
    if v_grant.permission is null or v_grant.scope is null then
      raise exception 'Cannot create API key: each permission needs a name and a scope' using errcode = '22023';
    end if;
    if not exists (select 1 from public.permissions where key = v_grant.permission) then
      raise exception 'Cannot create API key: % is not a permission', v_grant.permission using errcode = '22023';
    end if;
    if v_grant.permission = 'core.api_keys.manage' then
      raise exception 'Cannot create API key: a key cannot manage API keys' using errcode = '42501';
    end if;
    if not private.has_permission(p_org_id, v_grant.permission, v_grant.scope) then
      raise exception 'Cannot give the key % at scope %: you do not hold it that far yourself', v_grant.permission, v_grant.scope
        using errcode = '42501';
    end if;
  end loop;
end
$$;
comment on function private.check_api_key_grants(uuid, jsonb) is 'Refuses a key''s permissions unless each is in the catalogue, is not core.api_keys.manage, and is held by the caller at least as far.';
revoke all on function private.check_api_key_grants(uuid, jsonb) from public;

-- Workflows
create or replace function private.create_api_key(
  p_org_id uuid, p_name text, p_environment text, p_prefix text, p_secret text, p_grants jsonb,
  p_expires_at timestamptz default null, p_allowed_ips cidr[] default '{}', p_rate_limit integer default null
)
returns public.api_keys
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user uuid := gen_random_uuid();
  v_role uuid;
  v_key public.api_keys;
begin
  if auth.uid() is null or not private.has_permission(p_org_id, 'core.api_keys.manage', 'org') then
    raise exception 'Cannot create API key: you need core.api_keys.manage in this organization' using errcode = '42501';
  end if;
  if p_org_id in (select private.mfa_blocked_org_ids()) then
    raise exception 'Cannot create API key: this organization requires MFA (aal2)' using errcode = '42501';
  end if;
  if p_expires_at is not null and p_expires_at <= private.now() then
    raise exception 'Cannot create API key: its expiry is in the past' using errcode = '22023';
  end if;
  perform private.check_api_key_grants(p_org_id, p_grants);
  perform private.enforce_named_limit('api_keys.create', p_org_id::text, 'create more API keys in this organization');
  perform private.begin_trusted('core.api_keys');
  insert into auth.users (instance_id, id, aud, role, raw_app_meta_data, raw_user_meta_data, banned_until, created_at, updated_at)
  values ('00000000-0000-0000-0000-000000000000', v_user, 'authenticated', 'authenticated',
          jsonb_build_object('provider', 'api_key', 'providers', jsonb_build_array('api_key')),
          jsonb_build_object('display_name', left('API key: ' || btrim(p_name), 200)), 'infinity', now(), now());
  perform private.begin_trusted('core.roles');
  insert into public.roles (org_id, key, name, description, rank, is_api_key)
  values (p_org_id, 'api_key_' || p_prefix, left('API key: ' || btrim(p_name), 100), 'The permissions of API key ' || p_prefix, 1, true)
  returning id into v_role;
  insert into public.role_permissions (role_id, permission, scope, org_id)
  select v_role, g.permission, g.scope, p_org_id from jsonb_to_recordset(p_grants) as g (permission text, scope public.permission_scope);
  perform private.end_trusted('core.roles');
  perform private.begin_trusted('core.members');
  insert into public.members (org_id, user_id, role_id) values (p_org_id, v_user, v_role);
  perform private.end_trusted('core.members');
  insert into public.api_keys (org_id, name, environment, prefix, secret_hash, user_id, role_id, created_by, allowed_ips,
                               rate_limit_per_minute, expires_at)
  values (p_org_id, btrim(p_name), p_environment, p_prefix, private.token_hash(p_secret), v_user, v_role, auth.uid(),
          coalesce(p_allowed_ips, '{}'), p_rate_limit, p_expires_at)
  returning * into v_key;
  perform private.end_trusted('core.api_keys');
  return v_key;
end
$$;
comment on function private.create_api_key(uuid, text, text, text, text, jsonb, timestamptz, cidr[], integer) is 'Creates an API key (core.api_keys.manage, MFA where required): its machine user, its own role with permissions the creator holds, its membership and the hashed secret, in one transaction.';
revoke all on function private.create_api_key(uuid, text, text, text, text, jsonb, timestamptz, cidr[], integer) from public;
grant execute on function private.create_api_key(uuid, text, text, text, text, jsonb, timestamptz, cidr[], integer) to authenticated;

create or replace function private.change_api_key(p_key_id uuid, p_changes jsonb)
returns public.api_keys
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_key public.api_keys := private.api_key_for_change(p_key_id, 'change');
begin
  update public.api_keys k set
    name = case when p_changes ? 'name' then btrim(p_changes ->> 'name') else k.name end,
    allowed_ips = case when p_changes ? 'allowed_ips'
      then array(select jsonb_array_elements_text(p_changes -> 'allowed_ips'))::cidr[] else k.allowed_ips end,
    rate_limit_per_minute = case when p_changes ? 'rate_limit_per_minute'
      then (p_changes ->> 'rate_limit_per_minute')::integer else k.rate_limit_per_minute end,
    expires_at = case when p_changes ? 'expires_at' then (p_changes ->> 'expires_at')::timestamptz else k.expires_at end
  where k.id = v_key.id
  returning * into v_key;
  if v_key.expires_at is not null and v_key.expires_at <= private.now() then
    raise exception 'Cannot change API key: its expiry is in the past (revoke it instead)' using errcode = '22023';
  end if;
  return v_key;
end
$$;
comment on function private.change_api_key(uuid, jsonb) is 'Changes a key''s name, IP allow-list, rate limit or expiry (each only when present in p_changes).';
revoke all on function private.change_api_key(uuid, jsonb) from public;
grant execute on function private.change_api_key(uuid, jsonb) to authenticated;

create or replace function private.rotate_api_key(p_key_id uuid, p_secret text, p_overlap interval)
returns public.api_keys
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_key public.api_keys := private.api_key_for_change(p_key_id, 'rotate');
begin
  if p_overlap < interval '0' or p_overlap > interval '7 days' then
    raise exception 'Cannot rotate API key: the overlap must be between 0 and 7 days' using errcode = '22023';
  end if;
  if v_key.expires_at is not null and v_key.expires_at <= private.now() then
    raise exception 'Cannot rotate API key %: it has expired; create a new key', v_key.prefix using errcode = 'GW409';
  end if;
  update public.api_keys k set
    previous_secret_hash = case when p_overlap > interval '0' then k.secret_hash end,
    previous_secret_expires_at = case when p_overlap > interval '0' then private.now() + p_overlap end,
    secret_hash = private.token_hash(p_secret),
    rotated_at = pg_catalog.now()
  where k.id = v_key.id
  returning * into v_key;
  return v_key;
end
$$;
comment on function private.rotate_api_key(uuid, text, interval) is 'Gives a key a new secret; the old one keeps working for the overlap (0 to 7 days), then only the new one does.';
revoke all on function private.rotate_api_key(uuid, text, interval) from public;
grant execute on function private.rotate_api_key(uuid, text, interval) to authenticated;

create or replace function private.revoke_api_key(p_key_id uuid)
returns public.api_keys
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_key public.api_keys := private.api_key_for_change(p_key_id, 'revoke');
begin
  if v_key.revoked_at is not null then
    return v_key;
  end if;
  perform private.begin_trusted('core.api_keys');
  update public.members set status = 'suspended' where org_id = v_key.org_id and user_id = v_key.user_id;
  perform private.end_trusted('core.api_keys');
  update public.api_keys
  set revoked_at = pg_catalog.now(), revoked_by = auth.uid(), previous_secret_hash = null, previous_secret_expires_at = null
  where id = v_key.id
  returning * into v_key;
  return v_key;
end
$$;
comment on function private.revoke_api_key(uuid) is 'Revokes a key for good: its member is suspended, so every token it was exchanged for is refused at its next request. Revoking twice is a no-op.';
revoke all on function private.revoke_api_key(uuid) from public;
grant execute on function private.revoke_api_key(uuid) to authenticated;

create or replace function private.exchange_api_key(p_prefix text, p_secret text, p_ip inet)
returns table (api_key_id uuid, org_id uuid, user_id uuid, environment text, valid_until timestamptz)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_key public.api_keys;
  v_now timestamptz := private.now();
  v_hash text := private.token_hash(p_secret);
  v_current boolean;
begin
  select * into v_key from public.api_keys k where k.prefix = p_prefix;
  v_current := coalesce(v_key.secret_hash = v_hash, false);
  if v_key.id is null or not (v_current or coalesce(v_key.previous_secret_hash = v_hash and v_key.previous_secret_expires_at > v_now, false)) then
    raise exception 'Cannot accept the API key: it is not a valid key' using errcode = 'GW401';
  end if;
  if v_key.revoked_at is not null then
    raise exception 'Cannot accept API key %: it was revoked', v_key.prefix using errcode = 'GW401';
  end if;
  if v_key.expires_at <= v_now then
    raise exception 'Cannot accept API key %: it has expired', v_key.prefix using errcode = 'GW401';
  end if;
  if cardinality(v_key.allowed_ips) > 0 and (p_ip is null or not exists (select 1 from unnest(v_key.allowed_ips) n where p_ip <<= n)) then
    raise exception 'Cannot accept API key %: it is not allowed from this address', v_key.prefix using errcode = 'GW403';
  end if;
  if not exists (select 1 from private.access a where a.user_id = v_key.user_id and a.org_id = v_key.org_id and a.permission = 'membership') then
    raise exception 'Cannot accept API key %: its member is not active', v_key.prefix using errcode = 'GW401';
  end if;
  update public.api_keys k set last_used_at = v_now, last_used_ip = p_ip, use_count = k.use_count + 1 where k.id = v_key.id;
  return query select v_key.id, v_key.org_id, v_key.user_id, v_key.environment,
    least(coalesce(v_key.expires_at, 'infinity'), case when v_current then 'infinity' else v_key.previous_secret_expires_at end);
end
$$;
comment on function private.exchange_api_key(text, text, inet) is 'Checks a presented key (secret, or the retiring secret within its overlap; not revoked or expired; from an allowed address) and counts the use (audited). Returns the member to act as and how long a token may live.';
revoke all on function private.exchange_api_key(text, text, inet) from public;
grant execute on function private.exchange_api_key(text, text, inet) to service_role;
