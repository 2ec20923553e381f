-- Every table of every schema is audited unless it is listed here with its reason, every audited
-- organization table declares who reads its history, and the trail shows a reader only the
-- history of rows they could read in the table itself.
begin;
select plan(8);

-- Not audited, on purpose: the trail itself, derived or transient bookkeeping, delivery queues
-- (their effects are audited where they land), and templates and reference data that only
-- migrations change.
create temp table not_audited (tbl text primary key, reason text not null);
insert into not_audited values
  ('audit.log', 'the trail itself'), ('audit.tables', 'the trail''s configuration, changed by migrations'),
  ('compliance.certification_reminders', 'which reminders went out; the notifications are audited'),
  ('compliance.contract_reminders', 'which reminders went out; the notifications are audited'),
  ('private.booking_reminders', 'which reminders went out; the notifications are audited'),
  ('compliance.currencies', 'ISO 4217 reference data, loaded by migrations'),
  ('private.access', 'derived from members and role grants, which are audited'),
  ('private.access_sets', 'derived from private.access (members and role grants, which are audited)'),
  ('private.email_outbox', 'the delivery queue; what caused each message is audited'),
  ('private.rate_limits', 'counters'),
  ('private.function_metrics', 'request counters the functions report'),
  ('private.import_lines', 'an import''s staged lines; the import and the records its lines make are audited'),
  ('private.system_roles', 'templates changed by migrations; the roles they install are audited'),
  ('private.system_role_grants', 'templates changed by migrations; the grants they install are audited'),
  ('private.trusted_changes', 'transient marks that never outlive their transaction');

select is(
  (select array_agg(n.nspname || '.' || c.relname order by 1)
   from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where c.relkind in ('r', 'p') and not c.relispartition
     and n.nspname not in ('pg_catalog', 'information_schema', 'auth', 'storage', 'cron', 'extensions', 'realtime', 'net', 'vault', 'tests', 'pgtap', 'supabase_migrations', 'pgsodium')
     and n.nspname !~ '^pg_'
     and c.oid not in (select table_id from audit.tables)
     and (n.nspname || '.' || c.relname) not in (select tbl from not_audited)),
  null,
  'every table of every schema is audited, or listed as not audited with a reason');
select is((select array_agg(tbl order by 1) from not_audited where to_regclass(tbl) is null), null, 'every table listed as not audited exists');
select is(
  (select array_agg(table_id::text order by 1) from audit.tables where org_column is not null and read_permission is null),
  null,
  'every audited organization table declares who reads its history (audit.set_read_permission)');

select tests.create_user(e) from unnest(array['own@ac.test', 'exe@ac.test', 'mem@ac.test', 'aud@ac.test']) e;
create temp table ids as select tests.create_org('ac-a', tests.user_id('own@ac.test')) as a;
grant select on ids to authenticated;
select tests.add_member((select a from ids), tests.user_id('exe@ac.test'), 'executive');
select tests.add_member((select a from ids), tests.user_id('mem@ac.test'), 'member');
select private.notify(p_user_id => tests.user_id('mem@ac.test'), p_type => 'core.test', p_title => 'Private to mem', p_org_id => (select a from ids));
select tests.act_as('own@ac.test');
insert into compliance.contracts (org_id, reference, title, start_date) values ((select a from ids), 'AC-1', 'Confidential', '2026-01-01');
-- An auditor role: reads the trail, but no contracts.
insert into public.roles (org_id, key, name, rank) values ((select a from ids), 'auditor', 'Auditor', 30);
insert into public.role_permissions (role_id, permission, scope) values (tests.role_id((select a from ids), 'auditor'), 'core.audit.read', 'org');
select tests.act_as_postgres();
select tests.add_member((select a from ids), tests.user_id('aud@ac.test'), 'auditor');

select tests.act_as('exe@ac.test');
select is(tests.visible('public.audit_events', 'table_name = ''notifications'''), 0::bigint, 'an executive reads no one''s notifications in the trail');
select ok(tests.visible('public.audit_events', 'table_name = ''contracts''') >= 1, 'but reads the contracts'' history, as they read contracts');
select tests.act_as('aud@ac.test');
select is(tests.visible('public.audit_events', 'table_name = ''contracts'''), 0::bigint, 'an auditor without contract access reads no contract history');
select ok(tests.visible('public.audit_events', 'table_name = ''roles''') >= 1, 'but reads the history of roles, which every member reads');
select tests.act_as_service_role();
select ok(tests.visible('public.audit_events', 'table_name = ''notifications''') >= 1, 'the service role (and Studio) still sees every entry');

select * from finish();
rollback;
