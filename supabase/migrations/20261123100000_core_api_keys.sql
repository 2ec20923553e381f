-- Core: organization API keys. A key is a machine member of one organization: a user of its own in
-- auth.users (no email, no password, banned from signing in through Auth), a membership, and a
-- role of its own whose permissions its creator held. The `token` function exchanges the key for a
-- short-lived access token of that member, so PostgREST, RLS and every function treat it like any
-- member; no policy learns about keys. Only hashes of secrets are stored.
-- Tables: public.api_keys (new); public.roles.is_api_key (new column); audit.log.api_key_id (new
-- column). Permissions: core.api_keys.manage (owner, admin).

-- Permissions and roles
insert into public.permissions (key, module, description) values
  ('core.api_keys.manage', 'core', 'Create, change, rotate and revoke the organization''s API keys (a key only ever holds permissions its creator holds)');
insert into private.system_role_grants (role_key, permission, scope) values
  ('owner', 'core.api_keys.manage', 'org'), ('admin', 'core.api_keys.manage', 'org');
select private.install_system_roles(id) from public.organizations;

alter table public.roles add column is_api_key boolean not null default false;
comment on column public.roles.is_api_key is 'The role of one API key: changed only through the key''s own routes, never assigned to anyone else.';

alter table audit.log add column api_key_id uuid;
comment on column audit.log.api_key_id is 'The API key whose access token made the change (the api_key_id claim the token function signs), when one did.';

-- Tables
create table public.api_keys (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  name text not null,
  environment text not null,
  prefix text not null,
  secret_hash text not null,
  previous_secret_hash text,
  previous_secret_expires_at timestamptz,
  user_id uuid not null,
  role_id uuid not null,
  created_by uuid,
  allowed_ips cidr[] not null default '{}',
  rate_limit_per_minute integer,
  expires_at timestamptz,
  last_used_at timestamptz,
  last_used_ip inet,
  use_count bigint not null default 0,
  rotated_at timestamptz,
  revoked_at timestamptz,
  revoked_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint api_keys_prefix_key unique (prefix),
  constraint api_keys_user_id_key unique (user_id),
  constraint api_keys_name_length check (char_length(btrim(name)) between 1 and 100),
  constraint api_keys_environment_format check (environment ~ '^[a-z][a-z0-9]{0,15}$'),
  constraint api_keys_prefix_format check (prefix ~ '^[a-z2-7]{8}$'),
  constraint api_keys_secret_hash_format check (secret_hash ~ '^[0-9a-f]{64}$' and (previous_secret_hash is null or previous_secret_hash ~ '^[0-9a-f]{64}$')),
  constraint api_keys_previous_pair check ((previous_secret_hash is null) = (previous_secret_expires_at is null)),
  constraint api_keys_allowed_ips_count check (cardinality(allowed_ips) <= 50),
  constraint api_keys_rate_limit_range check (rate_limit_per_minute is null or rate_limit_per_minute between 1 and 100000),
  constraint api_keys_member_fkey foreign key (org_id, user_id) references public.members (org_id, user_id) on delete cascade,
  constraint api_keys_role_fkey foreign key (org_id, role_id) references public.roles (org_id, id),
  constraint api_keys_created_by_fkey foreign key (org_id, created_by)
    references public.members (org_id, user_id) on delete set null (created_by),
  constraint api_keys_revoked_by_fkey foreign key (org_id, revoked_by)
    references public.members (org_id, user_id) on delete set null (revoked_by)
);
create index api_keys_org_created_idx on public.api_keys (org_id, created_at desc);
create index api_keys_member_idx on public.api_keys (org_id, user_id);
create index api_keys_role_idx on public.api_keys (org_id, role_id);
create index api_keys_created_by_idx on public.api_keys (org_id, created_by);
create index api_keys_revoked_by_idx on public.api_keys (org_id, revoked_by);
comment on table public.api_keys is 'API keys of an organization: shown once as gw_<environment>_<prefix>_<secret>, stored as the SHA-256 of the secret. Each acts as its own machine member (user_id) with a role of its own (role_id). Written only by the api-keys function''s workflows.';
comment on column public.api_keys.prefix is 'The public part of the key (8 base32 characters): how people recognise it, and how the exchange finds it.';
comment on column public.api_keys.secret_hash is 'SHA-256 (hex) of the secret. Never readable by API roles.';
comment on column public.api_keys.previous_secret_hash is 'After a rotation, the hash of the retiring secret, accepted until previous_secret_expires_at.';
comment on column public.api_keys.user_id is 'The key''s machine user and member of the organization.';
comment on column public.api_keys.role_id is 'The key''s own role: its permissions are a subset of what its creator held.';
comment on column public.api_keys.allowed_ips is 'When not empty, the key is accepted only from these networks.';
comment on column public.api_keys.rate_limit_per_minute is 'Requests per minute this key may make that write or send (default: the core''s limit for keys).';
comment on column public.api_keys.use_count is 'How many times the key was exchanged or used directly.';
comment on column public.api_keys.revoked_at is 'Set once: the key and every token it was exchanged for stop working at the next request.';

create trigger touch_updated_at before update on public.api_keys
  for each row execute function private.touch_updated_at();

alter table public.api_keys enable row level security;
revoke all on public.api_keys from anon, authenticated;
grant select (id, org_id, name, environment, prefix, user_id, role_id, created_by, allowed_ips, rate_limit_per_minute,
  expires_at, last_used_at, last_used_ip, use_count, rotated_at, previous_secret_expires_at, revoked_at, revoked_by,
  created_at, updated_at) on public.api_keys to authenticated;
