-- Filter documents and saved views, on compliance contracts: conditions and groups checked against
-- the catalog, sorting and keyset pages stable under inserts, RLS and the trash respected, saved
-- views private or shared, and bad documents refused clearly.
begin;
select plan(28);

select tests.create_user(e) from unnest(array['own@vw.test', 'law@vw.test', 'mem@vw.test', 'pal@vw.test', 'x@other.test']) e;
create temp table ids as select tests.create_org('views-a', tests.user_id('own@vw.test')) as a, tests.create_org('views-b', tests.user_id('x@other.test')) as b;
alter table ids add column ops uuid, add column shared uuid, add column mine uuid;
update ids set ops = tests.create_department(a, 'Ops');
grant select, update on ids to authenticated;
select tests.add_member((select a from ids), tests.user_id('law@vw.test'), 'legal');
select tests.add_member((select a from ids), tests.user_id('mem@vw.test'), 'member', (select ops from ids));
select tests.add_member((select a from ids), tests.user_id('pal@vw.test'), 'member', (select ops from ids));
create temp table pages (n integer, id uuid, cursor text);
grant select, insert on pages to authenticated;

select tests.act_as('law@vw.test');
insert into compliance.contracts (org_id, reference, title, contract_type, start_date, value, currency)
select a, 'C-' || i, 'Contract ' || i || case when i % 3 = 0 then ' 50%_off' else '' end, case when i % 2 = 0 then 'nda' else 'supply' end,
  date '2026-01-01' + i, i * 100, 'EUR'
from ids, generate_series(1, 9) i;
select tests.act_as('mem@vw.test');
insert into compliance.contracts (org_id, reference, title, contract_type, start_date) select a, 'M-1', 'Member''s own', 'nda', date '2026-02-01' from ids;
select tests.act_as('x@other.test');
insert into compliance.contracts (org_id, reference, title, contract_type, start_date) select b, 'X-1', 'Elsewhere', 'nda', date '2026-02-01' from ids;

-- Conditions and groups
select tests.act_as('law@vw.test');
select is((select count(*) from public.query_records('compliance.contract', '{"where": {"field": "contract_type", "op": "eq", "value": "nda"}}')),
  5::bigint, 'eq selects the organization''s rows the caller reads (4 of legal''s, 1 of the member''s)');
select is((select count(*) from public.query_records('compliance.contract',
  '{"where": {"and": [{"field": "contract_type", "op": "eq", "value": "supply"}, {"or": [{"field": "value", "op": "gte", "value": 700}, {"field": "reference", "op": "in", "value": ["C-1", "C-3"]}]}]}}')),
  4::bigint, 'and / or groups nest (supply and (value >= 700 or C-1, C-3))');
select is((select count(*) from public.query_records('compliance.contract', '{"where": {"field": "title", "op": "contains", "value": "50%_"}}')),
  3::bigint, 'contains matches % and _ literally');
select is((select count(*) from public.query_records('compliance.contract', '{"where": {"field": "start_date", "op": "lt", "value": "2026-01-04"}}')),
  2::bigint, 'values are cast to the column''s type (a date)');
select is((select count(*) from public.query_records('compliance.contract', '{"where": {"field": "end_date", "op": "is_null"}}')), 10::bigint, 'is_null');
select is((select count(*) from public.query_records('compliance.contract', '{"where": {"field": "reference", "op": "nin", "value": ["C-1"]}}')), 9::bigint, 'nin');
select is(public.count_records('compliance.contract', '{"where": {"field": "contract_type", "op": "eq", "value": "nda"}}'), 5::bigint,
  'count_records counts what query_records lists');
select is((select record ->> 'title' from public.query_records('compliance.contract', '{"where": {"field": "title", "op": "eq", "value": "x''); drop table compliance.contracts; --"}}')),
  null, 'a value is only ever a value');
select is((select array_agg(k order by k) from (select jsonb_object_keys(record) k from public.query_records('compliance.contract', '{"limit": 1}', null, array['reference', 'title'])) x),
  array['reference', 'title'], 'columns choose what each record holds');

-- Sorting and keyset pages
select is((select array_agg(record ->> 'reference') from public.query_records('compliance.contract', '{"sort": [{"field": "start_date", "dir": "desc"}], "limit": 3}')),
  array['M-1', 'C-9', 'C-8'], 'rows come sorted');
