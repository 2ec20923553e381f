-- Scheduling: bookable resources with weekly availability in their own time zone, date overrides
-- and time off; holds and bookings where double booking is impossible (an exclusion constraint on
-- the blocked range, buffers included); reminders by pg_cron, sent once each; calendar feeds.

create extension if not exists btree_gist with schema extensions;

insert into public.permissions (key, module, description) values
  ('core.scheduling.read', 'core', 'See resources, their availability and bookings'),
  ('core.scheduling.book', 'core', 'Hold, book, reschedule and cancel bookings'),
  ('core.scheduling.manage', 'core', 'Create resources and set their availability');
insert into private.system_role_grants (role_key, permission, scope) values
  ('owner', 'core.scheduling.read', 'org'), ('owner', 'core.scheduling.book', 'org'), ('owner', 'core.scheduling.manage', 'org'),
  ('admin', 'core.scheduling.read', 'org'), ('admin', 'core.scheduling.book', 'org'), ('admin', 'core.scheduling.manage', 'org'),
  ('executive', 'core.scheduling.read', 'org'),
  ('manager', 'core.scheduling.read', 'org'), ('manager', 'core.scheduling.book', 'org'),
  ('member', 'core.scheduling.read', 'org'), ('member', 'core.scheduling.book', 'own'),
  ('viewer', 'core.scheduling.read', 'org');
select private.install_system_roles(id) from public.organizations;

alter table public.organizations add column reminder_offsets_minutes integer[] not null default '{1440,60}'
  constraint organizations_reminder_offsets_range check (cardinality(reminder_offsets_minutes) <= 5 and 0 < all (reminder_offsets_minutes) and 20160 >= all (reminder_offsets_minutes));
comment on column public.organizations.reminder_offsets_minutes is 'When booking reminders go out, in minutes before the start (default 24 h and 1 h; at most 5, up to 14 days).';
grant update (reminder_offsets_minutes) on public.organizations to authenticated;

create table public.resources (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  name text not null,
  kind text not null default 'member',
  member_user_id uuid references auth.users (id) on delete set null,
  time_zone text not null,
  slot_minutes integer not null default 30,
  buffer_before_minutes integer not null default 0,
  buffer_after_minutes integer not null default 0,
  min_notice_minutes integer not null default 60,
  max_horizon_days integer not null default 60,
  hold_minutes integer not null default 10,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint resources_name_length check (char_length(btrim(name)) between 1 and 200),
  constraint resources_kind_values check (kind in ('member', 'room', 'equipment', 'other')),
  constraint resources_slot_range check (slot_minutes between 5 and 480),
  constraint resources_buffers_range check (buffer_before_minutes between 0 and 240 and buffer_after_minutes between 0 and 240),
  constraint resources_notice_range check (min_notice_minutes between 0 and 43200),
  constraint resources_horizon_range check (max_horizon_days between 1 and 730),
  constraint resources_hold_range check (hold_minutes between 1 and 120),
  constraint resources_org_id_id_key unique (org_id, id)
);
create index resources_member_idx on public.resources (member_user_id);
comment on table public.resources is 'Something bookable in an organization (a member such as a doctor or interviewer, a room), with its IANA time zone and booking rules.';
comment on column public.resources.time_zone is 'IANA zone the weekly availability is written in (e.g. Europe/Berlin).';
comment on column public.resources.min_notice_minutes is 'No booking may start sooner than this after now.';
comment on column public.resources.max_horizon_days is 'No booking may start later than this many days from now.';

create trigger touch_updated_at before update on public.resources for each row execute function private.touch_updated_at();
create trigger check_time_zone before insert or update of time_zone on public.resources for each row execute function private.check_time_zone();

create table public.availability_rules (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null,
  resource_id uuid not null,
  weekday smallint not null,
  start_time time not null,
  end_time time not null,
  created_at timestamptz not null default now(),
  constraint availability_rules_weekday_range check (weekday between 1 and 7),
  constraint availability_rules_window check (end_time > start_time),
  constraint availability_rules_resource_fkey foreign key (org_id, resource_id) references public.resources (org_id, id) on delete cascade
);
create index availability_rules_resource_idx on public.availability_rules (org_id, resource_id, weekday);
comment on table public.availability_rules is 'Weekly windows (ISO weekday 1 = Monday) in the resource''s local time; several per day allowed.';

