-- Core: the two views every generated policy reads find the caller in the claims with json, not
-- jsonb, and read the session's assurance level only for users with organizations requiring MFA.
--  * PostgREST puts the whole payload of the caller's token in request.jwt.claims (about 450 bytes
--    for a Supabase access token). auth.uid() casts it to jsonb — a full parse into a sorted tree,
--    about 5 µs — and a read under the generated policies does that once per InitPlan, three or four
--    times a statement. `::json ->> 'sub'` reads the same text without building the tree (about
--    3 µs) and means the same: the top-level key (escapes decoded), the last value where a key
--    repeats, NULL for a payload that is not an object, the same error for one that is not JSON.
--    The legacy request.jwt.claim.sub and request.jwt.claim settings keep their precedence, as in
--    auth.uid() and auth.jwt().
--  * blocked_org_ids read auth.jwt() — one more parse — in every statement; now only on a row with
--    organizations requiring MFA (the 'membership' row of a user in one).
-- Measured in docs/benchmarks.md. Tables: none. Permissions: unchanged (create or replace keeps them).

create or replace view private.my_access with (security_barrier) as
  select a.org_id, a.permission, a.scope from private.access a
  where a.user_id = coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                             nullif(current_setting('request.jwt.claims', true), '')::json ->> 'sub')::uuid;
comment on view private.my_access is 'The current user''s rows of private.access (organization, permission, scope): auth.uid(), read from the claims as json (one parse cheaper than jsonb''s). Generated write policies probe it for the row''s organization.';

create or replace view private.my_access_sets with (security_barrier) as
  select s.permission,
    -- array_cat(x, '{}') returns x detoasted, so an index condition or filter does not fetch it again.
    array_cat(s.org_ids, '{}') as org_ids,
    s.partial_org_ids,
    case when cardinality(s.mfa_org_ids) = 0 then '{}'::uuid[]
      when coalesce(coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                             nullif(current_setting('request.jwt.claims', true), ''))::json ->> 'aal', 'aal1') = 'aal2'
        then '{}'::uuid[]
      else s.mfa_org_ids
    end as blocked_org_ids
  from private.access_sets s
  where s.user_id = coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                             nullif(current_setting('request.jwt.claims', true), '')::json ->> 'sub')::uuid;
comment on view private.my_access_sets is 'The current user''s rows of private.access_sets (auth.uid(), read from the claims as json: one parse cheaper than jsonb''s); blocked_org_ids: organizations requiring MFA while this session is below aal2 (on the ''membership'' row; the session''s aal is read only when there are any). Generated read and MFA policies read it.';
