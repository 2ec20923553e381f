-- Core: what the metrics function serves. Each function process adds its requests (per route and
-- status, with a latency histogram) to private.function_metrics every few seconds, and the rate
-- limiter counts the requests it refuses, so one scrape sees every function and every limit.
-- Tables: private.function_metrics (new); private.rate_limits.rejected (new column). Permissions: none.

-- Tables
create table private.function_metrics (
  function_name text not null,
  route text not null,
  status integer not null,
  requests bigint not null default 0,
  duration_seconds_sum double precision not null default 0,
  buckets bigint[] not null,
  updated_at timestamptz not null default now(),
  primary key (function_name, route, status),
  constraint function_metrics_status_range check (status between 100 and 599)
);
comment on table private.function_metrics is 'Requests served by each edge function per route and status since the database was created: a count, the sum of their durations and a histogram (requests per duration bucket, the boundaries fixed by functions/_shared/metrics.ts). Written by the functions, read by the metrics function.';
comment on column private.function_metrics.buckets is 'Requests per latency bucket, not cumulative: element i counts durations up to the i-th boundary and above the one before; the last counts the rest.';
alter table private.function_metrics enable row level security;
revoke all on private.function_metrics from public, anon, authenticated, service_role;

alter table private.rate_limits add column rejected integer not null default 0;
comment on column private.rate_limits.rejected is 'Requests refused in this window because the key was over its limit.';

-- Helpers
create or replace function private.rate_limit(p_key text, p_limit integer, p_window interval)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_now timestamptz := private.now();
  v_start timestamptz := to_timestamp(floor(extract(epoch from v_now) / extract(epoch from p_window)) * extract(epoch from p_window));
  v_hits integer;
begin
  insert into private.rate_limits as r (key, window_start, hits) values (p_key, v_start, 1)
  on conflict (key, window_start) do update set hits = r.hits + 1 where r.hits < p_limit
  returning hits into v_hits;
  if v_hits is null then
    update private.rate_limits set rejected = rejected + 1 where key = p_key and window_start = v_start;
    return greatest(1, ceil(extract(epoch from (v_start + p_window - v_now)))::integer);
  end if;
  return 0;
end
$$;
comment on function private.rate_limit(text, integer, interval) is 'Counts a hit for key in the current fixed window; returns 0 when under the limit, else the seconds to wait (Retry-After), counting the refusal. Concurrency-safe.';
revoke all on function private.rate_limit(text, integer, interval) from public;

create or replace function private.record_function_metrics(p_rows jsonb)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.function_metrics as m (function_name, route, status, requests, duration_seconds_sum, buckets)
  select r.function_name, r.route, r.status, r.requests, r.duration_seconds_sum,
         array(select jsonb_array_elements_text(r.buckets)::bigint)
  from jsonb_to_recordset(p_rows) as r (function_name text, route text, status integer, requests bigint,
                                         duration_seconds_sum double precision, buckets jsonb)
  on conflict (function_name, route, status) do update set
    requests = m.requests + excluded.requests,
    duration_seconds_sum = m.duration_seconds_sum + excluded.duration_seconds_sum,
    buckets = array(select coalesce(a, 0) + coalesce(b, 0) from unnest(m.buckets, excluded.buckets) as t (a, b)),
    updated_at = now();
end
$$;
comment on function private.record_function_metrics(jsonb) is 'Adds a function process''s requests since its last report (rows of function_name, route, status, requests, duration_seconds_sum, buckets) to private.function_metrics.';
revoke all on function private.record_function_metrics(jsonb) from public;
