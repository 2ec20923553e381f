-- Documents: access is the document's own permission united with read access to a linked record;
-- storage.objects policies follow, exactly as the Storage server runs requests (as the caller).
begin;
select plan(36);

select tests.create_user(e) from unnest(array['own@doc.test', 'man@doc.test', 'mem@doc.test', 'vie@doc.test', 'rdr@doc.test', 'x@other.test']) e;
create temp table ids as select tests.create_org('docs-a', tests.user_id('own@doc.test')) as a, tests.create_org('docs-b', tests.user_id('x@other.test')) as b;
alter table ids add column sales uuid, add column doc uuid, add column rec uuid, add column v1 uuid;
update ids set sales = tests.create_department(a, 'Sales');
grant select, update on ids to authenticated, service_role;
select tests.add_member((select a from ids), tests.user_id('man@doc.test'), 'manager', (select sales from ids));
select tests.add_member((select a from ids), tests.user_id('mem@doc.test'), 'member', (select sales from ids));
select tests.add_member((select a from ids), tests.user_id('vie@doc.test'), 'viewer', (select sales from ids));

-- A module's table that documents attach to, readable with its own permission (probe.records.read).
insert into public.permissions (key, module, description) values ('probe.records.read', 'probe', 'Read probe records'), ('probe.records.write', 'probe', 'Write probe records');
create table public.doc_probe_records (id uuid primary key default gen_random_uuid(), org_id uuid not null references public.organizations (id), title text);
select private.create_scoped_policies('public.doc_probe_records', 'probe.records.read', 'probe.records.write');
grant select on public.doc_probe_records to authenticated;
select is(private.enable_document_links('public.doc_probe_records')::text, 'doc_probe_records_documents', 'one call attaches documents to a module''s table');
insert into public.roles (org_id, key, name, rank) values ((select a from ids), 'record_reader', 'Record reader', 10);
insert into public.role_permissions (role_id, permission, scope) values (tests.role_id((select a from ids), 'record_reader'), 'probe.records.read', 'org'),
  (tests.role_id((select a from ids), 'record_reader'), 'core.documents.write', 'org');
select tests.add_member((select a from ids), tests.user_id('rdr@doc.test'), 'record_reader');
with r as (insert into public.doc_probe_records (org_id, title) select a, 'Account 42' from ids returning id)
update ids set rec = (select id from r);

-- A member creates a document and uploads version 1
select tests.act_as('mem@doc.test');
insert into public.documents (org_id, title, department_id) select a, 'NDA', sales from ids;
select tests.act_as_postgres();
update ids set doc = (select id from public.documents where title = 'NDA');
select tests.act_as('mem@doc.test');
select lives_ok($$ update ids set v1 = (private.begin_document_upload((select doc from ids), 'nda.pdf', 1024, 'application/pdf')).id $$,
  'a writer reserves version 1 for an upload');
select is((select storage_path from public.document_versions where id = (select v1 from ids)),
  (select a || '/' || doc || '/1/nda.pdf' from ids), 'its path follows <org>/<document>/<version>/<file>');
select lives_ok($$ insert into storage.objects (bucket_id, name, owner_id, metadata)
  select 'documents', a || '/' || doc || '/1/nda.pdf', auth.uid()::text, '{"size": 1024, "mimetype": "application/pdf"}' from ids $$,
  'the uploader stores the object at the reserved path, as the Storage server does');
select throws_ok($$ insert into storage.objects (bucket_id, name, owner_id) select 'documents', a || '/' || doc || '/2/nda.pdf', auth.uid()::text from ids $$,
  '42501', null, 'but not at a version nobody reserved');
select throws_ok($$ insert into storage.objects (bucket_id, name, owner_id) select 'documents', 'elsewhere/nda.pdf', auth.uid()::text from ids $$,
  '42501', null, 'nor at a path outside the convention');
select is(private.confirm_document_upload((select v1 from ids), repeat('a', 64)), 'uploaded', 'the upload is confirmed with its checksum');
select is((select current_version from public.documents where id = (select doc from ids)), 1, 'and becomes the current version');
select throws_ok($$ select private.begin_document_upload((select doc from ids), 'x.exe', 1024, 'application/x-msdownload') $$, '22023',
  'Cannot store a file of type application/x-msdownload: the documents bucket does not accept it', 'a MIME type outside the allow-list is refused');
select throws_ok($$ select private.begin_document_upload((select doc from ids), 'big.pdf', 30000000, 'application/pdf') $$, '22023', null,
  'a file over the bucket''s limit is refused');
select throws_ok($$ select private.begin_document_upload((select doc from ids), '../evil.pdf', 10, 'application/pdf') $$, '23514', null,
  'a file name with a path in it is refused');
select private.begin_document_upload((select doc from ids), 'nda-v2.pdf', 2048, 'application/pdf');
insert into storage.objects (bucket_id, name, owner_id, metadata)
  select 'documents', a || '/' || doc || '/2/nda-v2.pdf', auth.uid()::text, '{"size": 999, "mimetype": "application/pdf"}' from ids;
