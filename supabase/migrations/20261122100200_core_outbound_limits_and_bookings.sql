-- Core hardening, part 3: outbound email a caller causes is rate limited in one place, and
-- bookings answer honestly.
--
-- Tables: private.rate_limit_rules (new); public.booking_attendees.response (new column).
-- 1. private.enqueue_email counts every message a signed-in caller's request queues to an
--    address other than their own, per user and per organization (private.rate_limit_rules), and
--    refuses with GW429 (HTTP 429 + Retry-After) before anything is queued. Bookings, reschedules,
--    cancellations, invitations and notifications all queue through it; scheduled jobs (no caller)
--    are not counted.
-- 2. Another member added as an attendee is notified and answers; their calendar feed shows the
--    booking only once they accepted it. An attendee who names a user must name a member, and
--    their address is the member's own, not one the caller typed.
-- 3. Idempotent booking: one lookup in the database, scoped to the resource's organization; the
--    first creation reports created, every replay reports replayed, whatever the timing; a key
--    reused for another request is refused.
-- 4. Clear answers: booking in the past says so.

-- ---------------------------------------------------------------------------------------------
-- 1. Outbound email limits
-- ---------------------------------------------------------------------------------------------

create table private.rate_limit_rules (
  name text primary key,
  max_hits integer not null,
  per interval not null,
  description text not null,
  constraint rate_limit_rules_positive check (max_hits > 0 and per > interval '0')
);
comment on table private.rate_limit_rules is 'Named limits the core limiter applies (private.enforce_named_limit). Operators tune a deployment by updating a row.';
alter table private.rate_limit_rules enable row level security;
revoke all on private.rate_limit_rules from public, anon, authenticated, service_role;
insert into private.rate_limit_rules (name, max_hits, per, description) values
  ('email.user', 60, interval '1 hour', 'Emails one signed-in user''s requests may queue to addresses other than their own'),
  ('email.org', 600, interval '1 hour', 'Emails the requests of one organization''s members may queue to addresses other than the caller''s own');

create or replace function private.enforce_named_limit(p_rule text, p_subject text, p_what text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_rule private.rate_limit_rules;
begin
  select * into v_rule from private.rate_limit_rules where name = p_rule;
  if v_rule.name is null then
    raise exception 'Cannot apply rate limit %: no such rule', p_rule;
  end if;
  perform private.enforce_rate_limit(p_rule || ':' || p_subject, v_rule.max_hits, v_rule.per, p_what);
end
$$;
comment on function private.enforce_named_limit(text, text, text) is 'Counts a hit for the subject under a named rule of private.rate_limit_rules; raises GW429 (HTTP 429, Retry-After) when over it.';
revoke all on function private.enforce_named_limit(text, text, text) from public;

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
  v_recipient text := lower(btrim(p_recipient));
  v_caller uuid := auth.uid();
begin
  select id into v_id from private.email_outbox where idempotency_key = p_idempotency_key;
  if v_id is not null then
    return v_id;
  end if;
  -- A caller's request that mails someone else is counted before anything is queued.
  if v_caller is not null and v_recipient is distinct from (select lower(u.email) from auth.users u where u.id = v_caller) then
    perform private.enforce_named_limit('email.user', v_caller::text, 'send more email');
    if p_org_id is not null then
      perform private.enforce_named_limit('email.org', p_org_id::text, 'send more email from this organization');
    end if;
  end if;
  insert into private.email_outbox (template, recipient, data, idempotency_key, locale, org_id, redact_keys, next_attempt_at)
  values (p_template, v_recipient, coalesce(p_data, '{}'), p_idempotency_key, coalesce(p_locale, 'en'), p_org_id,
          p_redact_keys, coalesce(p_deliver_at, private.now()))
  on conflict (idempotency_key) do nothing
  returning id into v_id;
  if v_id is null then
    select id into v_id from private.email_outbox where idempotency_key = p_idempotency_key;
  end if;
  return v_id;
end
$$;
comment on function private.enqueue_email(text, text, jsonb, text, text, uuid, text[], timestamptz) is 'Adds an email to the outbox in the caller''s transaction; idempotent by key. Mail a signed-in caller causes to anyone but themself counts against the email.user and email.org limits first (429 when over).';
revoke all on function private.enqueue_email(text, text, jsonb, text, text, uuid, text[], timestamptz) from public;

-- ---------------------------------------------------------------------------------------------
-- 2. Attendees who are members answer before a booking reaches their calendar
-- ---------------------------------------------------------------------------------------------

alter table public.booking_attendees add column response text not null default 'needs_action'
  constraint booking_attendees_response_values check (response in ('needs_action', 'accepted', 'declined'));
comment on column public.booking_attendees.response is 'A member attendee''s answer (needs_action, accepted, declined). The booker has accepted; guests without an account stay needs_action. Only accepted bookings reach a member''s calendar feed.';
update public.booking_attendees a set response = 'accepted'
from public.bookings b where b.id = a.booking_id and a.user_id = b.booked_by;

create or replace function private.respond_to_booking(p_booking_id uuid, p_response text)
returns public.booking_attendees
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_attendee public.booking_attendees;
begin
  if p_response not in ('accepted', 'declined') then
    raise exception 'Cannot answer the booking with %: say accepted or declined', p_response using errcode = '22023';
  end if;
  update public.booking_attendees a set response = p_response
  where a.booking_id = p_booking_id and a.user_id = auth.uid()
    and a.org_id not in (select private.mfa_blocked_org_ids())
  returning * into v_attendee;
  if v_attendee.id is null then
    raise exception 'Cannot answer booking %: you are not one of its attendees', p_booking_id using errcode = 'P0002';
  end if;
  return v_attendee;
end
$$;
comment on function private.respond_to_booking(uuid, text) is 'The signed-in attendee accepts or declines a booking they were added to; accepted bookings appear in their calendar feed.';
revoke all on function private.respond_to_booking(uuid, text) from public;
grant execute on function private.respond_to_booking(uuid, text) to authenticated;

create or replace function public.respond_to_booking(p_booking_id uuid, p_response text)
returns public.booking_attendees
language sql
security invoker
set search_path = ''
as $$ select * from private.respond_to_booking(p_booking_id, p_response) $$;
comment on function public.respond_to_booking(uuid, text) is 'Accept or decline a booking you were added to as an attendee (accepted or declined).';
revoke all on function public.respond_to_booking(uuid, text) from public, anon;
grant execute on function public.respond_to_booking(uuid, text) to authenticated;

-- The bookings a feed shows: the user's own, those of resources that are them, and those they accepted.
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
           or exists (select 1 from public.booking_attendees a where a.booking_id = b.id and a.user_id = v_feed.user_id and a.response = 'accepted'))
      and b.org_id in (select m.org_id from public.members m where m.user_id = v_feed.user_id and m.status = 'active')
    order by lower(b.period);
