-- Booking rules an attack found open: idempotency keys are per organization and a replay says it
-- is one, another member added as attendee is asked (and their feed waits for a yes), email to
-- typed addresses is rate limited per user and organization, and a past start says so.
begin;
select plan(18);

select tests.create_user(e) from unnest(array['boss@br.test', 'mem@br.test', 'pal@br.test', 'out@br.test']) e;
create temp table ids as select tests.create_org('br-a', tests.user_id('boss@br.test')) as a, tests.create_org('br-b', tests.user_id('boss@br.test')) as b;
alter table ids add column room uuid, add column room_b uuid, add column bk uuid;
grant select, update on ids to authenticated;
select tests.add_member((select a from ids), tests.user_id('mem@br.test'), 'member');
select tests.add_member((select b from ids), tests.user_id('mem@br.test'), 'member');
select tests.add_member((select a from ids), tests.user_id('pal@br.test'), 'member');
with r as (insert into public.resources (org_id, name, time_zone, min_notice_minutes) select a, 'Room A', 'UTC', 0 from ids returning id)
update ids set room = (select id from r);
with r as (insert into public.resources (org_id, name, time_zone, min_notice_minutes) select b, 'Room B', 'UTC', 0 from ids returning id)
update ids set room_b = (select id from r);
create function pg_temp.at(p_hours integer) returns timestamptz language sql stable as $$ select date_trunc('hour', now()) + make_interval(hours => p_hours) $$;
grant execute on function pg_temp.at(integer) to authenticated;

-- Idempotency: the first creation says created, a replay says replayed; keys do not cross organizations.
select tests.act_as('mem@br.test');
select is((select replayed from private.book_resource((select room from ids), pg_temp.at(10), pg_temp.at(11), 'A', '', false, 'same-key-01', null, '[]')),
  false, 'the first request with a key creates the booking');
select is((select replayed from private.book_resource((select room from ids), pg_temp.at(10), pg_temp.at(11), 'A', '', false, 'same-key-01', null, '[]')),
  true, 'the same request again is a replay');
select is((select (booking).org_id from private.book_resource((select room_b from ids), pg_temp.at(10), pg_temp.at(11), 'B', '', false, 'same-key-01', null, '[]')),
  (select b from ids), 'the same key in another organization books there, not a replay of the first organization''s booking');
select is((private.booking_replay((select room_b from ids), 'same-key-01')).org_id, (select b from ids),
  'the replay lookup is scoped to the resource''s organization');
select throws_ok($$ select private.book_resource((select room from ids), pg_temp.at(12), pg_temp.at(13), 'A', '', false, 'same-key-01', null, '[]') $$,
  '22023', 'Cannot book: idempotency key same-key-01 was already used for another booking request', 'a key reused for another request is refused');

-- Member attendees are asked, not silently booked into.
select lives_ok($$ update ids set bk = (select (booking).id from private.book_resource((select room from ids), pg_temp.at(20), pg_temp.at(21),
  'Anything at all', '', false, null, null, jsonb_build_array(jsonb_build_object('user_id', tests.user_id('pal@br.test'), 'email', 'attacker@evil.test')))) $$,
  'a member adds another member as attendee');
select is((select email || '/' || response from public.booking_attendees where booking_id = (select bk from ids) and user_id = tests.user_id('pal@br.test')),
  'pal@br.test/needs_action', 'the attendee row carries the member''s own address, waiting for an answer');
select is((select response from public.booking_attendees where booking_id = (select bk from ids) and user_id = auth.uid()), 'accepted', 'the booker has accepted');
select tests.act_as_postgres();
select is((select count(*) from public.notifications where user_id = tests.user_id('pal@br.test') and type = 'core.booking_invitation'), 1::bigint,
  'the added member is notified');
insert into public.calendar_feeds (user_id, token_hash) values (tests.user_id('pal@br.test'), private.token_hash(repeat('f', 43)));
select is((select count(*) from private.calendar_feed_bookings(repeat('f', 43))), 0::bigint, 'their feed does not show the booking before they accept');
select tests.act_as('pal@br.test');
select is((public.respond_to_booking((select bk from ids), 'accepted')).response, 'accepted', 'they accept');
select tests.act_as_postgres();
select is((select count(*) from private.calendar_feed_bookings(repeat('f', 43))), 1::bigint, 'and then it is in their feed');
select tests.act_as('mem@br.test');
select throws_ok($$ select private.book_resource((select room from ids), pg_temp.at(30), pg_temp.at(31), 'X', '', false, null, null,
  jsonb_build_array(jsonb_build_object('user_id', tests.user_id('out@br.test'), 'email', 'out@br.test'))) $$,
  '22023', null, 'a user who is not a member cannot be added as a member attendee');
select tests.act_as('boss@br.test');
select throws_ok($$ select public.respond_to_booking((select bk from ids), 'accepted') $$, 'P0002', null, 'only an attendee answers');
select throws_like($$ select private.book_resource((select room from ids), pg_temp.at(-3), pg_temp.at(-2), 'Past', '', false, null, null, '[]') $$,
  'Cannot book: the start (%) is in the past', 'a start in the past says so (not "needs 0 minutes'' notice")');

-- Typed addresses are rate limited per user: the limit cuts the burst, nothing of the refused request stays.
select tests.act_as_postgres();
update private.rate_limit_rules set max_hits = 5 where name = 'email.user';
select tests.act_as('mem@br.test');
select lives_ok($$ select private.book_resource((select room from ids), pg_temp.at(40), pg_temp.at(41), 'Guests', '', false, null, null,
  '[{"email": "g1@ext.test"}, {"email": "g2@ext.test"}, {"email": "g3@ext.test"}]') $$, 'three guests fit under a limit of five');
select throws_ok($$ select private.book_resource((select room from ids), pg_temp.at(42), pg_temp.at(43), 'More guests', '', false, null, null,
  '[{"email": "g4@ext.test"}, {"email": "g5@ext.test"}, {"email": "g6@ext.test"}]') $$, 'GW429', null,
  'three more are cut with 429 (Retry-After in the detail)');
select is((select count(*) from public.bookings where title = 'More guests'), 0::bigint, 'and the refused booking was not made');

select * from finish();
rollback;
