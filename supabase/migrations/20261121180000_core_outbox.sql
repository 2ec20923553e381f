-- Core delivery: rate limits, and the transactional email outbox its dispatcher drains.
-- Anything that sends mail inserts into the outbox in the same transaction as the change that
-- causes it, so a rolled-back change sends nothing.

-- ---------------------------------------------------------------------------------------------
-- Rate limits: fixed windows counted in the database, so every function instance shares them.
-- ---------------------------------------------------------------------------------------------

create table private.rate_limits (
  key text not null,
  window_start timestamptz not null,
  hits integer not null default 0,
  primary key (key, window_start)
);
comment on table private.rate_limits is 'Hits per key and fixed window (e.g. invitations per inviter per hour). Old windows are swept by pg_cron.';
alter table private.rate_limits enable row level security;
revoke all on private.rate_limits from public, anon, authenticated, service_role;

-- Counts one hit against key; returns 0 when allowed, else the seconds until the window ends.
-- A refused hit is not counted.
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
    return greatest(1, ceil(extract(epoch from (v_start + p_window - v_now)))::integer);
  end if;
  return 0;
end
$$;
comment on function private.rate_limit(text, integer, interval) is 'Counts a hit for key in the current fixed window; returns 0 when under the limit, else the seconds to wait (Retry-After). Concurrency-safe.';
revoke all on function private.rate_limit(text, integer, interval) from public;

