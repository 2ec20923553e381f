-- Departments: nesting within one organization, no cycles, archive, who manages them.
begin;
select plan(11);

select tests.create_user(e) from unnest(array['o@d.test', 'm@d.test', 'x@other.test']) e;
create temp table ids as select tests.create_org('dept-a', tests.user_id('o@d.test')) as a, tests.create_org('dept-b', tests.user_id('x@other.test')) as b;
alter table ids add column other_dept uuid;
update ids set other_dept = tests.create_department(b, 'Elsewhere');
grant select on ids to authenticated;
select tests.add_member((select a from ids), tests.user_id('m@d.test'), 'manager');

select tests.act_as('o@d.test');
insert into public.departments (org_id, name) values ((select a from ids), 'Sales');
insert into public.departments (org_id, name, parent_id) values ((select a from ids), 'Field Sales', (select id from public.departments where name = 'Sales'));
insert into public.departments (org_id, name, parent_id) values ((select a from ids), 'Field Sales North', (select id from public.departments where name = 'Field Sales'));
select is(tests.visible('public.departments'), 3::bigint, 'the owner builds a nested structure');
select throws_ok($$ insert into public.departments (org_id, name, parent_id) values ((select a from ids), 'Spy', (select other_dept from ids)) $$,
  '23503', null, 'a parent from another organization is refused');
select throws_ok($$ update public.departments set parent_id = (select id from public.departments where name = 'Field Sales North') where name = 'Sales' $$,
  '23514', 'Cannot move department Sales: it would become its own ancestor', 'a cycle is refused');
select throws_ok($$ update public.departments set parent_id = id where name = 'Sales' $$, '23514', null, 'a department cannot be its own parent');
select throws_ok($$ insert into public.departments (org_id, name) values ((select a from ids), 'sales') $$, '23505', null,
  'names are unique per organization, ignoring case');
select throws_ok($$ insert into public.departments (org_id, name) values ((select a from ids), '  ') $$, '23514', null, 'a blank name is refused');
update public.departments set archived_at = now() where name = 'Field Sales North';
select lives_ok($$ insert into public.departments (org_id, name) values ((select a from ids), 'Field Sales North') $$, 'an archived name can be reused');
delete from public.departments where name = 'Sales';
select is((select parent_id from public.departments where name = 'Field Sales'), null, 'deleting a parent makes its children top-level');

select tests.act_as('m@d.test');
select is(tests.visible('public.departments'), 3::bigint, 'a manager reads the departments');
select throws_ok($$ insert into public.departments (org_id, name) values ((select a from ids), 'Mine') $$, '42501', null, 'but cannot add one');
update public.departments set name = 'Renamed';
select tests.act_as_postgres();
select is((select count(*)::int from public.departments where name = 'Renamed'), 0, 'nor rename one');

select * from finish();
rollback;
