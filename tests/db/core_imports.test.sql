-- CSV imports in the database: staging as a member only, the mapping checked as the caller, a dry
-- run that writes nothing, per-line outcomes with field and reason, batches that resume where the
-- last committed one ended, the job acting only as its member, revert leaving changed rows, and
-- the export record with its notification.
begin;
select plan(23);

select tests.create_user(e) from unnest(array['own@im.test', 'view@im.test', 'adm@im.test', 'x@other.test']) e;
create temp table ids as select tests.create_org('imp-a', tests.user_id('own@im.test')) as a, tests.create_org('imp-b', tests.user_id('x@other.test')) as b;
alter table ids add column imp uuid;
grant select, update on ids to authenticated;
select tests.add_member((select a from ids), tests.user_id('view@im.test'), 'viewer');
select tests.add_member((select a from ids), tests.user_id('adm@im.test'), 'admin');

-- Staging
select tests.act_as('x@other.test');
select throws_ok($$ select private.stage_import((select a from ids), 'compliance.contract', 'x.csv', array['Reference']) $$, '42501',
  format('Cannot import in organization %s: you are not a member', (select a from ids)), 'an outsider cannot import into the organization');
select tests.act_as('own@im.test');
select throws_ok($$ select private.stage_import((select a from ids), 'compliance.nothing', 'x.csv', array['Reference']) $$, '22023',
  'Cannot import compliance.nothing: no such kind of record accepts imports', 'only kinds that accept imports');
select throws_ok($$ select private.stage_import((select a from ids), 'compliance.contract', 'x.csv', array['Reference', 'Reference']) $$, '22023',
  'Cannot import compliance.contract: the first line must name every column, each once', 'the header names each column once');
update ids set imp = (select id from private.stage_import((select a from ids), 'compliance.contract', 'c.csv', array['Ref', 'Title', 'Start']));
select is(private.stage_import_lines((select imp from ids), '[[2, ["IM-1", "One", "2026-01-01"]], [3, ["IM-2", "Two", "someday"]],
  [4, ["IM-3", "Three", "2026-01-01"]], [5, ["IM-1", "Again", "2026-02-01"]], [6, ["IM-4"]], [7, ["IM-5", "Five", "2026-01-01"]]]'), 6,
  'the member stages the lines');
select is((select total_rows from private.finish_staging((select imp from ids))), 6, 'finishing the staging counts them');
select tests.act_as('view@im.test');
select throws_ok($$ select private.stage_import_lines((select imp from ids), '[[9, ["X"]]]') $$, 'P0002',
  format('Cannot add lines to import %s: it is not one you are staging', (select imp from ids)), 'nobody else adds lines');

-- The mapping
select tests.act_as('own@im.test');
select throws_ok($$ select private.start_import((select imp from ids), '{"Ref": "reference", "Title": "owner_id", "Nope": "title"}', 'skip', true) $$, '22023',
  'Cannot import compliance.contract: the file has no column Nope; owner_id is not a field you may import; start_date is required and not mapped',
  'a mapping naming a missing column, a column the caller may not set, or leaving a required field out is refused with each problem');
select throws_ok($$ select private.start_import((select imp from ids), '{"Ref": "reference", "Title": "id", "Start": "start_date"}', 'skip', true) $$, '22023',
  'Cannot import compliance.contract: id is not a field you may import; title is required and not mapped', 'the id is not a field');

-- A dry run writes nothing
select lives_ok($$ select private.start_import((select imp from ids), '{"Ref": "reference", "Title": "title", "Start": "start_date"}', 'skip', true) $$,
  'the dry run starts');
select is((private.run_import_batch((select imp from ids), 100)) ->> 'status', 'validated', 'one batch validates the whole file');
select is((select count(*) from compliance.contracts where reference like 'IM-%'), 0::bigint, 'and writes no contract');
select is((select array[created_rows, skipped_rows, failed_rows] from public.imports where id = (select imp from ids)), array[3, 1, 2],
  'what each line would do is counted (the second IM-1 is a duplicate of the first)');

-- The import, two lines a batch
select lives_ok($$ select private.start_import((select imp from ids), '{}', 'skip', false) $$, 'the import starts with the mapping kept');
select is((private.run_import_batch((select imp from ids), 2)) ->> 'processed_rows', '2', 'a batch applies two lines');
select is((select processed_rows from public.imports where id = (select imp from ids)), 2, 'and the import says how far it is');
select tests.act_as('view@im.test');
select throws_ok($$ select private.run_import_batch((select imp from ids), 2) $$, '42501',
  format('Cannot run import %s: it is not running as you', (select imp from ids)), 'only the member it runs as applies its lines');
select tests.act_as('own@im.test');
select is((private.run_import_batch((select imp from ids), 100)) ->> 'status', 'completed', 'the next batch goes on from line 4 and finishes');
select is((select array_agg(array[line::text, status, coalesce(field, '-'), coalesce(reason, '-')] order by line) from private.import_report((select imp from ids))),
  array[array['3', 'failed', 'start_date', 'validation'], array['6', 'failed', '-', 'validation']],
  'failed lines say their line, field and reason');
select is((select array_agg(reference order by reference) from compliance.contracts where reference like 'IM-%'), array['IM-1', 'IM-3', 'IM-5'],
  'each good line was imported once');

-- Revert
update compliance.contracts set title = 'Three (edited)' where reference = 'IM-3';
select tests.act_as('view@im.test');
select throws_ok($$ select private.revert_import((select imp from ids)) $$, 'P0002',
  format('Cannot revert import %s: no such import of yours', (select imp from ids)), 'a viewer cannot revert someone else''s import');
select tests.act_as('adm@im.test');
select lives_ok($$ select private.revert_import((select imp from ids)) $$, 'an admin (core.imports.manage) reverts it');
select is((private.run_import_batch((select imp from ids), 100)) ->> 'status', 'reverted', 'the job reverts it as the admin');
select is((select array_agg(reference || ':' || (deleted_at is not null)::text order by reference) from compliance.contracts where reference like 'IM-%'),
  array['IM-1:true', 'IM-3:false', 'IM-5:true'], 'untouched rows went to the trash; the edited one stayed');

select * from finish();
rollback;
