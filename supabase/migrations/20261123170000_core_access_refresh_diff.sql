-- Core: recomputing a membership's rows of private.access writes only what changed.
--  * private.refresh_access deleted every row of the memberships it was given and inserted them all
--    again. Each of those statements fires the statement triggers that keep private.access_sets in
--    step, so every set of the member was rewritten twice — its organization removed, then added
--    back — even when nothing changed: a member of 500 organizations holding 14 permissions paid
--    28 rewrites of 500-element arrays (15–25 ms) for a role change that touched one permission or
--    none, and granting a permission to a role rewrote every set of every member holding it.
--  * Now it deletes only the rows the memberships no longer grant, inserts only the new ones and
--    updates only those whose scope or MFA flag changed (a DO UPDATE with a WHERE leaves identical
--    rows alone), so the triggers see exactly the change and touch only the sets it reaches.
--  * The end state is the same (tests/db/core_access.test.sql compares both tables with their
--    definition after every kind of change); concurrency is unchanged: callers lock the membership
--    rows first (the members trigger runs under the updated row's lock; refresh_roles_access locks
--    them FOR UPDATE), and the upsert settles a row inserted concurrently.
-- Tables: none. Permissions: unchanged (create or replace keeps them; revoked again below).

-- The rows the memberships should have now: active members × their role's grants, plus one
-- 'membership' row each, with the organization's MFA requirement.
create or replace function private.access_wanted(p_org_ids uuid[], p_user_ids uuid[])
returns setof private.access
language sql
stable
set search_path = ''
as $$
  select m.user_id, m.org_id, g.permission, g.scope, o.require_mfa
  from unnest(p_org_ids, p_user_ids) as k (org_id, user_id)
  join public.members m on m.org_id = k.org_id and m.user_id = k.user_id and m.status = 'active'
  join public.organizations o on o.id = m.org_id
  cross join lateral (
    select 'membership' as permission, 'org'::public.permission_scope as scope
    union all
    select rp.permission, rp.scope from public.role_permissions rp where rp.role_id = m.role_id
  ) as g
$$;
comment on function private.access_wanted(uuid[], uuid[]) is 'The rows of private.access the given memberships (pairs of org_id and user_id) grant now: one per permission of the member''s role and one ''membership'' row, for active members only. Read by private.refresh_access.';
revoke all on function private.access_wanted(uuid[], uuid[]) from public;

create or replace function private.refresh_access(p_org_ids uuid[], p_user_ids uuid[])
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from private.access a
  using unnest(p_org_ids, p_user_ids) as k (org_id, user_id)
  where a.org_id = k.org_id and a.user_id = k.user_id
    and (a.user_id, a.org_id, a.permission) not in (
      select w.user_id, w.org_id, w.permission from private.access_wanted(p_org_ids, p_user_ids) w
    );
  insert into private.access as a (user_id, org_id, permission, scope, requires_mfa)
  select w.user_id, w.org_id, w.permission, w.scope, w.requires_mfa from private.access_wanted(p_org_ids, p_user_ids) w
  on conflict (user_id, permission, org_id) do update set scope = excluded.scope, requires_mfa = excluded.requires_mfa
    where (a.scope, a.requires_mfa) is distinct from (excluded.scope, excluded.requires_mfa);
end
$$;
comment on function private.refresh_access(uuid[], uuid[]) is 'Recomputes private.access for the given memberships (pairs of org_id and user_id), writing only the difference: rows no longer granted are deleted, new ones inserted, changed scopes or MFA flags updated, so the set triggers touch only what changed.';
revoke all on function private.refresh_access(uuid[], uuid[]) from public;
