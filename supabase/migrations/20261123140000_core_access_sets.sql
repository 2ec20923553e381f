-- Core: a user's organizations per permission as one stored row, and generated policies that read
-- it (and private.access) inline, through two security-barrier views, instead of calling helpers.
--  * private.access_sets: per (user, permission) the sorted organizations where the user holds it,
--    those held below organization scope, and (on the 'membership' row) those requiring MFA.
--    Kept in step with private.access by statement triggers that add and remove organizations
--    (never recompute from a snapshot), so concurrent changes to one user compose.
--  * Reads: `org_id = any (<the row's array>)` is an index condition whose cost does not grow
--    with the user's memberships: one primary-key probe instead of one index entry per organization.
--  * Writes: one probe of private.access for the row's organization (a correlated EXISTS), no call.
--  * MFA: the restrictive policies read the blocked organizations from the same stored row.
-- Why views and not helpers: a `security definer` plpgsql call costs a GUC save and restore, an SPI
-- plan lookup and an executor of its own, three to four times a statement; a view is planned into
-- the statement (the plan is cached with it). Measured in docs/benchmarks.md.
-- Tables: private.access_sets. Permissions: none. Policies: every generator table's, every MFA one.

create table private.access_sets (
  user_id uuid not null references auth.users (id) on delete cascade,
  permission text not null,
  org_ids uuid[] not null default '{}',
  partial_org_ids uuid[] not null default '{}',
  mfa_org_ids uuid[] not null default '{}',
  primary key (user_id, permission)
);
alter table private.access_sets alter column org_ids set storage external,
  alter column partial_org_ids set storage external, alter column mfa_org_ids set storage external;
comment on table private.access_sets is 'Per user and permission, the organizations of private.access as sorted arrays: org_ids (any scope), partial_org_ids (held below organization scope), mfa_org_ids (on the ''membership'' row: organizations requiring MFA). Maintained by triggers on private.access; read by generated policies through private.my_access_sets.';
comment on column private.access_sets.org_ids is 'Organizations where the user holds the permission at any scope, sorted (a btree takes a sorted array as it is).';
comment on column private.access_sets.partial_org_ids is 'Organizations where the user holds the permission only at department or own scope: rows there need the scope check.';
comment on column private.access_sets.mfa_org_ids is 'On the ''membership'' row: the user''s organizations that require MFA; empty on other rows.';
alter table private.access_sets enable row level security;
revoke all on private.access_sets from public, anon, authenticated, service_role;

create or replace function private.uuid_set(p_set uuid[], p_removed uuid[], p_added uuid[])
returns uuid[]
language sql
immutable
parallel safe
set search_path = ''
as $$
  select coalesce(array_agg(t.x order by t.x), '{}')
  from ((select unnest(p_set) except select unnest(p_removed)) union select unnest(p_added)) as t (x)
$$;
comment on function private.uuid_set(uuid[], uuid[], uuid[]) is 'A sorted set of uuids with some removed, then some added (an element in both ends in).';
revoke all on function private.uuid_set(uuid[], uuid[], uuid[]) from public;

create or replace function private.change_access_sets(p_old private.access[], p_new private.access[])
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.access_sets (user_id, permission)
  select distinct n.user_id, n.permission from unnest(p_new) n order by 1, 2
  on conflict do nothing;
  -- Lock the rows in key order (no deadlock between two statements), then change each against
  -- its latest version: an update waiting on another re-reads the row, so both changes land.
  perform 1 from private.access_sets s
  where (s.user_id, s.permission) in (select c.user_id, c.permission from unnest(p_old || p_new) c)
  order by s.user_id, s.permission
  for update;
  update private.access_sets s set
    org_ids = private.uuid_set(s.org_ids, c.removed, c.added),
    partial_org_ids = private.uuid_set(s.partial_org_ids, c.removed, c.added_partial),
    mfa_org_ids = private.uuid_set(s.mfa_org_ids, c.removed, c.added_mfa)
  from (
    select ch.user_id, ch.permission,
      coalesce(array_agg(ch.org_id) filter (where not ch.added), '{}') as removed,
      coalesce(array_agg(ch.org_id) filter (where ch.added), '{}') as added,
      coalesce(array_agg(ch.org_id) filter (where ch.added and ch.scope <> 'org'), '{}') as added_partial,
      coalesce(array_agg(ch.org_id) filter (where ch.added and ch.requires_mfa and ch.permission = 'membership'), '{}') as added_mfa
    from (
      select o.user_id, o.permission, o.org_id, o.scope, o.requires_mfa, false as added from unnest(p_old) o
      union all
      select n.user_id, n.permission, n.org_id, n.scope, n.requires_mfa, true from unnest(p_new) n
    ) ch
    group by ch.user_id, ch.permission
  ) c
  where s.user_id = c.user_id and s.permission = c.permission;