select private.create_scoped_policies('public.api_keys', 'core.api_keys.manage', 'core.api_keys.manage');
select audit.enable('public.api_keys', array['secret_hash', 'previous_secret_hash']);
select audit.set_read_permission('public.api_keys', 'core.api_keys.manage');

-- Helpers: a key's role and member change only through the key workflows.
create or replace function private.guard_api_key_role()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_row jsonb := to_jsonb(coalesce(new, old));
  v_role_id uuid := (v_row ->> case when tg_table_name = 'roles' then 'id' else 'role_id' end)::uuid;
begin
  if private.is_trusted('core.api_keys') then
    return coalesce(new, old);
  end if;
  if exists (select 1 from public.roles r where r.id = v_role_id and r.is_api_key)
     and exists (select 1 from public.organizations o where o.id = (v_row ->> 'org_id')::uuid) then
    raise exception 'Cannot change the role of an API key: rotate, change or revoke the key instead' using errcode = '42501';
  end if;
  return coalesce(new, old);
end
$$;
comment on function private.guard_api_key_role() is 'Refuses changes to an API key''s role and its permissions outside the key workflows (the organization''s own deletion excepted).';
revoke all on function private.guard_api_key_role() from public;

create trigger guard_api_key_role before update or delete on public.roles
  for each row execute function private.guard_api_key_role();
create trigger guard_api_key_role before insert or update or delete on public.role_permissions
  for each row execute function private.guard_api_key_role();

create or replace function private.guard_api_key_member()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if private.is_trusted('core.api_keys') then
    return coalesce(new, old);
  end if;
  if exists (
       select 1 from public.roles r
       where r.is_api_key and r.id in (case when tg_op <> 'INSERT' then old.role_id end, case when tg_op <> 'DELETE' then new.role_id end)
     ) and exists (select 1 from public.organizations o where o.id = (coalesce(new, old)).org_id) then
    raise exception 'Cannot change the member of an API key, or give its role to anyone: revoke the key instead' using errcode = '42501';
  end if;
  return coalesce(new, old);
end
$$;
comment on function private.guard_api_key_member() is 'Keeps an API key''s member and role together: no one suspends, removes or re-roles a key''s member, or assigns a key''s role to a person, outside the key workflows.';
revoke all on function private.guard_api_key_member() from public;

create trigger guard_api_key_member before insert or update or delete on public.members
  for each row execute function private.guard_api_key_member();

-- The one audit trigger now also records the API key a change was made with.
create or replace function audit.capture()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_org_column text := tg_argv[0];
  v_excluded text[] := tg_argv[1]::text[];
  v_key text[] := tg_argv[2]::text[];
  v_full jsonb;
  v_before jsonb;
  v_old jsonb;
  v_new jsonb;
  v_raw text := current_setting('request.jwt.claims', true);
  v_claims jsonb := case when v_raw is null or v_raw = '' then null else v_raw::jsonb end;
  v_headers_raw text := current_setting('request.headers', true);
  v_request_id text := case when v_headers_raw is null or v_headers_raw = '' then null
    else coalesce(v_headers_raw::jsonb ->> 'x-request-id', v_headers_raw::jsonb ->> 'sb-request-id') end;
  v_key_id uuid := case when v_claims ->> 'api_key_id' ~ '^[0-9a-f-]{36}$' then (v_claims ->> 'api_key_id')::uuid end;
  v_record text;
begin
  if tg_level = 'STATEMENT' then
    insert into audit.log (table_schema, table_name, operation, actor_id, actor_role, actor_aal, request_id, api_key_id)
    values (tg_table_schema, tg_table_name, tg_op, (v_claims ->> 'sub')::uuid, coalesce(v_claims ->> 'role', session_user),
            v_claims ->> 'aal', v_request_id, v_key_id);
    return null;
  end if;
  if tg_op = 'INSERT' then
    v_full := to_jsonb(new);
    v_new := v_full - v_excluded;
  elsif tg_op = 'DELETE' then
    v_full := to_jsonb(old);
    v_old := v_full - v_excluded;
  else
    v_full := to_jsonb(new);
    v_before := to_jsonb(old) - v_excluded;
    select coalesce(jsonb_object_agg(n.key, v_before -> n.key), '{}'::jsonb), coalesce(jsonb_object_agg(n.key, n.value), '{}'::jsonb)
      into v_old, v_new
    from jsonb_each(v_full - v_excluded) as n
    where n.value is distinct from v_before -> n.key;
  end if;
  if cardinality(v_key) = 1 then
    v_record := v_full ->> v_key[1];
  else
    select string_agg(v_full ->> k, ',' order by ordinality) into v_record from unnest(v_key) with ordinality as k;
  end if;
  insert into audit.log (org_id, table_schema, table_name, operation, record_id, actor_id, actor_role, actor_aal,
                         request_id, old_record, new_record, api_key_id)
  values (case when v_org_column <> '' then (v_full ->> v_org_column)::uuid end,
          tg_table_schema, tg_table_name, tg_op, v_record, (v_claims ->> 'sub')::uuid,
          coalesce(v_claims ->> 'role', session_user), v_claims ->> 'aal', v_request_id, v_old, v_new, v_key_id);
  return null;
end
$$;
comment on function audit.capture() is 'The one audit trigger: records a row change (or a truncation) in audit.log with the actor, and the API key when the request''s token came from one.';
revoke all on function audit.capture() from public;

create or replace view public.audit_events with (security_invoker = true, security_barrier = true) as
  select id, occurred_at, org_id, table_schema, table_name, operation, record_id, actor_id, actor_role, actor_aal,
         request_id, old_record, new_record, api_key_id
  from audit.log;
comment on view public.audit_events is 'The audit trail of your organizations (core.audit.read). Filter by org_id, table_name, record_id, actor_id, api_key_id and occurred_at; page with id < last id, ordered by id desc.';
