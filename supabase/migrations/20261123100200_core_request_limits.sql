-- Core: one request limiter for every write and send, whichever way it comes in. Each request
-- that writes (a function route other than GET, a PostgREST POST/PATCH/PUT/DELETE, an RPC) counts
-- against its caller — the user, or the API key — against the organization it acts in (the key's,
-- or an organization the user is a member of and named), and, when nobody signed in, against the
-- client's address. Limits are rows: a default per subject, narrowed per route and per
-- organization, and a key's own rate_limit_per_minute. Over a limit → GW429 (HTTP 429 with
-- Retry-After and RateLimit-*); under it, the tightest bucket is returned for the RateLimit-*
-- headers of the answer. PostgREST calls private.check_request before each request
-- (pgrst.db_pre_request).
-- Tables: private.request_limits (new). Permissions: none.

create table private.request_limits (
  id bigint generated always as identity primary key,
  subject text not null,
  route text not null default '*',
  org_id uuid references public.organizations (id) on delete cascade,
  max_hits integer not null,
  per interval not null,
  description text not null default '',
  constraint request_limits_subject_values check (subject in ('user', 'key', 'org', 'ip')),
  constraint request_limits_route_format check (route = '*' or route ~ '^[a-z0-9-]+ [A-Z]+ /'),
  constraint request_limits_positive check (max_hits > 0 and per > interval '0' and per <= interval '1 day'),
  constraint request_limits_rule_key unique nulls not distinct (subject, route, org_id)
);
create index request_limits_org_idx on private.request_limits (org_id);
comment on table private.request_limits is 'How many writing requests a subject (user, key, org, ip) may make per window: route ''*'' is the default, a route ("invitations POST /", "rest POST /rpc/x") narrows it, an org_id sets it for one organization. The most specific row wins. Operators tune them with SQL.';
alter table private.request_limits enable row level security;
revoke all on private.request_limits from public, anon, authenticated, service_role;
select audit.enable('private.request_limits');
select audit.set_read_permission('private.request_limits', 'core.audit.read');

insert into private.request_limits (subject, route, max_hits, per, description) values
  ('user', '*', 120, interval '1 minute', 'Writing requests of one signed-in user'),
  ('key', '*', 600, interval '1 minute', 'Writing requests of one API key (its own rate_limit_per_minute overrides)'),
  ('org', '*', 3000, interval '1 minute', 'Writing requests acting in one organization'),
  ('ip', '*', 60, interval '1 minute', 'Writing requests of one address nobody signed in from'),
  ('ip', 'token POST /', 30, interval '1 minute', 'Token exchanges from one address (each guess at a key counts)');

-- Helpers
create or replace function private.request_hit(p_subject text, p_id text, p_route text, p_org_id uuid, p_own_limit integer)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_rule private.request_limits;
  v_limit integer;
  v_window interval;
  v_now timestamptz := private.now();
  v_start timestamptz;
  v_hits integer;
begin
  select * into v_rule from private.request_limits r
  where r.subject = p_subject and r.route in ('*', p_route) and (r.org_id is null or r.org_id = p_org_id)
  order by (r.org_id is not null) desc, (r.route <> '*') desc limit 1;
  v_limit := coalesce(p_own_limit, v_rule.max_hits);
  v_window := case when p_own_limit is not null then interval '1 minute' else v_rule.per end;
  if v_limit is null then
    return null;
  end if;
  v_start := to_timestamp(floor(extract(epoch from v_now) / extract(epoch from v_window)) * extract(epoch from v_window));
  insert into private.rate_limits as r (key, window_start, hits)
  values (format('req:%s:%s:%s', p_subject, p_id, coalesce(v_rule.route, '*')), v_start, 1)
  on conflict (key, window_start) do update set hits = r.hits + 1, rejected = r.rejected + (r.hits >= v_limit)::integer
  returning hits into v_hits;
  return jsonb_build_object('subject', p_subject, 'limit', v_limit, 'remaining', greatest(v_limit - v_hits, 0),
    'window_seconds', extract(epoch from v_window)::integer, 'allowed', v_hits <= v_limit,
    'retry_after', greatest(1, ceil(extract(epoch from (v_start + v_window - v_now)))::integer));
end
$$;
comment on function private.request_hit(text, text, text, uuid, integer) is 'Counts one request of a subject under its most specific rule (or the key''s own limit); returns the bucket: limit, remaining, window_seconds, retry_after and whether it was allowed. Concurrency-safe.';
revoke all on function private.request_hit(text, text, text, uuid, integer) from public;

create or replace function private.hit_request_limits(p_route text, p_user_id uuid, p_api_key_id uuid, p_org_id uuid, p_ip inet)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_key public.api_keys;
  v_org uuid;
  v_buckets jsonb[] := '{}'::jsonb[];
  v_refused jsonb;