create table public.availability_overrides (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null,
  resource_id uuid not null,
  local_date date not null,
  start_time time,
  end_time time,
  created_at timestamptz not null default now(),
  constraint availability_overrides_window check ((start_time is null and end_time is null) or (start_time is not null and end_time > start_time)),
  constraint availability_overrides_resource_fkey foreign key (org_id, resource_id) references public.resources (org_id, id) on delete cascade
);
create index availability_overrides_resource_idx on public.availability_overrides (org_id, resource_id, local_date);
comment on table public.availability_overrides is 'A date whose availability replaces the weekly rules: its windows, or (no times) the whole day off.';

create table public.time_off (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null,
  resource_id uuid not null,
  period tstzrange not null,
  reason text,
  created_at timestamptz not null default now(),
  constraint time_off_period_bounded check (not isempty(period) and lower_inf(period) is false and upper_inf(period) is false),
  constraint time_off_resource_fkey foreign key (org_id, resource_id) references public.resources (org_id, id) on delete cascade
);
create index time_off_resource_idx on public.time_off using gist (resource_id, period);
create index time_off_org_resource_idx on public.time_off (org_id, resource_id);
comment on table public.time_off is 'Absolute periods a resource is away (holidays, leave); subtracted from availability.';

create type public.booking_status as enum ('held', 'confirmed', 'cancelled', 'completed', 'no_show');

create table public.bookings (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null,
  resource_id uuid not null,
  period tstzrange not null,
  blocked tstzrange not null,
  status public.booking_status not null default 'confirmed',
  hold_expires_at timestamptz,
  title text not null default '',
  notes text not null default '',
  booked_by uuid default auth.uid() references auth.users (id) on delete set null,
  idempotency_key text,
  video_url text,
  cancel_reason text,
  buffer_before_minutes integer not null default 0,
  buffer_after_minutes integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint bookings_period_valid check (not isempty(period) and lower(period) < upper(period) and not lower_inf(period) and not upper_inf(period)),
  constraint bookings_hold_fields check ((status = 'held') = (hold_expires_at is not null)),
  constraint bookings_title_length check (char_length(title) <= 200),
  constraint bookings_idempotency_key_length check (idempotency_key is null or char_length(idempotency_key) between 8 and 200),
  constraint bookings_resource_fkey foreign key (org_id, resource_id) references public.resources (org_id, id) on delete cascade,
  constraint bookings_org_id_id_key unique (org_id, id),
  -- Double booking is impossible: no two active bookings or holds of one resource overlap, buffers included.
  constraint bookings_no_overlap exclude using gist (resource_id with =, blocked with &&) where (status in ('held', 'confirmed'))
);
create unique index bookings_idempotency_idx on public.bookings (org_id, booked_by, idempotency_key) where idempotency_key is not null;
create index bookings_org_resource_idx on public.bookings (org_id, resource_id);
create index bookings_booked_by_idx on public.bookings (booked_by);
create index bookings_start_idx on public.bookings (lower(period)) where status = 'confirmed';
create index bookings_hold_expiry_idx on public.bookings (hold_expires_at) where status = 'held';
comment on table public.bookings is 'Holds and bookings of a resource. An exclusion constraint makes overlapping active bookings impossible; a clash answers 409.';
comment on column public.bookings.blocked is 'The period plus the resource''s buffers (copied at booking time): what may not overlap.';
comment on column public.bookings.idempotency_key is 'Client-supplied: a retried request with the same key returns the first booking.';

create or replace function private.set_booking_blocked()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.blocked := tstzrange(lower(new.period) - make_interval(mins => new.buffer_before_minutes),
                           upper(new.period) + make_interval(mins => new.buffer_after_minutes), '[)');
  return new;
end
$$;
comment on function private.set_booking_blocked() is 'Keeps bookings.blocked = period widened by the buffers.';
create trigger set_blocked before insert or update of period, buffer_before_minutes, buffer_after_minutes on public.bookings
  for each row execute function private.set_booking_blocked();
create trigger touch_updated_at before update on public.bookings for each row execute function private.touch_updated_at();