insert into pages select 1, (record ->> 'id')::uuid, cursor from public.query_records('compliance.contract', '{"sort": [{"field": "contract_type"}], "limit": 4}');
insert into compliance.contracts (org_id, reference, title, contract_type, start_date) select a, 'C-0', 'Added between pages', 'nda', date '2026-01-01' from ids;
insert into pages select 2, (record ->> 'id')::uuid, cursor
from public.query_records('compliance.contract', '{"sort": [{"field": "contract_type"}], "limit": 4}', (select cursor from pages where n = 1 order by ctid desc limit 1));
insert into pages select 3, (record ->> 'id')::uuid, cursor
from public.query_records('compliance.contract', '{"sort": [{"field": "contract_type"}], "limit": 4}', (select cursor from pages where n = 2 order by ctid desc limit 1));
select is((select count(distinct id) from pages), (select count(*) from pages), 'no row comes twice across pages');
select ok((select count(*) from pages) >= 10, 'and none of the rows there before is skipped');

-- RLS and the trash
select tests.act_as('mem@vw.test');
select is((select array_agg(record ->> 'reference') from public.query_records('compliance.contract', '{}')), array['M-1'], 'a member lists only what they may read');
select tests.act_as('law@vw.test');
select public.trash_record('compliance.contract', (select id from compliance.contracts where reference = 'C-1'));
select is(public.count_records('compliance.contract', '{}'), 10::bigint, 'a trashed row is left out, even for who may restore it');
select is((select array_agg(record ->> 'reference') from public.query_records('compliance.contract', '{"where": {"field": "deleted_at", "op": "not_null"}}')),
  array['C-1'], 'unless the filter asks for the trash');

-- Bad documents
select throws_ok($$ select * from public.query_records('compliance.contract', '{"where": {"field": "nope", "op": "eq", "value": 1}}') $$,
  '22023', 'Cannot filter by nope: it is not a column you can read', 'an unknown field is refused');
select throws_ok($$ select * from public.query_records('compliance.contract', '{"where": {"field": "title; drop table x", "op": "eq", "value": 1}}') $$,
  '22023', null, 'a field is only ever a column name');
select throws_ok($$ select * from public.query_records('compliance.contract', '{"where": {"field": "search_vector", "op": "not_null"}}') $$,
  '22023', null, 'the search vector is not a field');
select throws_ok($$ select * from public.query_records('compliance.contract', '{"where": {"field": "title", "op": "like", "value": "x"}}') $$,
  '22023', 'Cannot filter: like is not an operator', 'an unknown operator is refused');
select throws_ok($$ select * from public.query_records('compliance.contract', '{"where": {"field": "start_date", "op": "eq", "value": "soon"}}') $$,
  '22007', null, 'a value of the wrong type is refused');
select throws_ok($$ select * from public.query_records('compliance.contract', '{"where": {"and": [{"and": [{"and": [{"and": [{"and": [{"and": [{"field": "title", "op": "is_null"}]}]}]}]}]}]}}') $$,
  '22023', null, 'nesting deeper than 5 is refused');
select throws_ok($$ select * from public.query_records('compliance.contract', '{"sort": [{"field": "end_date"}]}') $$, '22023', null,
  'sorting by a column that may be empty is refused');
select throws_ok($$ select * from public.query_records('compliance.contract', '{}', 'bm90IGEgY3Vyc29y') $$, '22023', null, 'a forged cursor is refused');
select throws_ok($$ select * from public.query_records('compliance.nothing', '{}') $$, '22023', 'Cannot query compliance.nothing: no such kind of record',
  'an unknown kind is refused');

-- Saved views
with v as (insert into public.saved_views (org_id, kind, name, filter, sharing)
           select a, 'compliance.contract', 'All NDAs', '{"where": {"field": "contract_type", "op": "eq", "value": "nda"}}', 'org' from ids returning id)
update ids set shared = (select id from v);
select throws_ok($$ insert into public.saved_views (org_id, kind, name, filter) select a, 'compliance.contract', 'Broken', '{"where": {"field": "nope", "op": "eq", "value": 1}}' from ids $$,
  '22023', null, 'a view whose filter does not check is refused when saved');
select tests.act_as('mem@vw.test');
with v as (insert into public.saved_views (org_id, kind, name, filter) select a, 'compliance.contract', 'Mine', '{}' from ids returning id)
update ids set mine = (select id from v);
select is((select array_agg(record ->> 'reference') from public.query_view((select shared from ids))), array['M-1'],
  'a shared view runs with its reader''s access, not its author''s');
select tests.act_as('pal@vw.test');
select is((select array_agg(name order by name) from public.saved_views), array['All NDAs'], 'a private view is its owner''s alone');
select throws_ok($$ select * from public.query_view((select mine from ids)) $$, 'P0002', null, 'nor can anyone else run it');

select * from finish();
rollback;