select is(private.confirm_document_upload((select id from public.document_versions where version = 2 and document_id = (select doc from ids)), repeat('b', 64)),
  'size_mismatch', 'an object that does not match the declared size is rejected');
select is((select current_version from public.documents where id = (select doc from ids)), 1, 'and version 1 stays current');

-- Who reads it
select tests.act_as('mem@doc.test');
select is(tests.visible('storage.objects', $$bucket_id = 'documents' and name like '%/1/nda.pdf'$$), 1::bigint, 'the owner downloads version 1');
select is(tests.visible('storage.objects', $$bucket_id = 'documents' and name like '%/2/%'$$), 0::bigint, 'not the rejected version');
select tests.act_as('man@doc.test');
select is(tests.visible('public.documents'), 1::bigint, 'the department''s manager reads it');
select tests.act_as('vie@doc.test');
select is(tests.visible('public.documents'), 0::bigint, 'a viewer (own scope) does not read someone else''s document');
select throws_ok($$ select private.begin_document_upload((select doc from ids), 'v.pdf', 10, 'application/pdf') $$, 'P0002', null,
  'and cannot upload to it');
select tests.act_as('x@other.test');
select is(tests.visible('storage.objects', $$bucket_id = 'documents'$$), 0::bigint, 'a member of another organization guessing the path gets nothing');
select throws_ok($$ insert into storage.objects (bucket_id, name, owner_id) select 'documents', a || '/' || doc || '/3/x.pdf', auth.uid()::text from ids $$,
  '42501', null, 'nor uploads into it');

-- Linked records
select tests.act_as('rdr@doc.test');
select is(tests.visible('public.documents'), 0::bigint, 'a record reader without core.documents.read does not read it yet');
select tests.act_as('mem@doc.test');
select throws_ok($$ insert into public.doc_probe_records_documents (document_id, record_id, org_id) select doc, rec, a from ids $$,
  '42501', null, 'a writer cannot link a document to a record they cannot read');
select tests.act_as('rdr@doc.test');
select lives_ok($$ insert into public.doc_probe_records_documents (document_id, record_id, org_id) select doc, rec, a from ids $$,
  'a writer of the document who reads the record links them');
select tests.act_as('rdr@doc.test');
select is(tests.visible('public.documents'), 1::bigint, 'whoever can read the record now reads its document');
select is(tests.visible('storage.objects', $$bucket_id = 'documents'$$), 1::bigint, 'and downloads its confirmed version');
select tests.act_as_postgres();
insert into public.doc_probe_records (id, org_id, title) select '00000000-0000-4000-b000-000000000001', b, 'B record' from ids;
select throws_ok($$ insert into public.doc_probe_records_documents (document_id, record_id, org_id)
  select doc, '00000000-0000-4000-b000-000000000001', b from ids $$,
  '23503', null, 'even bypassing RLS, a link cannot cross organizations (composite keys)');
select tests.act_as_postgres();
update public.members set role_id = tests.role_id((select a from ids), 'viewer') where user_id = tests.user_id('rdr@doc.test');
select tests.act_as('rdr@doc.test');
select is(tests.visible('public.documents'), 0::bigint, 'losing access to the record loses the document at once');

-- Storage objects are never updated, and deleted only by the purge
select tests.act_as('own@doc.test');
update storage.objects set name = name || '.moved' where bucket_id = 'documents';
select throws_ok($$ delete from storage.objects where bucket_id = 'documents' $$, '42501',
  'Direct deletion from storage tables is not allowed. Use the Storage API instead.',
  'a direct delete from storage.objects is refused, as on the platform (only the Storage API deletes)');
select tests.act_as_postgres();
select is((select count(*)::int from storage.objects where bucket_id = 'documents' and name not like '%.moved'), 2, 'nobody moves or deletes objects through the API');

-- A document whose owner's account is gone is no one's own: own-scope writers cannot touch it.
select tests.act_as_postgres();
insert into public.documents (org_id, title, owner_id) select a, 'Orphan', null from ids;
select tests.act_as('mem@doc.test');
select throws_ok($$ select private.delete_document((select id from public.documents where title = 'Orphan')) $$, 'P0002', null,
  'an ownerless document is not writable at own scope');

-- Soft delete, restore, retention and purge
select tests.act_as('mem@doc.test');
select lives_ok($$ select private.delete_document((select doc from ids)) $$, 'a writer deletes the document');
select is(tests.visible('storage.objects', $$bucket_id = 'documents'$$), 0::bigint, 'a deleted document''s files cannot be downloaded');
select lives_ok($$ select private.restore_document((select doc from ids)) $$, 'it is restored within the retention window');
select private.delete_document((select doc from ids));
select tests.freeze_time(now() + interval '31 days');
select throws_ok($$ select private.restore_document((select doc from ids)) $$, 'GW410', null, 'but not after it');
select tests.act_as_service_role();
select is((select cardinality(paths) from private.claim_document_purges(10) where document_id = (select doc from ids)), 2,
  'the purge claims it with the paths of its objects');
select ok(private.finish_document_purge((select doc from ids)), 'and, once Storage removed them, deletes the rows');

select * from finish();
rollback;
