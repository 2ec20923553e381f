-- The email outbox state machine, its privileges, and the rate limiter.
begin;
select plan(27);

-- Enqueueing
select isnt(private.enqueue_email('notification', ' Ada@Example.TEST ', '{"title": "Hi", "token": "s3cret"}', 'outbox-1', 'de', null, array['token']), null,
  'a message is enqueued');
select is(private.enqueue_email('notification', 'ada@example.test', '{"title": "Again"}', 'outbox-1'),
  (select id from private.email_outbox where idempotency_key = 'outbox-1'), 'the same idempotency key returns the first message');
select is((select count(*)::int from private.email_outbox where idempotency_key = 'outbox-1'), 1, 'and adds nothing');
select is((select recipient || '/' || locale || '/' || status::text from private.email_outbox where idempotency_key = 'outbox-1'),
  'ada@example.test/de/pending', 'the recipient is normalized; the message waits');
select throws_ok($$ select private.enqueue_email('notification', 'not-an-address', '{}', 'outbox-bad') $$, '23514', null,
  'a malformed recipient is refused');
select private.enqueue_email('notification', 'later@example.test', '{"title": "Later"}', 'outbox-later', 'en', null, '{}', now() + interval '1 hour');

-- Claiming and completing
create temp table claimed as select * from private.claim_emails(10, 60, 'worker-a') where idempotency_key like 'outbox-%';
select is((select count(*)::int from claimed), 1, 'a claim takes due messages only, not scheduled ones');
select is((select status::text || '/' || attempts || '/' || leased_by from private.email_outbox where idempotency_key = 'outbox-1'),
  'sending/1/worker-a', 'a claimed message is leased to its worker and counts an attempt');
select is((select count(*)::int from private.claim_emails(10, 60, 'worker-b') where idempotency_key like 'outbox-%'), 0,
  'another worker cannot claim a leased message');
select ok(not private.complete_email((select id from claimed), 'worker-b', 'x'), 'only the lease holder records a delivery');
select ok(private.complete_email((select id from claimed), 'worker-a', 'provider-1'), 'the lease holder records it');
select is((select status::text || '/' || provider_message_id from private.email_outbox where idempotency_key = 'outbox-1'), 'sent/provider-1',
  'the message is sent with the provider''s id');
select ok(not ((select data from private.email_outbox where idempotency_key = 'outbox-1') ? 'token'), 'redacted data is gone once sent');

-- Failing, backoff, death
select private.enqueue_email('notification', 'retry@example.test', '{"title": "Retry"}', 'outbox-retry');
update private.email_outbox set max_attempts = 2 where idempotency_key = 'outbox-retry';
select private.claim_emails(10, 60, 'worker-a');
select is(private.fail_email((select id from private.email_outbox where idempotency_key = 'outbox-retry'), 'worker-a', 'SMTP 451 try later')::text, 'failed',
  'a first failure schedules a retry');
select ok((select next_attempt_at between now() + interval '14 seconds' and now() + interval '46 seconds' from private.email_outbox where idempotency_key = 'outbox-retry'),
  'after 30 s with ±50% jitter');
update private.email_outbox set next_attempt_at = now() where idempotency_key = 'outbox-retry';
select private.claim_emails(10, 60, 'worker-a');
select is(private.fail_email((select id from private.email_outbox where idempotency_key = 'outbox-retry'), 'worker-a', 'SMTP 451 again')::text, 'dead',
  'the last allowed attempt makes it dead');
select is((select last_error from private.email_outbox where idempotency_key = 'outbox-retry'), 'SMTP 451 again', 'with the error');
select private.enqueue_email('nope', 'x@example.test', '{}', 'outbox-permanent');
select private.claim_emails(10, 60, 'worker-a');
select is(private.fail_email((select id from private.email_outbox where idempotency_key = 'outbox-permanent'), 'worker-a', 'no template', true)::text, 'dead',
  'a permanent failure is dead at once');

-- A lease that expires is claimed again
select private.enqueue_email('notification', 'lease@example.test', '{"title": "Lease"}', 'outbox-lease');
select private.claim_emails(10, 60, 'worker-dead');
update private.email_outbox set lease_expires_at = now() - interval '1 second' where idempotency_key = 'outbox-lease';
select is((select count(*)::int from private.claim_emails(10, 60, 'worker-new') where idempotency_key = 'outbox-lease'), 1,
  'a message whose lease expired is claimed by the next run');
select ok(not private.complete_email((select id from private.email_outbox where idempotency_key = 'outbox-lease'), 'worker-dead', 'late'),
  'the dead run can no longer record anything');

-- Privileges
select tests.create_user('nosy@outbox.test');
select tests.act_as_service_role();
select throws_ok($$ select count(*) from private.email_outbox $$, '42501', null, 'the service role cannot read the outbox directly');
select lives_ok($$ select * from private.claim_emails(0, 60, 'svc') $$, 'but may run the dispatcher functions');
select tests.act_as('nosy@outbox.test');
select throws_ok($$ select private.enqueue_email('notification', 'x@example.test', '{}', 'forged') $$, '42501', null, 'users cannot enqueue mail');
select throws_ok($$ select * from private.claim_emails(10, 60, 'thief') $$, '42501', null, 'nor claim it');
select tests.act_as_postgres();

-- Rate limits
select is(array[private.rate_limit('test:a', 2, interval '1 hour'), private.rate_limit('test:a', 2, interval '1 hour')], array[0, 0],
  'hits under the limit are allowed');
select ok(private.rate_limit('test:a', 2, interval '1 hour') between 1 and 3600, 'the next one gets the seconds until the window ends');
select throws_ok($$ select private.enforce_rate_limit('test:a', 2, interval '1 hour', 'invite') $$, 'GW429', null,
  'enforce_rate_limit raises GW429 (HTTP 429)');

-- Hosted scheduling needs pg_net; the native stack has none, so nothing is scheduled here.
select is(private.schedule_function('groundwork-test-job', '* * * * *', 'health'), false, 'without pg_net, schedule_function schedules nothing');

select * from finish();
rollback;
