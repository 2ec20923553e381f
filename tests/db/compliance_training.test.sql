-- Training and certifications: computed expiry, status across the expiry boundary (frozen time),
-- visibility by scope, reminders once per threshold, the HR digest, and the dashboards.
begin;
select plan(20);

select tests.create_user(e) from unnest(array['own@tr.test', 'hr@tr.test', 'man@tr.test', 'ann@tr.test', 'bob@tr.test', 'x@other.test']) e;
create temp table ids as select tests.create_org('train-a', tests.user_id('own@tr.test')) as a;
alter table ids add column ops uuid, add column fire uuid, add column sales uuid;
update ids set ops = tests.create_department(a, 'Ops'), sales = tests.create_department(a, 'Sales');
grant select, update on ids to authenticated;
select tests.add_member((select a from ids), tests.user_id('hr@tr.test'), 'hr');
select tests.add_member((select a from ids), tests.user_id('man@tr.test'), 'manager', (select ops from ids));
select tests.add_member((select a from ids), tests.user_id('ann@tr.test'), 'member', (select ops from ids));
select tests.add_member((select a from ids), tests.user_id('bob@tr.test'), 'member', (select sales from ids));

-- HR defines a certification every member must hold, valid 12 months, and records Ann's.
select tests.act_as('hr@tr.test');
with t as (insert into compliance.certification_types (org_id, name, validity_months, required_role_keys) select a, 'Fire safety', 12, array['member'] from ids returning id)
update ids set fire = (select id from t);
select lives_ok($$ insert into compliance.certifications (org_id, user_id, type_id, completed_on, issuer)
  select a, tests.user_id('ann@tr.test'), fire, date '2026-01-15', 'Red Cross' from ids $$, 'HR records a certification');
select is((select expires_on from compliance.certifications where user_id = tests.user_id('ann@tr.test')), date '2027-01-15', 'its expiry follows the type''s validity');
select lives_ok($$ update compliance.certifications set verified_at = now() where user_id = tests.user_id('ann@tr.test') $$, 'and verifies it');
select throws_ok($$ insert into compliance.certifications (org_id, user_id, type_id, completed_on) select a, tests.user_id('x@other.test'), fire, current_date from ids $$,
  '23503', null, 'a record for someone outside the organization is refused');

-- Status across the expiry boundary
select tests.freeze_time('2026-11-01 12:00+00');
select is((select status from compliance.certification_status where user_id = tests.user_id('ann@tr.test')), 'valid', 'valid well before expiry');
select tests.freeze_time('2026-12-20 12:00+00');
select is((select status from compliance.certification_status where user_id = tests.user_id('ann@tr.test')), 'expiring_soon', 'expiring within the 30-day window');
select tests.freeze_time('2027-01-15 12:00+00');
select is((select status from compliance.certification_status where user_id = tests.user_id('ann@tr.test')), 'expiring_soon', 'still valid on its last day');
select tests.freeze_time('2027-01-16 12:00+00');
select is((select status from compliance.certification_status where user_id = tests.user_id('ann@tr.test')), 'expired', 'expired the day after');
select is((select status from compliance.certification_status where user_id = tests.user_id('bob@tr.test')), 'missing', 'Bob never had one');

-- Visibility
select tests.act_as('ann@tr.test');
select is(tests.visible('compliance.certification_status'), 1::bigint, 'a member sees only their own status');
select tests.act_as('man@tr.test');
select is((select array_agg(user_id) from compliance.certification_status), array[tests.user_id('ann@tr.test')], 'a manager sees their department''s');
select throws_ok($$ insert into compliance.certifications (org_id, user_id, type_id, completed_on) select a, tests.user_id('ann@tr.test'), fire, current_date from ids $$,
  '42501', null, 'but cannot record certifications');
select tests.act_as('hr@tr.test');
select is(tests.visible('compliance.certification_status'), 2::bigint, 'HR sees everyone''s');

-- Reminders once per threshold, and the digest
select tests.act_as_postgres();
select tests.freeze_time('2026-12-20 12:00+00');
select ok(private.compliance_run_certification_reminders() >= 1, 'an expiring certification is reminded');
select is(private.compliance_run_certification_reminders(), 0, 'once');
select ok((select count(*) from public.notifications where type = 'compliance.certification_expiring'
  and user_id in (tests.user_id('ann@tr.test'), tests.user_id('man@tr.test'))) = 2, 'to the member and their manager');
select ok(private.compliance_training_digest() >= 1, 'the weekly digest goes out');
select is((select data ->> 'missing' from public.notifications where type = 'compliance.training_digest' and user_id = tests.user_id('hr@tr.test')), '1',
  'HR learns that one certification is missing');

-- Dashboards
select tests.act_as('hr@tr.test');
select is((select rate from compliance.compliance_rate((select a from ids)) where department_name = 'Ops'), 100.0, 'the compliance rate per department and requirement');
select is((select array_agg(status) from compliance.missing_certifications((select a from ids))), array['missing'], 'who misses a required certification');

select * from finish();
rollback;
