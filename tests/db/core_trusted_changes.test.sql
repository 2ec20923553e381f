-- Guards cannot be switched off by the caller: the settings that used to open them do nothing,
-- the private mark cannot be written or forged, and no function reads a guard setting.
begin;
select plan(14);

select tests.create_user(e) from unnest(array['own@tc.test', 'adm@tc.test', 'mem@tc.test', 'leg@tc.test']) e;
create temp table ids as select tests.create_org('tc-a', tests.user_id('own@tc.test')) as a;
grant select on ids to authenticated;
select tests.add_member((select a from ids), tests.user_id('adm@tc.test'), 'admin');
select tests.add_member((select a from ids), tests.user_id('mem@tc.test'), 'member');
select tests.add_member((select a from ids), tests.user_id('leg@tc.test'), 'legal');

-- Every setting an earlier version trusted, switched on by the caller.
create function pg_temp.forge() returns void language sql as $$
  select set_config('groundwork.system_change', 'on', true), set_config('groundwork.compliance_workflow', 'on', true),
         set_config('audit.retention_sweep', 'on', true)
$$;
grant execute on function pg_temp.forge() to authenticated;

select tests.act_as('adm@tc.test');
select pg_temp.forge();
select throws_ok($$ update public.members set role_id = tests.role_id((select a from ids), 'owner') where user_id = auth.uid() $$,
  '42501', null, 'an admin with the old bypass setting still cannot promote themself to owner');
select throws_ok($$ insert into public.role_permissions (role_id, permission, scope)
                    values (tests.role_id((select a from ids), 'admin'), 'core.org.delete', 'org') $$,
  '42501', null, 'nor grant a permission to their own (system) role');

select tests.act_as('own@tc.test');
select pg_temp.forge();
select throws_ok($$ delete from public.members where user_id = auth.uid() $$,
  '42501', 'Cannot remove the last owner of the organization: make someone else owner first', 'the last owner cannot leave with the setting on');
select throws_ok($$ update public.roles set rank = 100 where org_id = (select a from ids) and key = 'member' $$,
  '42501', null, 'system roles stay fixed with the setting on');

-- A contract's status moves only through the workflow, whatever the caller sets.
select tests.act_as('leg@tc.test');
insert into compliance.contracts (org_id, reference, title, start_date) values ((select a from ids), 'TC-1', 'Forged', '2026-01-01');
select compliance.propose_contract((select id from compliance.contracts where reference = 'TC-1'));
select pg_temp.forge();
select throws_ok($$ update compliance.contracts set status = 'draft' where reference = 'TC-1' $$,
  '42501', null, 'after a workflow call in the same transaction, a direct status change is still refused');

-- The audit log's retention path cannot be opened by a setting, even by its owner.
select tests.act_as_postgres();
select pg_temp.forge();
select throws_ok($$ delete from audit.log where id = (select max(id) from audit.log) $$,
  '42501', null, 'the audit log refuses a delete outside the retention sweep, setting or not');

-- The mark itself is out of reach.
select tests.act_as('adm@tc.test');
select throws_ok($$ insert into private.trusted_changes (xact, kind) values (pg_current_xact_id(), 'core.members') $$,
  '42501', null, 'an API caller cannot write the trusted mark');
select throws_ok($$ select private.begin_trusted('core.members') $$, '42501', null, 'nor call the function that writes it');
select throws_ok($$ select private.install_system_roles((select a from ids)) $$, '42501', null, 'nor a trusted path directly');
select tests.act_as_postgres();
select is((select count(*) from private.trusted_changes), 0::bigint, 'no mark outlives the trusted path that made it');

-- The trusted paths still work: a new organization gets its roles and owner, an invitation is accepted.
select tests.act_as('mem@tc.test');
select lives_ok($$ select public.create_organization('Mine', 'tc-mine') $$, 'creating an organization (a trusted path) still works');
select is((select r.key from public.members m join public.roles r on r.id = m.role_id
           where m.user_id = auth.uid() and m.org_id = (select id from public.organizations where slug = 'tc-mine')), 'owner',
  'and makes its creator the owner');

-- Over the catalog: no function of ours decides on a setting the caller can set.
select tests.act_as_postgres();
select is(
  (select array_agg(p.oid::regprocedure::text order by 1) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname not in ('pg_catalog', 'information_schema', 'tests', 'extensions', 'cron', 'auth', 'storage', 'realtime', 'net', 'vault', 'graphql', 'pgtap')
     and p.prosrc ~ 'current_setting\(\s*''(groundwork|audit|compliance|app)\.'
     and p.oid <> 'private.now()'::regprocedure),
  null,
  'no function reads a groundwork.* / audit.* setting (private.now''s test clock is ignored for API requests)');
select ok(
  (select prosrc ~ 'session_user <> ''authenticator''' from pg_proc where oid = 'private.now()'::regprocedure),
  'private.now() honours the frozen test clock only outside API requests (session_user is not authenticator)');

select * from finish();
rollback;
