-- Search, on compliance contracts: words and prefixes, accents, typos, a contract found through
-- its parties, ranked with highlighted snippets; RLS decides what is found, trashed records never
-- are; keyset pages that neither repeat nor skip while rows are added; bad input answered clearly.
begin;
select plan(19);

select tests.create_user(e) from unnest(array['own@se.test', 'mem@se.test', 'vie@se.test', 'x@other.test']) e;
create temp table ids as select tests.create_org('search-a', tests.user_id('own@se.test')) as a, tests.create_org('search-b', tests.user_id('x@other.test')) as b;
alter table ids add column nda uuid, add column supply uuid;
grant select, update on ids to authenticated;
select tests.add_member((select a from ids), tests.user_id('mem@se.test'), 'member');
select tests.add_member((select a from ids), tests.user_id('vie@se.test'), 'viewer');
create temp table pages (n integer, id uuid, rank numeric, kind text, cursor text);
grant select, insert on pages to authenticated;

select tests.act_as('own@se.test');
insert into compliance.contracts (org_id, reference, title, contract_type, start_date)
select a, r, t, 'general', current_date from ids, (values ('NDA-001', 'Acme NDA'), ('SUP-002', 'Globex supply agreement'),
  ('LEA-003', 'Café Müller lease'), ('B-1', 'Batch one'), ('B-2', 'Batch two'), ('B-3', 'Batch three'), ('B-4', 'Batch four'),
  ('B-5', 'Batch five')) v (r, t);
update ids set nda = (select id from compliance.contracts where reference = 'NDA-001'), supply = (select id from compliance.contracts where reference = 'SUP-002');
insert into compliance.contract_parties (org_id, contract_id, kind, name, email)
select a, supply, 'external', 'Initech GmbH', 'bill@initech.test' from ids;
select tests.act_as('x@other.test');
insert into compliance.contracts (org_id, reference, title, start_date) select b, 'NDA-900', 'Acme master agreement', current_date from ids;
select tests.act_as('mem@se.test');
insert into compliance.contracts (org_id, reference, title, start_date) select a, 'MEM-1', 'Acme side letter', current_date from ids;

-- Finding
select tests.act_as('own@se.test');
select is((select array_agg(title order by title) from public.search('acme')), array['Acme NDA', 'Acme side letter'],
  'words find the organization''s contracts, not another organization''s');
select is((select snippet from public.search('acme nda') where id = (select nda from ids)), '<mark>Acme</mark> <mark>NDA</mark> · <mark>NDA</mark>-001 · general',
  'the snippet marks the matches');
select is((select count(*) from public.search('acm')), 2::bigint, 'a word''s beginning finds it');
select is((select title from public.search('cafe muller')), 'Café Müller lease', 'accents are folded');
select is((select title from public.search('globx')), 'Globex supply agreement', 'a typo in a short field still finds it');
select is((select kind || '/' || title from public.search('initech')), 'compliance.contract/Globex supply agreement',
  'a contract is found through its parties'' names');
select is((select id from public.search('bill@initech')), (select supply from ids), 'and their email addresses');
select is((select count(*) from public.search('acme', array['compliance.nothing'])), 0::bigint, 'kinds narrow the search');
select ok((select bool_and(rank > 0) from public.search('batch')), 'every hit has a rank');

-- RLS decides
select tests.act_as('mem@se.test');
select is((select array_agg(title) from public.search('acme')), array['Acme side letter'], 'a member finds only what they may read');
select tests.act_as('vie@se.test');
select is((select count(*) from public.search('acme')), 0::bigint, 'a viewer with nothing of their own finds nothing');

-- Trashed records never appear, even to who may restore them
select tests.act_as('own@se.test');
select public.trash_record('compliance.contract', (select nda from ids));
select is((select array_agg(title) from public.search('acme')), array['Acme side letter'], 'a trashed contract is not found');
select is((select count(*) from public.search('initech')), 1::bigint, 'others are');

-- Keyset pages
insert into pages select 1, id, rank, kind, cursor from public.search('batch', null, 2);
insert into compliance.contracts (org_id, reference, title, start_date) select a, 'B-6', 'Batch six', current_date from ids;
insert into pages select 2, id, rank, kind, cursor
from public.search('batch', null, 2, (select cursor from pages where n = 1 order by rank, kind desc, id desc limit 1));
select is((select count(*) from pages), 4::bigint, 'two pages of two');
select is((select count(distinct id) from pages), 4::bigint, 'with no record twice although a record was added between them');

-- Bad input
select throws_ok($$ select * from public.search('acme', null, 20, 'not a cursor') $$, '22023', 'Cannot search: the cursor is not one a search returned',
  'a forged cursor is refused');
select throws_ok($$ select * from public.search('acme', null, 1000) $$, '22023', null, 'so is a page over 100');
select is((select count(*) from public.search('!!! ''" & | <> :*')), 0::bigint, 'punctuation and tsquery syntax find nothing and fail nothing');
select is((select count(*) from public.search(repeat('acme ', 500))), 1::bigint, 'a long query is cut to its first words');

select * from finish();
rollback;