begin
  if p_api_key_id is not null then
    select * into v_key from public.api_keys k where k.id = p_api_key_id and k.user_id = p_user_id;
  end if;
  -- The organization counts only when the caller acts in it: the key's own, or one the user belongs to.
  v_org := coalesce(v_key.org_id, case when p_org_id is not null and exists (
    select 1 from private.access a where a.user_id = p_user_id and a.org_id = p_org_id and a.permission = 'membership') then p_org_id end);
  if v_key.id is not null then
    v_buckets := v_buckets || private.request_hit('key', v_key.id::text, p_route, v_org, v_key.rate_limit_per_minute);
  elsif p_user_id is not null then
    v_buckets := v_buckets || private.request_hit('user', p_user_id::text, p_route, v_org, null);
  elsif p_ip is not null then
    v_buckets := v_buckets || private.request_hit('ip', host(p_ip), p_route, null, null);
  end if;
  if v_org is not null then
    v_buckets := v_buckets || private.request_hit('org', v_org::text, p_route, v_org, null);
  end if;
  select b into v_refused from unnest(v_buckets) b where not (b ->> 'allowed')::boolean order by (b ->> 'retry_after')::integer desc limit 1;
  if v_refused is not null then
    return v_refused || jsonb_build_object('remaining', 0);
  end if;
  return (select b from unnest(v_buckets) b order by (b ->> 'remaining')::integer limit 1);
end
$$;
comment on function private.hit_request_limits(text, uuid, uuid, uuid, inet) is 'The one request limiter: counts a writing request against its caller (key or user, or the address when nobody signed in) and the organization it acts in, and returns the bucket that decides: a refused one (allowed false, retry_after) when any is over, else the tightest. The count commits even when the request is refused.';
revoke all on function private.hit_request_limits(text, uuid, uuid, uuid, inet) from public;
grant execute on function private.hit_request_limits(text, uuid, uuid, uuid, inet) to service_role;

create or replace function private.rate_limit_headers(p_bucket jsonb)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select jsonb_strip_nulls(jsonb_build_object(
    'RateLimit-Limit', p_bucket ->> 'limit',
    'RateLimit-Remaining', p_bucket ->> 'remaining',
    'RateLimit-Reset', p_bucket ->> 'retry_after',
    'RateLimit-Policy', format('%s;w=%s', p_bucket ->> 'limit', p_bucket ->> 'window_seconds')));
$$;
comment on function private.rate_limit_headers(jsonb) is 'The IETF RateLimit-* header fields of a limiter bucket.';
revoke all on function private.rate_limit_headers(jsonb) from public;

create or replace function private.check_request()
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_method text := coalesce(current_setting('request.method', true), '');
  v_claims jsonb := coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb;
  v_headers jsonb := coalesce(nullif(current_setting('request.headers', true), ''), '{}')::jsonb;
  v_bucket jsonb;
  v_user uuid;
begin
  if v_method in ('', 'GET', 'HEAD', 'OPTIONS') or v_claims ->> 'role' = 'service_role' then
    return;
  end if;
  v_user := case when v_claims ->> 'sub' ~ '^[0-9a-f-]{36}$' then (v_claims ->> 'sub')::uuid end;
  v_bucket := private.hit_request_limits(
    p_route => 'rest ' || v_method || ' ' || coalesce(nullif(current_setting('request.path', true), ''), '/'),
    p_user_id => v_user,
    p_api_key_id => case when v_user is not null and v_claims ->> 'api_key_id' ~ '^[0-9a-f-]{36}$' then (v_claims ->> 'api_key_id')::uuid end,
    p_org_id => null,
    p_ip => case when v_user is null and v_headers ->> 'x-real-ip' ~ '^[0-9a-fA-F:.]{2,45}$' then (v_headers ->> 'x-real-ip')::inet end);
  if not coalesce((v_bucket ->> 'allowed')::boolean, true) then
    raise sqlstate 'PGRST' using
      message = json_build_object('code', 'rate_limited', 'details', v_bucket - 'allowed',
        'message', format('Cannot accept more requests now: the limit of %s per %s seconds (%s) is reached',
          v_bucket ->> 'limit', v_bucket ->> 'window_seconds', v_bucket ->> 'subject'))::text,
      detail = json_build_object('status', 429, 'headers', private.rate_limit_headers(v_bucket)
        || jsonb_build_object('Retry-After', v_bucket ->> 'retry_after'))::text;
  end if;
  if v_bucket is not null then
    perform set_config('response.headers', (select json_agg(json_build_object(h.key, h.value))
      from jsonb_each_text(private.rate_limit_headers(v_bucket)) h)::text, true);
  end if;
end
$$;
comment on function private.check_request() is 'PostgREST''s pre-request hook: every writing request through the Data API passes the request limiter (per user or key, per key''s organization, per address when anonymous) and its answer carries RateLimit-* headers.';
revoke all on function private.check_request() from public;
grant execute on function private.check_request() to anon, authenticated;

-- PostgREST reads its in-database configuration from the authenticator role's settings. Only a
-- superuser may change that role (Supabase reserves it), so where the migration may not, the
-- operator runs the statement once in the dashboard's SQL editor (docs/core/integrations.md).
do $$
begin
  alter role authenticator set pgrst.db_pre_request = 'private.check_request';
  notify pgrst, 'reload config';
exception when insufficient_privilege then
  raise notice 'Run once as a superuser (the SQL editor): alter role authenticator set pgrst.db_pre_request = ''private.check_request''; notify pgrst, ''reload config'';';
end
$$;
