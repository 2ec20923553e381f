-- Notifications: fan-out by preference, grouping, rate limits, scheduling, the digest, archiving,
-- delivery reports, and that users touch only their own.
begin;
select plan(26);

select tests.create_user('nina@n.test', '{"locale": "de"}');
select tests.create_user('omar@n.test');

select ok(exists (select 1 from pg_publication_tables where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'notifications'),
  'notifications stream through Realtime');

-- Defaults: in-app and an immediate email
select isnt(private.notify(tests.user_id('nina@n.test'), 'core.test', 'Contract approved', 'Acme NDA', 'https://app.test/c/1'), null,
  'notify returns the notification');
select is((select in_app::text || '/' || email_state from public.notifications where title = 'Contract approved'), 'true/immediate',
  'by default it is in-app and emailed at once');
select is((select template || '/' || locale || '/' || (data ->> 'title') from private.email_outbox where recipient = 'nina@n.test'),
  'notification/de/Contract approved', 'the email is in the outbox, in the user''s locale, in the same transaction');

-- Preferences: per type, with * as the default
insert into public.notification_preferences (user_id, type, channel, enabled) values (tests.user_id('nina@n.test'), '*', 'email', false);
insert into public.notification_preferences (user_id, type, channel, enabled, digest) values (tests.user_id('nina@n.test'), 'core.daily', 'email', true, 'daily');
select private.notify(tests.user_id('nina@n.test'), 'core.quiet', 'Quiet one');
select is((select email_state from public.notifications where title = 'Quiet one'), 'none', 'email off for every type (*) sends no email');
select private.notify(tests.user_id('nina@n.test'), 'core.daily', 'Daily one');
select is((select email_state from public.notifications where title = 'Daily one'), 'digest', 'a type set to daily waits for the digest');
insert into public.notification_preferences (user_id, type, channel, enabled) values (tests.user_id('nina@n.test'), 'core.hidden', 'in_app', false),
  (tests.user_id('nina@n.test'), 'core.hidden', 'email', false);
select is(private.notify(tests.user_id('nina@n.test'), 'core.hidden', 'Nobody sees this'), null, 'a type with every channel off creates nothing');
select throws_ok($$ insert into public.notification_preferences (user_id, type, channel, digest) values (tests.user_id('omar@n.test'), '*', 'in_app', 'daily') $$,
  '23514', null, 'only email has a digest');

-- Grouping and rate limits
select private.notify(tests.user_id('omar@n.test'), 'core.comment', 'New comment', '', null, '{}', null, 'normal', 'thread:1');
select private.notify(tests.user_id('omar@n.test'), 'core.comment', '2 new comments', '', null, '{}', null, 'high', 'thread:1');
select is((select count(*)::int || '/' || max(group_count) || '/' || max(title) || '/' || max(priority::text) from public.notifications where group_key = 'thread:1'),
  '1/2/2 new comments/high', 'notifications with the same group key collapse into one unread row');
select is((select count(*)::int from private.email_outbox where recipient = 'omar@n.test'), 2, 'each grouped notification still emails');
select is((select count(*)::int from (select private.notify(tests.user_id('omar@n.test'), 'core.flood', 'Flood ' || i) from generate_series(1, 35) i) f), 35,
  '35 notifications of one type were attempted');
select is((select count(*)::int from public.notifications where type = 'core.flood'), 30, 'at most 30 of one type per 10 minutes are kept');
select isnt(private.notify(tests.user_id('omar@n.test'), 'core.flood', 'Pager', '', null, '{}', null, 'urgent'), null, 'urgent ones are never dropped');

-- Scheduled delivery, reading, archiving
select private.notify(tests.user_id('omar@n.test'), 'core.reminder', 'Tomorrow', '', null, '{}', null, 'normal', null, now() + interval '1 day');
select tests.act_as('omar@n.test');
select is(tests.visible('public.notifications', $$title = 'Tomorrow'$$), 0::bigint, 'a scheduled notification is hidden until deliver_at');
select is(tests.visible('public.notifications', $$user_id <> auth.uid()$$), 0::bigint, 'a user sees only their own');
select lives_ok($$ update public.notifications set read_at = now() where group_key = 'thread:1' $$, 'a user marks their own read');
select throws_ok($$ update public.notifications set title = 'edited' $$, '42501', null, 'but cannot change what it says');
update public.notifications set read_at = now() where user_id = tests.user_id('nina@n.test');
select tests.act_as_postgres();
select is((select count(*)::int from public.notifications where user_id = tests.user_id('nina@n.test') and read_at is not null), 0,
  'nor mark someone else''s');
select tests.freeze_time(now() + interval '1 day 1 minute');
select tests.act_as('omar@n.test');
select is(tests.visible('public.notifications', $$title = 'Tomorrow'$$), 1::bigint, 'it appears at its time');
select tests.act_as_postgres();
select tests.freeze_time(now() + interval '31 days');
select ok(private.archive_old_notifications() >= 1, 'read notifications are archived after 30 days');
select isnt((select archived_at from public.notifications where group_key = 'thread:1'), null, 'the read thread is archived');

-- The digest
select tests.freeze_time(now() + interval '1 day');
select is(private.send_daily_digests(), 1, 'the digest sends one summary per user waiting for one');
select is((select (data ->> 'count')::int from private.email_outbox where template = 'digest' and recipient = 'nina@n.test'), 1,
  'with the waiting notifications');
select is(private.send_daily_digests(), 0, 'running it twice sends nothing more');

-- Delivery reports
update private.email_outbox set status = 'sent', sent_at = now(), provider_message_id = 're_abc'
  where recipient = 'nina@n.test' and template = 'notification';
select ok(private.record_email_event('re_abc', 'opened', '2030-01-01 10:00:00+00'), 'a provider''s report is matched by its message id');
select is((select email_opened_at from public.notifications where title = 'Contract approved'), '2030-01-01 10:00:00+00'::timestamptz,
  'and recorded on the notification');

select * from finish();
rollback;