end
$$;
comment on function private.change_access_sets(private.access[], private.access[]) is 'Applies a statement''s change to private.access (its old and new rows) to private.access_sets: organizations of old rows leave, those of new rows join (an update is both). Rows are only created for new rows, never for removals, so a user being deleted is not recreated.';
revoke all on function private.change_access_sets(private.access[], private.access[]) from public;

create or replace function private.refresh_access_sets()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    perform private.change_access_sets('{}', array(select n::private.access from new_rows n));
  elsif tg_op = 'DELETE' then
    perform private.change_access_sets(array(select o::private.access from old_rows o), '{}');
  else
    perform private.change_access_sets(array(select o::private.access from old_rows o), array(select n::private.access from new_rows n));
  end if;
  return null;
end
$$;
comment on function private.refresh_access_sets() is 'Keeps private.access_sets in step with private.access, once per statement (membership changes, role grants, MFA requirements, cascaded deletions).';
revoke all on function private.refresh_access_sets() from public;

create trigger refresh_access_sets_on_insert after insert on private.access
  referencing new table as new_rows for each statement execute function private.refresh_access_sets();
create trigger refresh_access_sets_on_update after update on private.access
  referencing old table as old_rows new table as new_rows for each statement execute function private.refresh_access_sets();
create trigger refresh_access_sets_on_delete after delete on private.access
  referencing old table as old_rows for each statement execute function private.refresh_access_sets();

insert into private.access_sets (user_id, permission, org_ids, partial_org_ids, mfa_org_ids)
select a.user_id, a.permission, array_agg(a.org_id order by a.org_id),
  coalesce(array_agg(a.org_id order by a.org_id) filter (where a.scope <> 'org'), '{}'),
  coalesce(array_agg(a.org_id order by a.org_id) filter (where a.requires_mfa and a.permission = 'membership'), '{}')
from private.access a
group by a.user_id, a.permission;

-- The views policies read. Owned by the migration's role, they read the private tables with its
-- rights, only the current user's rows; security barriers, so no caller's function sees other rows.
create view private.my_access with (security_barrier) as
  select a.org_id, a.permission, a.scope from private.access a where a.user_id = auth.uid();
comment on view private.my_access is 'The current user''s rows of private.access (organization, permission, scope). Generated write policies probe it for the row''s organization.';
revoke all on private.my_access from public, anon, authenticated, service_role;
grant select on private.my_access to authenticated;

create view private.my_access_sets with (security_barrier) as
  select s.permission,
    -- array_cat(x, '{}') returns x detoasted, so an index condition or filter does not fetch it again.
    array_cat(s.org_ids, '{}') as org_ids,
    s.partial_org_ids,
    case when coalesce(auth.jwt() ->> 'aal', 'aal1') = 'aal2' then '{}'::uuid[] else s.mfa_org_ids end as blocked_org_ids
  from private.access_sets s where s.user_id = auth.uid();
comment on view private.my_access_sets is 'The current user''s rows of private.access_sets; blocked_org_ids: organizations requiring MFA while this session is below aal2 (on the ''membership'' row). Generated read and MFA policies read it.';
revoke all on private.my_access_sets from public, anon, authenticated, service_role;
grant select on private.my_access_sets to authenticated;
