-- An organization requiring MFA hides its rows from aal1 sessions in every table that carries
-- org_id, in every schema: the four restrictive policies come from one generator
-- (private.enable_mfa_policies), checked over the catalog, and the tables an audit found open
-- (profiles, notifications, compliance settings, the approver branch of approvals, certification
-- writes) are tried as an aal1 member.
begin;
select plan(13);

create temp view org_tables as
  select c.oid::regclass as tbl
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where c.relkind in ('r', 'p')
    and n.nspname not in ('pg_catalog', 'information_schema', 'auth', 'storage', 'cron', 'extensions', 'realtime', 'net', 'vault', 'tests', 'pgtap')
    and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'org_id' and not a.attisdropped)
    and (has_table_privilege('authenticated', c.oid, 'select') or has_table_privilege('authenticated', c.oid, 'insert')
         or has_table_privilege('authenticated', c.oid, 'update') or has_table_privilege('authenticated', c.oid, 'delete')
         or exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attnum > 0
                    and has_column_privilege('authenticated', c.oid, a.attnum, 'select')));

select ok((select count(*) from org_tables) >= 25, 'the catalog check finds the organization tables the API reaches (' || (select count(*) from org_tables) || ')');
select is(
  (select array_agg(t.tbl::text || ' ' || cmd order by 1) from org_tables t cross join unnest(array['r', 'a', 'w', 'd']) cmd
   where not exists (select 1 from pg_policy p where p.polrelid = t.tbl and not p.polpermissive and p.polcmd = cmd
                     and p.polname like 'Organizations requiring MFA demand aal2 to %'
                     and pg_get_expr(coalesce(p.polqual, p.polwithcheck), p.polrelid) like '%unnest(s.blocked_org_ids)%FROM private.my_access_sets s%''membership''%')),
  null,
  'every organization table has a restrictive MFA policy for select, insert, update and delete');

select tests.create_user(e) from unnest(array['own@mf.test', 'hr@mf.test', 'exe@mf.test', 'mem@mf.test']) e;
create temp table ids as select tests.create_org('mf-a', tests.user_id('own@mf.test')) as a;
grant select on ids to authenticated;
select tests.add_member((select a from ids), tests.user_id('hr@mf.test'), 'hr');
select tests.add_member((select a from ids), tests.user_id('exe@mf.test'), 'executive');
select tests.add_member((select a from ids), tests.user_id('mem@mf.test'), 'member');
insert into compliance.settings (org_id) values ((select a from ids));
insert into compliance.certification_types (org_id, name) values ((select a from ids), 'Fire safety');
select private.notify(p_user_id => tests.user_id('mem@mf.test'), p_type => 'core.test', p_title => 'Hello', p_org_id => (select a from ids));
select tests.act_as('own@mf.test', 'aal2');
insert into compliance.contracts (org_id, reference, title, start_date) values ((select a from ids), 'MF-1', 'Lease', '2026-01-01');
select compliance.propose_contract((select id from compliance.contracts where reference = 'MF-1'));
select tests.act_as_postgres();
update public.organizations set require_mfa = true where id = (select a from ids);

select tests.act_as('mem@mf.test', 'aal1');
select is(tests.visible('public.profiles', 'id <> auth.uid()'), 0::bigint, 'aal1: no co-member''s profile');
select is(tests.visible('public.profiles', 'id = auth.uid()'), 1::bigint, 'aal1: one''s own profile stays readable');
select is(tests.visible('public.notifications'), 0::bigint, 'aal1: no notification of the organization');
select is(tests.visible('compliance.settings'), 0::bigint, 'aal1: no compliance settings');
select tests.act_as('exe@mf.test', 'aal1');
select is(tests.visible('compliance.contract_approvals'), 0::bigint, 'aal1: an approver reads no approvals');
select tests.act_as('own@mf.test', 'aal1');
update compliance.settings set certification_warning_days = 60 where org_id = (select a from ids);
select tests.act_as_postgres();
select is((select certification_warning_days from compliance.settings where org_id = (select a from ids)), 30, 'aal1: an admin cannot change the compliance settings');
select tests.act_as('hr@mf.test', 'aal1');
select is(tests.visible('compliance.certification_types'), 0::bigint, 'aal1: HR reads no certification types');
create temp table type_id as select id from compliance.certification_types where false;
select tests.act_as_postgres();
insert into type_id select id from compliance.certification_types where org_id = (select a from ids);
grant select on type_id to authenticated;
select tests.act_as('hr@mf.test', 'aal1');
select throws_ok($$ insert into compliance.certifications (org_id, user_id, type_id, completed_on)
                    values ((select a from ids), tests.user_id('mem@mf.test'), (select id from type_id), '2026-01-01') $$,
  '42501', null, 'aal1: HR cannot record a certification, even knowing the type''s id');

select tests.act_as('mem@mf.test', 'aal2');
select is(tests.visible('public.notifications'), 1::bigint, 'aal2: the notification is back');
select is(tests.visible('public.profiles', 'id <> auth.uid()'), 3::bigint, 'aal2: and the co-members'' profiles');
select tests.act_as('exe@mf.test', 'aal2');
select is(tests.visible('compliance.contract_approvals'), 1::bigint, 'aal2: the approver reads the approval');

select * from finish();
rollback;
