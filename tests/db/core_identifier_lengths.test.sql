-- No identifier of ours reaches PostgreSQL's 63-byte limit, where longer names are cut with only a
-- NOTICE (a cut name reads wrong and may collide); the policy generator refuses a name that would.
begin;
select plan(2);

select is(
  (select array_agg(kind || ' ' || owner || ': ' || name order by 1) from (
     select 'policy' as kind, polrelid::regclass::text as owner, polname::text as name from pg_policy
     union all select 'constraint', conrelid::regclass::text, conname from pg_constraint where conrelid <> 0
     union all select 'relation', relnamespace::regnamespace::text, relname from pg_class
     union all select 'function', pronamespace::regnamespace::text, proname from pg_proc
     union all select 'trigger', tgrelid::regclass::text, tgname from pg_trigger
   ) names
   where octet_length(name) >= 63 and owner !~ '^(pg_catalog|information_schema|pg_toast)'),
  null,
  'no policy, constraint, relation, function or trigger name reaches 63 bytes (none was truncated)');

create table public.identifier_probe (id uuid primary key, org_id uuid not null);
insert into public.permissions (key, module, description) values
  ('core.very_long_resource_name_for_probing.administer_everything', 'core', 'probe');
select throws_like($$ select private.create_scoped_policies('public.identifier_probe', 'membership', 'core.very_long_resource_name_for_probing.administer_everything') $$,
  '%longer than PostgreSQL''s 63-byte identifiers%', 'the generator refuses a policy name that would be cut');

select * from finish();
rollback;