create table public.booking_attendees (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null,
  booking_id uuid not null,
  user_id uuid references auth.users (id) on delete set null,
  email text not null,
  name text not null default '',
  created_at timestamptz not null default now(),
  constraint booking_attendees_email_format check (email = lower(email) and email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  constraint booking_attendees_booking_fkey foreign key (org_id, booking_id) references public.bookings (org_id, id) on delete cascade,
  constraint booking_attendees_unique unique (booking_id, email)
);
create index booking_attendees_user_idx on public.booking_attendees (user_id);
create index booking_attendees_org_booking_idx on public.booking_attendees (org_id, booking_id);
comment on table public.booking_attendees is 'Who a booking is for (members or outside guests); they get the confirmation, reminders and changes.';

create table private.booking_reminders (
  booking_id uuid not null references public.bookings (id) on delete cascade,
  offset_minutes integer not null,
  sent_at timestamptz not null default now(),
  primary key (booking_id, offset_minutes)
);
comment on table private.booking_reminders is 'Reminders already sent, one per booking and offset: a job that runs twice or late sends each once.';
alter table private.booking_reminders enable row level security;
revoke all on private.booking_reminders from public, anon, authenticated, service_role;

create table public.calendar_feeds (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  token_hash text not null unique,
  label text not null default 'Calendar',
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  constraint calendar_feeds_token_hash_format check (token_hash ~ '^[0-9a-f]{64}$')
);
create index calendar_feeds_user_idx on public.calendar_feeds (user_id);
comment on table public.calendar_feeds is 'Secret iCalendar feed URLs per user (the token is stored hashed); revocable.';

-- ---------------------------------------------------------------------------------------------
-- Row-level security
-- ---------------------------------------------------------------------------------------------

revoke all on public.resources, public.availability_rules, public.availability_overrides, public.time_off, public.bookings,
  public.booking_attendees, public.calendar_feeds from anon, authenticated;
grant select on public.resources, public.availability_rules, public.availability_overrides, public.time_off, public.bookings,
  public.booking_attendees, public.calendar_feeds to authenticated;
grant insert (org_id, name, kind, member_user_id, time_zone, slot_minutes, buffer_before_minutes, buffer_after_minutes, min_notice_minutes,
  max_horizon_days, hold_minutes, active) on public.resources to authenticated;
grant update (name, kind, member_user_id, time_zone, slot_minutes, buffer_before_minutes, buffer_after_minutes, min_notice_minutes,
  max_horizon_days, hold_minutes, active) on public.resources to authenticated;
grant insert, update, delete on public.availability_rules, public.availability_overrides, public.time_off to authenticated;
grant update (label, revoked_at) on public.calendar_feeds to authenticated;

alter table public.resources enable row level security;
alter table public.availability_rules enable row level security;
alter table public.availability_overrides enable row level security;
alter table public.time_off enable row level security;
select private.create_scoped_policies('public.resources', 'core.scheduling.read', 'core.scheduling.manage');
select private.create_scoped_policies('public.availability_rules', 'core.scheduling.read', 'core.scheduling.manage');
select private.create_scoped_policies('public.availability_overrides', 'core.scheduling.read', 'core.scheduling.manage');
select private.create_scoped_policies('public.time_off', 'core.scheduling.read', 'core.scheduling.manage');

-- Bookings and attendees are written only through the scheduling functions; read by scope.
alter table public.bookings enable row level security;
alter table public.booking_attendees enable row level security;
create policy "Members with core.scheduling.read read bookings" on public.bookings
  for select to authenticated using (org_id in (select private.org_ids_with('core.scheduling.read')));
create policy "Organizations requiring MFA demand aal2 to read bookings" on public.bookings
  as restrictive for select to authenticated using (org_id not in (select private.mfa_blocked_org_ids()));
create policy "Readers of a booking read its attendees" on public.booking_attendees
  for select to authenticated using (booking_id in (select b.id from public.bookings b where b.org_id = booking_attendees.org_id));

alter table public.calendar_feeds enable row level security;
create policy "Users read their own calendar feeds" on public.calendar_feeds
  for select to authenticated using (user_id = (select auth.uid()));
create policy "Users revoke their own calendar feeds" on public.calendar_feeds
  for update to authenticated using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));

