-- Core: the hand-written policies that test one organization set take the generator's forms.
-- Reads whose organization test stands alone — bookings, the audit trail, organizations and
-- compliance settings — read the caller's stored set (private.my_access_sets) as an index condition,
-- through private.scope_predicate, instead of `org_id in (select private.org_ids_with(…))` (a hashed
-- subplan over a helper's result: a filter, so "every booking of my organizations" or "the audit trail
-- of my organizations" read the whole table). Writes checked at organization scope — members,
-- organizations, compliance settings and certifications — probe the caller's row for the row's
-- organization (private.write_predicate) instead of building the set. Who may do what is unchanged:
-- org_ids_with(p) was the organizations held at organization scope, which is scope_predicate's form
-- for a table without department or owner columns, and member_org_ids() was the `membership` set.
-- Policies that join an organization test with another by OR (members and certifications reads,
-- documents, invitations, notifications) keep their helpers: under OR neither form is an index
-- condition, and a hashed subplan tests a row in constant time where an array is searched in order.
-- Tables: none new. Permissions: none.

do $$
declare
  v_membership text := '%s = any ((select s.org_ids from private.my_access_sets s where s.permission = ''membership'')::uuid[])';
  v_write text;
begin
  execute format('alter policy %I on public.bookings using (%s)', 'Members with core.scheduling.read read bookings',
    private.scope_predicate('core.scheduling.read', 'org_id', null, null, null));
  execute format('alter policy %I on audit.log using ((%s) and not (((org_id::text || '':'' || table_schema) || ''.'' || table_name) in (select private.audit_hidden_tables())))',
    'Audit readers read the history of what they may read',
    private.scope_predicate('core.audit.read', 'org_id', null, null, null));
  execute format('alter policy %I on public.organizations using (%s)', 'Members read their organizations',
    format(v_membership, 'id'));
  execute format('alter policy %I on compliance.settings using (%s)', 'Members read their organization''s compliance settings',
    format(v_membership, 'org_id'));

  v_write := private.write_predicate('public.members', 'core.members.manage', 'org_id', null, null);
  execute format('alter policy %I on public.members using (%s) with check (%s)', 'Members with core.members.manage change members', v_write, v_write);
  execute format('alter policy %I on public.members using (user_id = (select auth.uid()) or %s)', 'Members leave; core.members.manage holders remove others', v_write);

  v_write := private.write_predicate('public.organizations', 'core.org.manage', 'id', null, null);
  execute format('alter policy %I on public.organizations using (%s) with check (%s)', 'Members with core.org.manage change their organization', v_write, v_write);
  execute format('alter policy %I on public.organizations using (%s)', 'Members with core.org.delete delete their organization',
    private.write_predicate('public.organizations', 'core.org.delete', 'id', null, null));

  v_write := private.write_predicate('compliance.settings', 'core.org.manage', 'org_id', null, null);
  execute format('alter policy %I on compliance.settings with check (%s)', 'Admins add their organization''s compliance settings', v_write);
  execute format('alter policy %I on compliance.settings using (%s) with check (%s)', 'Admins change their organization''s compliance settings', v_write, v_write);

  v_write := private.write_predicate('compliance.certifications', 'compliance.training.manage', 'org_id', null, null);
  execute format('alter policy %I on compliance.certifications with check (%s)', 'Members with compliance.training.manage record certifications', v_write);
  execute format('alter policy %I on compliance.certifications using (%s) with check (%s)', 'Training managers change and verify certifications', v_write, v_write);
  execute format('alter policy %I on compliance.certifications using (%s)', 'Members with compliance.training.manage remove certifications', v_write);
end
$$;