end
$$;
comment on function private.calendar_feed_bookings(text) is 'The bookings behind a calendar feed token (the last 30 days and the future): booked by the user, of a resource that is them, or accepted as an attendee; for an active member only.';
revoke all on function private.calendar_feed_bookings(text) from public;
grant execute on function private.calendar_feed_bookings(text) to service_role;

-- ---------------------------------------------------------------------------------------------
-- 3 and 4. Booking: honest replays and clear refusals
-- ---------------------------------------------------------------------------------------------

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
  if p_start < private.now() then
    raise exception 'Cannot book: the start (%) is in the past', p_start using errcode = '22023';
  end if;
  if p_start < private.now() + make_interval(mins => p_resource.min_notice_minutes) then
    raise exception 'Cannot book: % needs % minutes'' notice', p_resource.name, p_resource.min_notice_minutes using errcode = '22023';
  end if;
  if p_start > private.now() + make_interval(days => p_resource.max_horizon_days) then
    raise exception 'Cannot book: % takes bookings at most % days ahead', p_resource.name, p_resource.max_horizon_days using errcode = '22023';
  end if;
end
$$;
comment on function private.check_booking_time(public.resources, timestamptz, timestamptz) is 'Refuses an end before the start, a start in the past, inside the minimum notice or past the horizon.';
revoke all on function private.check_booking_time(public.resources, timestamptz, timestamptz) from public;

-- The one definition of "the booking this idempotency key already made".
create or replace function private.booking_replay(p_resource_id uuid, p_idempotency_key text)
returns public.bookings
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_booking public.bookings;
begin
  if p_idempotency_key is null then
    return null;
  end if;
  select b.* into v_booking from public.bookings b
  where b.org_id = (select r.org_id from public.resources r where r.id = p_resource_id)
    and b.booked_by = auth.uid() and b.idempotency_key = p_idempotency_key;
  return v_booking;
end
$$;
comment on function private.booking_replay(uuid, text) is 'The booking the caller already made with this idempotency key in the organization of the resource (keys are per user and organization), or null.';
revoke all on function private.booking_replay(uuid, text) from public;
grant execute on function private.booking_replay(uuid, text) to authenticated;

create or replace function private.book_resource(
  p_resource_id uuid, p_start timestamptz, p_end timestamptz, p_title text, p_notes text, p_hold boolean,
  p_idempotency_key text, p_video_url text, p_attendees jsonb
)
returns table (booking public.bookings, replayed boolean)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_resource public.resources;
  v_booking public.bookings;
  v_uid uuid := auth.uid();
  v_blocked tstzrange;
  v_attendee record;
  v_created boolean := false;
