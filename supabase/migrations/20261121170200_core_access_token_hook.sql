-- Custom access token hook: Supabase Auth calls it before issuing a token and it adds the
-- user's active organizations and roles as a claim, for frontends to show. RLS never trusts
-- this claim (it goes stale until the token is refreshed); policies read the tables.
-- Enabled in config.toml: [auth.hook.custom_access_token]
--   uri = "pg-functions://postgres/private/custom_access_token_hook"

create or replace function private.custom_access_token_hook(event jsonb)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_claims jsonb := coalesce(event -> 'claims', '{}'::jsonb);
  v_orgs jsonb;
begin
  select coalesce(jsonb_agg(jsonb_build_object('id', o.id, 'slug', o.slug, 'role', r.key) order by o.slug), '[]'::jsonb)
    into v_orgs
  from (
    select m.org_id, m.role_id
    from public.members m
    where m.user_id = (event ->> 'user_id')::uuid and m.status = 'active'
    order by m.created_at
    limit 50
  ) m
  join public.organizations o on o.id = m.org_id and o.archived_at is null
  join public.roles r on r.id = m.role_id;
  return jsonb_build_object('claims', jsonb_set(v_claims, '{orgs}', v_orgs));
end
$$;
comment on function private.custom_access_token_hook(jsonb) is 'Supabase Auth hook: adds claim orgs = [{id, slug, role}] (active memberships, at most 50) to access tokens. For display only; RLS reads the tables.';

revoke all on function private.custom_access_token_hook(jsonb) from public, anon, authenticated;
grant usage on schema private to supabase_auth_admin;
grant execute on function private.custom_access_token_hook(jsonb) to supabase_auth_admin;
