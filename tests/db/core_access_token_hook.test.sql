-- The custom access token hook adds active memberships to the claims, for display only.
begin;
select plan(6);

select tests.create_user(e) from unnest(array['h@hook.test', 'x@hook.test']) e;
select tests.create_org('hook-a', tests.user_id('h@hook.test'));
select tests.create_org('hook-b', tests.user_id('x@hook.test'));
select tests.add_member((select id from public.organizations where slug = 'hook-b'), tests.user_id('h@hook.test'), 'viewer');

create temp table event as select jsonb_build_object(
  'user_id', tests.user_id('h@hook.test'),
  'claims', jsonb_build_object('sub', tests.user_id('h@hook.test'), 'role', 'authenticated', 'aal', 'aal1', 'email', 'h@hook.test'),
  'authentication_method', 'password') as e;

select is((select jsonb_array_length(private.custom_access_token_hook(e) -> 'claims' -> 'orgs') from event), 2, 'both memberships are listed');
select is((select private.custom_access_token_hook(e) -> 'claims' -> 'orgs' -> 0 ->> 'role' from event), 'owner',
  'each with the role key (ordered by slug)');
select is((select private.custom_access_token_hook(e) -> 'claims' ->> 'email' from event), 'h@hook.test', 'the other claims are kept');
update public.members set status = 'suspended', suspended_at = now()
  where org_id = (select id from public.organizations where slug = 'hook-b') and user_id = tests.user_id('h@hook.test');
select is((select jsonb_array_length(private.custom_access_token_hook(e) -> 'claims' -> 'orgs') from event), 1, 'suspended memberships are left out');
select ok(has_function_privilege('supabase_auth_admin', 'private.custom_access_token_hook(jsonb)', 'execute'), 'Supabase Auth may call it');
select ok(not has_function_privilege('authenticated', 'private.custom_access_token_hook(jsonb)', 'execute'), 'API users may not');

select * from finish();
rollback;