select audit.enable('public.resources');
select audit.enable('public.availability_rules');
select audit.enable('public.availability_overrides');
select audit.enable('public.time_off');
select audit.enable('public.bookings');
select audit.enable('public.booking_attendees');
select audit.enable('public.calendar_feeds', array['token_hash'], null);

-- ---------------------------------------------------------------------------------------------
-- Workflows (called by the scheduling function as the caller; each checks the caller itself)
-- ---------------------------------------------------------------------------------------------

create or replace function private.expire_holds(p_resource_id uuid default null)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_count integer;
begin
  update public.bookings set status = 'cancelled', cancel_reason = 'hold expired', hold_expires_at = null
  where status = 'held' and hold_expires_at <= private.now() and (p_resource_id is null or resource_id = p_resource_id);
  get diagnostics v_count = row_count;
  return v_count;
end
$$;
comment on function private.expire_holds(uuid) is 'Releases holds past their expiry (every minute by pg_cron, and before each booking of the resource).';

-- Emails every attendee about a booking (kind: confirmed, rescheduled, cancelled, reminder).
create or replace function private.send_booking_emails(p_booking public.bookings, p_kind text, p_key text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_resource public.resources;
  v_attendee record;
begin
  select * into v_resource from public.resources where id = p_booking.resource_id;
  for v_attendee in select a.email, coalesce(p.locale, 'en') as locale from public.booking_attendees a
                    left join public.profiles p on p.id = a.user_id where a.booking_id = p_booking.id loop
    perform private.enqueue_email('booking', v_attendee.email, jsonb_build_object(
      'kind', p_kind, 'booking_id', p_booking.id, 'title', coalesce(nullif(p_booking.title, ''), v_resource.name),
      'resource_name', v_resource.name, 'time_zone', v_resource.time_zone,
      'start_utc', to_char(lower(p_booking.period) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
      'end_utc', to_char(upper(p_booking.period) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
      'start_local', to_char(lower(p_booking.period) at time zone v_resource.time_zone, 'YYYY-MM-DD HH24:MI'),
      'end_local', to_char(upper(p_booking.period) at time zone v_resource.time_zone, 'HH24:MI'),
      'video_url', p_booking.video_url, 'sequence', floor(extract(epoch from p_booking.updated_at))::bigint,
      'attendee_email', v_attendee.email),
      format('booking:%s:%s:%s', p_booking.id, p_key, v_attendee.email), v_attendee.locale, p_booking.org_id);
  end loop;
end
$$;
comment on function private.send_booking_emails(public.bookings, text, text) is 'Puts a booking email (with its .ics) in the outbox for every attendee; idempotent by key.';

create or replace function private.booking_clash(p_resource_id uuid, p_blocked tstzrange, p_except uuid)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select json_build_object('start', lower(b.period), 'end', upper(b.period))::text
  from public.bookings b
  where b.resource_id = p_resource_id and b.status in ('held', 'confirmed') and b.blocked && p_blocked and b.id is distinct from p_except
  order by lower(b.period) limit 1
$$;
comment on function private.booking_clash(uuid, tstzrange, uuid) is 'The booking a new time clashes with, as JSON, for the 409 answer.';

create or replace function private.check_booking_time(p_resource public.resources, p_start timestamptz, p_end timestamptz)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if p_end <= p_start then
    raise exception 'Cannot book: the end (%) is not after the start (%)', p_end, p_start using errcode = '22023';
  end if;
  if p_end - p_start > interval '24 hours' then
    raise exception 'Cannot book more than 24 hours at once' using errcode = '22023';
  end if;
  if p_start < private.now() + make_interval(mins => p_resource.min_notice_minutes) then
    raise exception 'Cannot book: % needs % minutes'' notice', p_resource.name, p_resource.min_notice_minutes using errcode = '22023';
  end if;
  if p_start > private.now() + make_interval(days => p_resource.max_horizon_days) then
    raise exception 'Cannot book: % takes bookings at most % days ahead', p_resource.name, p_resource.max_horizon_days using errcode = '22023';
  end if;
end
$$;
comment on function private.check_booking_time(public.resources, timestamptz, timestamptz) is 'Refuses an end before the start, and a start inside the minimum notice or past the horizon.';

create or replace function private.create_booking(
  p_resource_id uuid, p_start timestamptz, p_end timestamptz, p_title text, p_notes text, p_hold boolean,
  p_idempotency_key text, p_video_url text, p_attendees jsonb
)
returns public.bookings
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_resource public.resources;
  v_booking public.bookings;
  v_uid uuid := auth.uid();
  v_blocked tstzrange;
begin
  -- Bookings of one resource queue on its row: the loser of a race sees the winner's committed
  -- booking at once (409), instead of two in-progress inserts deadlocking on the exclusion constraint.
  select * into v_resource from public.resources where id = p_resource_id and active for update;
  if v_resource.id is null or not private.has_permission(v_resource.org_id, 'core.scheduling.book', 'own')
     or v_resource.org_id in (select private.mfa_blocked_org_ids()) then
    raise exception 'Cannot book resource %: no such resource you may book', p_resource_id using errcode = 'P0002';
  end if;
  if p_idempotency_key is not null then
    select * into v_booking from public.bookings where org_id = v_resource.org_id and booked_by = v_uid and idempotency_key = p_idempotency_key;
    if v_booking.id is not null then
      return v_booking; -- a retried request gets the first booking
    end if;
  end if;
  perform private.check_booking_time(v_resource, p_start, p_end);
  v_blocked := tstzrange(p_start - make_interval(mins => v_resource.buffer_before_minutes), p_end + make_interval(mins => v_resource.buffer_after_minutes), '[)');
  update public.bookings set status = 'cancelled', cancel_reason = 'hold expired', hold_expires_at = null
  where resource_id = p_resource_id and status = 'held' and hold_expires_at <= private.now() and blocked && v_blocked;
  begin
    insert into public.bookings (org_id, resource_id, period, status, hold_expires_at, title, notes, booked_by, idempotency_key, video_url,
                                 buffer_before_minutes, buffer_after_minutes)
    values (v_resource.org_id, p_resource_id, tstzrange(p_start, p_end, '[)'),
            case when p_hold then 'held'::public.booking_status else 'confirmed' end,
            case when p_hold then private.now() + make_interval(mins => v_resource.hold_minutes) end,
            coalesce(p_title, ''), coalesce(p_notes, ''), v_uid, p_idempotency_key, p_video_url,
            v_resource.buffer_before_minutes, v_resource.buffer_after_minutes)
    returning * into v_booking;
  exception
    when exclusion_violation then
      raise exception 'Cannot book %: the time clashes with another booking', v_resource.name
        using errcode = 'GW409', detail = json_build_object('clash', private.booking_clash(p_resource_id, v_blocked, null)::json)::text;
    when unique_violation then
      -- The same idempotency key raced in from another request: return its booking.
      select * into v_booking from public.bookings where org_id = v_resource.org_id and booked_by = v_uid and idempotency_key = p_idempotency_key;
      return v_booking;
  end;
  insert into public.booking_attendees (org_id, booking_id, user_id, email, name)
  select v_booking.org_id, v_booking.id, (a ->> 'user_id')::uuid, lower(btrim(a ->> 'email')), coalesce(a ->> 'name', '')
  from jsonb_array_elements(coalesce(p_attendees, '[]')) a
  on conflict (booking_id, email) do nothing;
  insert into public.booking_attendees (org_id, booking_id, user_id, email, name)
  select v_booking.org_id, v_booking.id, p.id, lower(p.email), p.display_name from public.profiles p where p.id = v_uid and p.email is not null
  on conflict (booking_id, email) do nothing;
  if not p_hold then
    perform private.send_booking_emails(v_booking, 'confirmed', 'confirmed');
  end if;
  return v_booking;
end
$$;
comment on function private.create_booking(uuid, timestamptz, timestamptz, text, text, boolean, text, text, jsonb) is 'Holds or books a resource (core.scheduling.book): idempotent by key, refused when it clashes (409 with the clash), emails the attendees.';

create or replace function private.booking_for_change(p_booking_id uuid, p_action text)
returns public.bookings
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_booking public.bookings;
begin
  select * into v_booking from public.bookings where id = p_booking_id for update;
  if v_booking.id is null
     or not (v_booking.booked_by = auth.uid() and private.has_permission(v_booking.org_id, 'core.scheduling.book', 'own')
             or private.has_permission(v_booking.org_id, 'core.scheduling.book', 'org')) then
    raise exception 'Cannot % booking %: no such booking you may change', p_action, p_booking_id using errcode = 'P0002';
  end if;
  if v_booking.status not in ('held', 'confirmed') then
    raise exception 'Cannot % booking: it is %', p_action, v_booking.status using errcode = 'GW409';
  end if;
  return v_booking;
end
$$;
comment on function private.booking_for_change(uuid, text) is 'The booking a change acts on, locked: the booker''s own, or any with core.scheduling.book at org scope.';

create or replace function private.confirm_hold(p_booking_id uuid)
returns public.bookings
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_booking public.bookings := private.booking_for_change(p_booking_id, 'confirm');
begin
  if v_booking.status <> 'held' then
    return v_booking;
  end if;
  if v_booking.hold_expires_at <= private.now() then
    raise exception 'Cannot confirm booking: the hold expired at %', v_booking.hold_expires_at using errcode = 'GW410';
  end if;
  update public.bookings set status = 'confirmed', hold_expires_at = null where id = p_booking_id returning * into v_booking;
  perform private.send_booking_emails(v_booking, 'confirmed', 'confirmed');
  return v_booking;
end
$$;
comment on function private.confirm_hold(uuid) is 'Turns an unexpired hold into a confirmed booking.';

-- Atomic: one UPDATE of the same row, so the old time is freed only if the new one is taken.
create or replace function private.reschedule_booking(p_booking_id uuid, p_start timestamptz, p_end timestamptz)
returns public.bookings
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_booking public.bookings := private.booking_for_change(p_booking_id, 'reschedule');
  v_resource public.resources;
begin
  select * into v_resource from public.resources where id = v_booking.resource_id for update;
  perform private.check_booking_time(v_resource, p_start, p_end);
  begin
    update public.bookings set period = tstzrange(p_start, p_end, '[)') where id = p_booking_id returning * into v_booking;
  exception when exclusion_violation then
    raise exception 'Cannot reschedule: the new time clashes with another booking' using errcode = 'GW409',
      detail = json_build_object('clash', private.booking_clash(v_booking.resource_id,
        tstzrange(p_start - make_interval(mins => v_booking.buffer_before_minutes), p_end + make_interval(mins => v_booking.buffer_after_minutes), '[)'),
        p_booking_id)::json)::text;
  end;
  delete from private.booking_reminders where booking_id = p_booking_id;
  perform private.send_booking_emails(v_booking, 'rescheduled', 'rescheduled:' || extract(epoch from clock_timestamp()));
  return v_booking;
end
$$;
comment on function private.reschedule_booking(uuid, timestamptz, timestamptz) is 'Moves a booking to a new time atomically (409 on a clash; the old time stays booked), re-arms its reminders and tells the attendees.';

create or replace function private.cancel_booking(p_booking_id uuid, p_reason text)
returns public.bookings
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_booking public.bookings := private.booking_for_change(p_booking_id, 'cancel');
begin
  update public.bookings set status = 'cancelled', hold_expires_at = null, cancel_reason = left(coalesce(p_reason, ''), 500)
  where id = p_booking_id returning * into v_booking;
  perform private.send_booking_emails(v_booking, 'cancelled', 'cancelled');
  return v_booking;
end
$$;
comment on function private.cancel_booking(uuid, text) is 'Cancels a booking with a reason and tells the attendees.';

-- Reminders: each (booking, offset) once, however often or late the job runs.
create or replace function private.send_booking_reminders()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_due record;
  v_booking public.bookings;
  v_count integer := 0;
begin
  for v_due in
    with due as (
      select b.id, o.offset_minutes
      from public.bookings b
      join public.organizations org on org.id = b.org_id
      cross join lateral unnest(org.reminder_offsets_minutes) as o (offset_minutes)
      where b.status = 'confirmed' and lower(b.period) > private.now()
        and lower(b.period) - make_interval(mins => o.offset_minutes) <= private.now()
    )
    insert into private.booking_reminders (booking_id, offset_minutes)
    select id, offset_minutes from due
    on conflict do nothing
    returning booking_id, offset_minutes
  loop
    select * into v_booking from public.bookings where id = v_due.booking_id;
    perform private.send_booking_emails(v_booking, 'reminder', 'reminder:' || v_due.offset_minutes);
    if v_booking.booked_by is not null then
      perform private.notify(v_booking.booked_by, 'core.booking_reminder',
        format('Reminder: %s at %s', coalesce(nullif(v_booking.title, ''), 'your booking'), to_char(lower(v_booking.period) at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')),
        '', null, jsonb_build_object('booking_id', v_booking.id, 'offset_minutes', v_due.offset_minutes), v_booking.org_id, 'high', null, null);
    end if;
    v_count := v_count + 1;
  end loop;
  return v_count;
end
$$;
comment on function private.send_booking_reminders() is 'Sends due reminders (organizations.reminder_offsets_minutes) by email and in-app, once per booking and offset. Run every 5 minutes by pg_cron.';

revoke all on function private.expire_holds(uuid), private.send_booking_emails(public.bookings, text, text),
  private.booking_clash(uuid, tstzrange, uuid), private.check_booking_time(public.resources, timestamptz, timestamptz),
  private.create_booking(uuid, timestamptz, timestamptz, text, text, boolean, text, text, jsonb), private.booking_for_change(uuid, text),
  private.confirm_hold(uuid), private.reschedule_booking(uuid, timestamptz, timestamptz), private.cancel_booking(uuid, text),
  private.send_booking_reminders() from public;
grant execute on function private.create_booking(uuid, timestamptz, timestamptz, text, text, boolean, text, text, jsonb),
  private.confirm_hold(uuid), private.reschedule_booking(uuid, timestamptz, timestamptz), private.cancel_booking(uuid, text) to authenticated;

-- Calendar feeds: the token is 256 random bits, stored hashed.
create or replace function private.create_calendar_feed(p_token text, p_label text)
returns public.calendar_feeds
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_feed public.calendar_feeds;
begin
  if auth.uid() is null then
    raise exception 'Cannot create a calendar feed: sign in first' using errcode = '42501';
  end if;
  insert into public.calendar_feeds (user_id, token_hash, label)
  values (auth.uid(), private.token_hash(p_token), coalesce(nullif(btrim(p_label), ''), 'Calendar'))
  returning * into v_feed;
  return v_feed;
end
$$;
comment on function private.create_calendar_feed(text, text) is 'Creates a calendar feed for the caller; only the token''s hash is kept.';

-- The bookings a feed shows: the user's own, where they attend, and those of resources that are them.
create or replace function private.calendar_feed_bookings(p_token text)
returns table (id uuid, title text, resource_name text, period tstzrange, status public.booking_status, video_url text, updated_at timestamptz, time_zone text)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_feed public.calendar_feeds;
begin
  select * into v_feed from public.calendar_feeds where token_hash = private.token_hash(p_token) and revoked_at is null;
  if v_feed.id is null then
    raise exception 'Cannot read the calendar: the feed does not exist or was revoked' using errcode = 'P0002';
  end if;
  update public.calendar_feeds set last_used_at = pg_catalog.now() where public.calendar_feeds.id = v_feed.id;
  return query
    select b.id, coalesce(nullif(b.title, ''), r.name), r.name, b.period, b.status, b.video_url, b.updated_at, r.time_zone
    from public.bookings b join public.resources r on r.id = b.resource_id
    where b.status in ('confirmed', 'cancelled') and upper(b.period) > private.now() - interval '30 days'
      and (b.booked_by = v_feed.user_id or r.member_user_id = v_feed.user_id
           or exists (select 1 from public.booking_attendees a where a.booking_id = b.id and a.user_id = v_feed.user_id))
      and b.org_id in (select m.org_id from public.members m where m.user_id = v_feed.user_id and m.status = 'active')
    order by lower(b.period);
end
$$;
comment on function private.calendar_feed_bookings(text) is 'The bookings behind a calendar feed token (the last 30 days and the future), for an active member only.';

revoke all on function private.create_calendar_feed(text, text), private.calendar_feed_bookings(text) from public;
grant execute on function private.create_calendar_feed(text, text) to authenticated;
grant execute on function private.calendar_feed_bookings(text) to service_role;

select cron.schedule('groundwork-expire-holds', '* * * * *', 'select private.expire_holds()');
select cron.schedule('groundwork-booking-reminders', '*/5 * * * *', 'select private.send_booking_reminders()');