begin
  -- Bookings of one resource queue on its row: the loser of a race sees the winner's committed
  -- booking at once (409, or its replay), instead of two in-progress inserts deadlocking.
  select * into v_resource from public.resources where id = p_resource_id and active for update;
  if v_resource.id is null or not private.has_permission(v_resource.org_id, 'core.scheduling.book', 'own')
     or v_resource.org_id in (select private.mfa_blocked_org_ids()) then
    raise exception 'Cannot book resource %: no such resource you may book', p_resource_id using errcode = 'P0002';
  end if;
  v_booking := private.booking_replay(p_resource_id, p_idempotency_key);
  if v_booking.id is null then
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
      v_created := true;
    exception
      when exclusion_violation then
        raise exception 'Cannot book %: the time clashes with another booking', v_resource.name
          using errcode = 'GW409', detail = json_build_object('clash', private.booking_clash(p_resource_id, v_blocked, null)::json)::text;
      when unique_violation then
        v_booking := private.booking_replay(p_resource_id, p_idempotency_key); -- the key raced in through another resource
    end;
    if v_created then
      -- Created here: attendees, invitations to member attendees, confirmation emails.
      for v_attendee in
        select (a ->> 'user_id')::uuid as user_id, lower(btrim(a ->> 'email')) as email, coalesce(a ->> 'name', '') as name
        from jsonb_array_elements(coalesce(p_attendees, '[]')) a
      loop
        if v_attendee.user_id is not null then
          select lower(p.email), coalesce(nullif(v_attendee.name, ''), p.display_name) into v_attendee.email, v_attendee.name
          from public.members m join public.profiles p on p.id = m.user_id
          where m.org_id = v_booking.org_id and m.user_id = v_attendee.user_id and m.status = 'active';
          if v_attendee.email is null then
            raise exception 'Cannot add attendee %: they are not an active member of this organization', v_attendee.user_id using errcode = '22023';
          end if;
        end if;
        insert into public.booking_attendees (org_id, booking_id, user_id, email, name, response)
        values (v_booking.org_id, v_booking.id, v_attendee.user_id, v_attendee.email, v_attendee.name,
                case when v_attendee.user_id = v_uid then 'accepted' else 'needs_action' end)
        on conflict (booking_id, email) do nothing;
        if v_attendee.user_id is not null and v_attendee.user_id <> v_uid then
          perform private.notify(p_user_id => v_attendee.user_id, p_type => 'core.booking_invitation',
            p_title => left(format('You were added to %s', coalesce(nullif(v_booking.title, ''), v_resource.name)), 200),
            p_body => 'Accept it to see it in your calendar feed, or decline it.',
            p_data => jsonb_build_object('booking_id', v_booking.id, 'resource_id', v_resource.id), p_org_id => v_booking.org_id);
        end if;
      end loop;
      insert into public.booking_attendees (org_id, booking_id, user_id, email, name, response)
      select v_booking.org_id, v_booking.id, p.id, lower(p.email), p.display_name, 'accepted'
      from public.profiles p where p.id = v_uid and p.email is not null
      on conflict (booking_id, email) do update set user_id = excluded.user_id, response = 'accepted';
      if not p_hold then
        perform private.send_booking_emails(v_booking, 'confirmed', 'confirmed');
      end if;
      return query select v_booking, false;
      return;
    end if;
  end if;
  -- A replay: the same key must mean the same request.
  if v_booking.resource_id <> p_resource_id or lower(v_booking.period) <> p_start or upper(v_booking.period) <> p_end then
    raise exception 'Cannot book: idempotency key % was already used for another booking request', p_idempotency_key using errcode = '22023';
  end if;
  return query select v_booking, true;
end
$$;
comment on function private.book_resource(uuid, timestamptz, timestamptz, text, text, boolean, text, text, jsonb) is 'Holds or books a resource (core.scheduling.book) and says whether it created the booking or replayed an earlier one with the same idempotency key (a key reused for another request is refused). Refused when it clashes (409 with the clash). Member attendees are notified and must accept; the booker and guests get the confirmation email.';
revoke all on function private.book_resource(uuid, timestamptz, timestamptz, text, text, boolean, text, text, jsonb) from public;
grant execute on function private.book_resource(uuid, timestamptz, timestamptz, text, text, boolean, text, text, jsonb) to authenticated;

-- The booking alone, for SQL callers that do not need to know whether it was a replay.
create or replace function private.create_booking(
  p_resource_id uuid, p_start timestamptz, p_end timestamptz, p_title text, p_notes text, p_hold boolean,
  p_idempotency_key text, p_video_url text, p_attendees jsonb
)
returns public.bookings
language sql
security invoker
set search_path = ''
as $$
  select (b.booking).* from private.book_resource(p_resource_id, p_start, p_end, p_title, p_notes, p_hold, p_idempotency_key, p_video_url, p_attendees) b
$$;
comment on function private.create_booking(uuid, timestamptz, timestamptz, text, text, boolean, text, text, jsonb) is 'Holds or books a resource: private.book_resource without the replayed flag.';
revoke all on function private.create_booking(uuid, timestamptz, timestamptz, text, text, boolean, text, text, jsonb) from public;
grant execute on function private.create_booking(uuid, timestamptz, timestamptz, text, text, boolean, text, text, jsonb) to authenticated;
select audit.enable('private.rate_limit_rules');