-- Raises GW429 (answered as 429 with Retry-After) when the key is over its limit.
create or replace function private.enforce_rate_limit(p_key text, p_limit integer, p_window interval, p_what text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_wait integer := private.rate_limit(p_key, p_limit, p_window);
begin
  if v_wait > 0 then
    raise exception 'Cannot % now: the limit of % per % is reached', p_what, p_limit, p_window
      using errcode = 'GW429', detail = json_build_object('retry_after', v_wait)::text;
  end if;
end
$$;
comment on function private.enforce_rate_limit(text, integer, interval, text) is 'Raises SQLSTATE GW429 (HTTP 429, detail retry_after) when the key is over its limit.';
revoke all on function private.enforce_rate_limit(text, integer, interval, text) from public;

-- ---------------------------------------------------------------------------------------------
-- Email outbox
-- ---------------------------------------------------------------------------------------------

create type private.email_status as enum ('pending', 'sending', 'sent', 'failed', 'dead');

create table private.email_outbox (
  id uuid primary key default gen_random_uuid(),
  org_id uuid references public.organizations (id) on delete set null,
  template text not null,
  locale text not null default 'en',
  recipient text not null,
  data jsonb not null default '{}',
  redact_keys text[] not null default '{}',
  idempotency_key text not null unique,
  status private.email_status not null default 'pending',
  attempts integer not null default 0,
  max_attempts integer not null default 8,
  next_attempt_at timestamptz not null default now(),
  leased_by text,
  lease_expires_at timestamptz,
  last_error text,
  provider_message_id text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  sent_at timestamptz,
  constraint email_outbox_recipient_format check (recipient ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  constraint email_outbox_attempts_range check (attempts >= 0 and max_attempts between 1 and 50),
  constraint email_outbox_lease_matches_status check ((status = 'sending') = (lease_expires_at is not null and leased_by is not null)),
  constraint email_outbox_sent_matches_status check ((status = 'sent') = (sent_at is not null))
);
create index email_outbox_due_idx on private.email_outbox (next_attempt_at) where status in ('pending', 'failed');
create index email_outbox_lease_idx on private.email_outbox (lease_expires_at) where status = 'sending';
create index email_outbox_org_idx on private.email_outbox (org_id);
comment on table private.email_outbox is 'One row per email to send: rendered by the dispatcher from template + locale + data. Written in the same transaction as the change that causes it.';
comment on column private.email_outbox.redact_keys is 'Keys of data (e.g. an invitation token) removed once the message is sent or dead.';
comment on column private.email_outbox.idempotency_key is 'Unique per message: enqueueing twice is a no-op, and providers that support it (Resend) refuse a second send.';
comment on column private.email_outbox.lease_expires_at is 'A dispatcher owns a sending message until then; after it, another run may claim it again.';
alter table private.email_outbox enable row level security;
revoke all on private.email_outbox from public, anon, authenticated, service_role;

create trigger touch_updated_at before update on private.email_outbox
  for each row execute function private.touch_updated_at();

create or replace function private.wake_email_dispatcher()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform pg_notify('groundwork_email_outbox', '');
  return null;
end
$$;
comment on function private.wake_email_dispatcher() is 'Notifies listeners (the native stack''s dispatcher waker) that mail is waiting; delivered at commit.';

create trigger wake_dispatcher after insert on private.email_outbox
  for each statement execute function private.wake_email_dispatcher();

-- Enqueues a message; a second call with the same idempotency key does nothing. Returns the id.
create or replace function private.enqueue_email(
  p_template text,
  p_recipient text,
  p_data jsonb,
  p_idempotency_key text,
  p_locale text default 'en',
  p_org_id uuid default null,
  p_redact_keys text[] default '{}',
  p_deliver_at timestamptz default null
)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_id uuid;
begin
  insert into private.email_outbox (template, recipient, data, idempotency_key, locale, org_id, redact_keys, next_attempt_at)
  values (p_template, lower(btrim(p_recipient)), coalesce(p_data, '{}'), p_idempotency_key, coalesce(p_locale, 'en'), p_org_id,
          p_redact_keys, coalesce(p_deliver_at, private.now()))
  on conflict (idempotency_key) do nothing
  returning id into v_id;
  if v_id is null then
    select id into v_id from private.email_outbox where idempotency_key = p_idempotency_key;
  end if;
  return v_id;
end
$$;
comment on function private.enqueue_email(text, text, jsonb, text, text, uuid, text[], timestamptz) is 'Adds an email to the outbox in the caller''s transaction; idempotent by key.';
revoke all on function private.enqueue_email(text, text, jsonb, text, text, uuid, text[], timestamptz) from public;

-- Claims up to p_limit due messages (and messages whose lease expired) for one dispatcher run.
create or replace function private.claim_emails(p_limit integer, p_lease_seconds integer, p_worker text)
returns setof private.email_outbox
language plpgsql
security definer
set search_path = ''
as $$
begin
  return query
    update private.email_outbox o
    set status = 'sending', attempts = o.attempts + 1, leased_by = p_worker,
        lease_expires_at = pg_catalog.now() + make_interval(secs => p_lease_seconds)
    where o.id in (
      select c.id from private.email_outbox c
      where (c.status in ('pending', 'failed') and c.next_attempt_at <= private.now())
         or (c.status = 'sending' and c.lease_expires_at < pg_catalog.now())
      order by c.next_attempt_at
      limit p_limit
      for update skip locked
    )
    returning o.*;
end
$$;
comment on function private.claim_emails(integer, integer, text) is 'Leases a batch of due messages to a dispatcher run (for update skip locked): concurrent runs never claim the same message.';

-- Records a delivery. Only the lease holder may: a run whose lease expired changes nothing.
create or replace function private.complete_email(p_id uuid, p_worker text, p_provider_message_id text)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  update private.email_outbox
  set status = 'sent', sent_at = pg_catalog.now(), provider_message_id = p_provider_message_id,
      leased_by = null, lease_expires_at = null, last_error = null, data = data - redact_keys
  where id = p_id and status = 'sending' and leased_by = p_worker;
  return found;
end
$$;
comment on function private.complete_email(uuid, text, text) is 'Marks a leased message sent and removes its redacted data.';

-- Records a failure: retried with exponential backoff and jitter, dead after max_attempts or when
-- p_permanent (a missing template, invalid data).
create or replace function private.fail_email(p_id uuid, p_worker text, p_error text, p_permanent boolean default false)
returns private.email_status
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_status private.email_status;
begin
  update private.email_outbox o
  set status = case when p_permanent or o.attempts >= o.max_attempts then 'dead'::private.email_status else 'failed' end,
      next_attempt_at = private.now() + make_interval(secs => least(30 * power(2, greatest(o.attempts - 1, 0)), 3600) * (0.5 + random())),
      last_error = left(p_error, 2000), leased_by = null, lease_expires_at = null,
      data = case when p_permanent or o.attempts >= o.max_attempts then o.data - o.redact_keys else o.data end
  where o.id = p_id and o.status = 'sending' and o.leased_by = p_worker
  returning o.status into v_status;
  return v_status;
end
$$;
comment on function private.fail_email(uuid, text, text, boolean) is 'Schedules a retry (30 s × 2^attempts, at most an hour, ×0.5-1.5 jitter) or marks the message dead.';

revoke all on function private.claim_emails(integer, integer, text), private.complete_email(uuid, text, text),
  private.fail_email(uuid, text, text, boolean) from public;
grant execute on function private.claim_emails(integer, integer, text), private.complete_email(uuid, text, text),
  private.fail_email(uuid, text, text, boolean) to service_role;
grant usage on schema private to service_role;
grant usage on type private.email_status to service_role;

-- Old rate-limit windows go hourly; sent messages are kept 30 days.
select cron.schedule('groundwork-rate-limit-sweep', '7 * * * *',
  $$delete from private.rate_limits where window_start < now() - interval '2 days'$$);
select cron.schedule('groundwork-outbox-sweep', '23 4 * * *',
  $$delete from private.email_outbox where status = 'sent' and sent_at < now() - interval '30 days'$$);
