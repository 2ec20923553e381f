-- Scheduling in the database: double booking is impossible, retries are idempotent, reschedules
-- are atomic, reminders go out once, and bad input changes nothing.
begin;
select plan(24);

select tests.create_user(e) from unnest(array['boss@sch.test', 'mem@sch.test', 'x@other.test']) e;
create temp table ids as select tests.create_org('sched-a', tests.user_id('boss@sch.test')) as a, tests.create_org('sched-b', tests.user_id('x@other.test')) as b;
alter table ids add column room uuid, add column other_room uuid, add column first uuid;
grant select, update on ids to authenticated;
select tests.add_member((select a from ids), tests.user_id('mem@sch.test'), 'member');
with r as (insert into public.resources (org_id, name, time_zone, buffer_after_minutes, min_notice_minutes)
           select a, 'Room 1', 'Europe/Berlin', 15, 0 from ids returning id)
update ids set room = (select id from r);
with r as (insert into public.resources (org_id, name, time_zone) select b, 'B Room', 'UTC' from ids returning id)
update ids set other_room = (select id from r);
create function pg_temp.at(p_hours integer) returns timestamptz language sql stable as $$ select date_trunc('hour', now()) + make_interval(hours => p_hours) $$;
grant execute on function pg_temp.at(integer) to authenticated;

-- Booking
select tests.act_as('mem@sch.test');
select lives_ok($$ update ids set first = (private.create_booking((select room from ids), pg_temp.at(48), pg_temp.at(49), 'Checkup', '', false, 'key-0000001', null,
  '[{"email": "Guest@Example.test", "name": "Guest"}]')).id $$, 'a member books a slot');
select is((select status::text || '/' || (upper(blocked) - upper(period))::text from public.bookings where id = (select first from ids)), 'confirmed/00:15:00',
  'the blocked range carries the buffer after');
select is((select string_agg(email, ',' order by email) from public.booking_attendees where booking_id = (select first from ids)),
  'guest@example.test,mem@sch.test', 'the guest and the booker attend');
select tests.act_as_postgres();
select is((select count(*)::int from private.email_outbox where idempotency_key like 'booking:' || (select first from ids) || ':confirmed:%'), 2,
  'each attendee''s confirmation is in the outbox, in the same transaction');
select tests.act_as('mem@sch.test');
select is((private.create_booking((select room from ids), pg_temp.at(48), pg_temp.at(49), 'Checkup', '', false, 'key-0000001', null, '[]')).id,
  (select first from ids), 'a retry with the same idempotency key returns the first booking');
select throws_ok($$ select private.create_booking((select room from ids), pg_temp.at(48) + interval '30 minutes', pg_temp.at(50), 'Clash', '', false, null, null, '[]') $$,
  'GW409', 'Cannot book Room 1: the time clashes with another booking', 'an overlapping booking is refused');
select throws_ok($$ select private.create_booking((select room from ids), pg_temp.at(49) + interval '10 minutes', pg_temp.at(50), 'In the buffer', '', false, null, null, '[]') $$,
  'GW409', null, 'so is one inside the buffer');
select lives_ok($$ select private.create_booking((select room from ids), pg_temp.at(49) + interval '15 minutes', pg_temp.at(50), 'After the buffer', '', false, null, null, '[]') $$,
  'right after the buffer is free');

-- Bad input changes nothing
select throws_ok($$ select private.create_booking((select room from ids), pg_temp.at(60), pg_temp.at(59), 'Backwards', '', false, null, null, '[]') $$,
  '22023', null, 'an end before the start is refused');
select throws_ok($$ select private.create_booking((select room from ids), pg_temp.at(-2), pg_temp.at(-1), 'Past', '', false, null, null, '[]') $$,
  '22023', null, 'a time in the past is refused');
select throws_ok($$ select private.create_booking((select room from ids), pg_temp.at(24 * 400), pg_temp.at(24 * 400 + 1), 'Far', '', false, null, null, '[]') $$,
  '22023', null, 'a time past the horizon is refused');
select throws_ok($$ select private.create_booking((select other_room from ids), pg_temp.at(48), pg_temp.at(49), 'Spy', '', false, null, null, '[]') $$,
  'P0002', null, 'another organization''s resource is not found');
select tests.act_as_postgres();
select is((select count(*)::int from public.bookings where resource_id = (select room from ids)), 2, 'only the two valid bookings exist');
select throws_ok($$ insert into public.bookings (org_id, resource_id, period) select a, room, tstzrange(pg_temp.at(48), pg_temp.at(49)) from ids $$,
  '23P01', null, 'even bypassing the functions, the database refuses an overlap');
select throws_ok($$ update public.resources set time_zone = 'Mars/Base' where id = (select room from ids) $$, '22023', null, 'an unknown time zone is refused');

-- Holds, reschedule, cancel
select tests.act_as('mem@sch.test');
select is((private.create_booking((select room from ids), pg_temp.at(72), pg_temp.at(73), 'Hold', '', true, null, null, '[]')).status::text, 'held', 'a hold is taken');
select tests.freeze_time(now() + interval '11 minutes');
select lives_ok($$ select private.create_booking((select room from ids), pg_temp.at(72), pg_temp.at(73), 'After hold', '', false, null, null, '[]') $$,
  'an expired hold no longer blocks');
select tests.unfreeze_time();
select throws_ok($$ select private.reschedule_booking((select first from ids), pg_temp.at(72), pg_temp.at(73)) $$, 'GW409', null,
  'rescheduling onto a taken time is refused');
select is((select lower(period) from public.bookings where id = (select first from ids)), pg_temp.at(48), 'and the old time is kept');
select lives_ok($$ select private.reschedule_booking((select first from ids), pg_temp.at(96), pg_temp.at(97)) $$, 'rescheduling onto a free time moves it atomically');
select lives_ok($$ select private.cancel_booking((select first from ids), 'Patient ill') $$, 'a booking is cancelled with a reason');

-- Reminders, once each
select tests.act_as_postgres();
select private.create_booking((select room from ids), pg_temp.at(30), pg_temp.at(31), 'Soon', '', false, null, null, '[]')
  from (select tests.act_as('mem@sch.test')) s;
select tests.act_as_postgres();
select tests.freeze_time(pg_temp.at(30) - interval '50 minutes');
select ok(private.send_booking_reminders() > 0, 'the reminder job sends what is due');
select is(private.send_booking_reminders(), 0, 'running it again sends nothing more');
select is((select array_agg(offset_minutes order by offset_minutes) from private.booking_reminders r join public.bookings b on b.id = r.booking_id where b.title = 'Soon'),
  array[60, 1440], 'the booking due within the hour got its 24 h and 1 h reminders, once each');

select * from finish();
rollback;
