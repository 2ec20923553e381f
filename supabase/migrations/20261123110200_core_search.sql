-- Core: search, once for every module table. private.enable_search gives a table a generated,
-- weighted tsvector (A–D, accents folded, the table's text search configuration) with a GIN index,
-- and trigram indexes on its short fields for fuzzy matches. public.search looks through every
-- enabled table the caller can read — RLS decides what is found, trashed rows never are — ranked,
-- with highlighted snippets, keyset-paginated. A child table (a contract's parties) can be searched
-- for its parent record. PostgREST's textSearch works on each search_vector column too.
-- Tables: private.search_tables (new). Permissions: none (each table's read policies decide).

create extension if not exists unaccent with schema extensions;
create extension if not exists pg_trgm with schema extensions;

-- Tables
create table private.search_tables (
  table_id regclass primary key,
  kind text not null,
  read_permission text not null references public.permissions (key),
  config text not null,
  record_column text not null default 'id',
  title_column text,
  text_columns text[] not null,
  fuzzy_columns text[] not null default '{}',
  constraint search_tables_kind_format check (kind ~ '^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$')
);
create index search_tables_kind_idx on private.search_tables (kind);
create index search_tables_read_permission_idx on private.search_tables (read_permission);
comment on table private.search_tables is 'Tables public.search looks through: the kind of record a hit is, the permission whose org scope reads every row (such readers are searched through the index directly), the text search configuration, the column naming the record (id, or a child''s parent key), the title, the searched and the fuzzy-matched columns.';
alter table private.search_tables enable row level security;
revoke all on private.search_tables from public, anon, authenticated, service_role;
select audit.enable('private.search_tables');

-- Helpers
create or replace function private.search_text(p_text text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select lower(extensions.unaccent('extensions.unaccent'::regdictionary, coalesce(p_text, '')))
$$;
comment on function private.search_text(text) is 'Text as search compares it: lower case, accents folded (immutable, so generated columns and indexes may use it).';
revoke all on function private.search_text(text) from public;
grant execute on function private.search_text(text) to anon, authenticated, service_role;

create or replace function private.search_prefix_query(p_query text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select string_agg(quote_literal(w) || ':*', ' & ' order by n)
  from unnest((regexp_split_to_array(private.search_text(left(p_query, 200)), '[^[:alnum:]]+'))[1:10]) with ordinality as t (w, n)
  where w <> ''
$$;
comment on function private.search_prefix_query(text) is 'The words of what a person typed (at most 10, accents folded) as a tsquery text where every word may be a prefix: "acm ltd" → ''acm'':* & ''ltd'':*. Never fails on any input.';
revoke all on function private.search_prefix_query(text) from public;
grant execute on function private.search_prefix_query(text) to anon, authenticated, service_role;

create or replace function private.enable_search(
  p_table regclass, p_kind text, p_read_permission text, p_weights jsonb, p_config regconfig default 'simple',
  p_fuzzy_columns text[] default '{}', p_title_column text default null, p_record_column text default 'id'
)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_name text := (select relname from pg_catalog.pg_class where oid = p_table);
  v_vector text;
  v_column text;
begin
  if exists (select 1 from private.search_tables where table_id = p_table) then
    return;
  end if;
  select string_agg(format('setweight(to_tsvector(%L::regconfig, private.search_text(%I)), %L)', p_config, w.key, w.value), ' || ')
  into v_vector from jsonb_each_text(p_weights) w
  where w.value in ('A', 'B', 'C', 'D');
  if v_vector is null or (select count(*) from jsonb_object_keys(p_weights)) <> (select count(*) from jsonb_each_text(p_weights) w where w.value in ('A', 'B', 'C', 'D')) then
    raise exception 'Cannot enable search on %: weigh each column A, B, C or D', p_table;
  end if;
  execute format('alter table %s add column search_vector tsvector generated always as (%s) stored', p_table, v_vector);
  execute format('comment on column %s.search_vector is %L', p_table, 'Words of the searched columns, weighted, accents folded (made by private.enable_search; query with textSearch or public.search).');
  execute format('create index %I on %s using gin (search_vector)', left(v_name || '_search_idx', 63), p_table);
  foreach v_column in array p_fuzzy_columns loop
    execute format('create index %I on %s using gin (private.search_text(%I) extensions.gin_trgm_ops)',
      left(format('%s_%s_trgm_idx', v_name, v_column), 63), p_table, v_column);
  end loop;
  insert into private.search_tables (table_id, kind, read_permission, config, record_column, title_column, text_columns, fuzzy_columns)
  values (p_table, p_kind, p_read_permission, p_config::text, p_record_column, p_title_column, array(select jsonb_object_keys(p_weights)), p_fuzzy_columns);
end
$$;
comment on function private.enable_search(regclass, text, text, jsonb, regconfig, text[], text, text) is 'Makes a table searchable in one idempotent call: p_read_permission is the permission whose org scope reads every row; p_weights {"column": "A".."D"} become a generated search_vector with a GIN index; p_fuzzy_columns get trigram indexes; hits are records of p_kind (p_record_column names them: id, or a child''s parent key), titled by p_title_column.';
revoke all on function private.enable_search(regclass, text, text, jsonb, regconfig, text[], text, text) from public;

create or replace function private.search_sources(p_kinds text[])
returns setof private.search_tables
language sql
stable
security definer
set search_path = ''
as $$
  select * from private.search_tables t where p_kinds is null or t.kind = any (p_kinds) order by t.kind, t.table_id::text
$$;
comment on function private.search_sources(text[]) is 'The registered searchable tables (of the given kinds), for public.search.';
revoke all on function private.search_sources(text[]) from public;
grant execute on function private.search_sources(text[]) to authenticated;

create or replace function private.search_match(p_source private.search_tables)
returns text[]
language sql
stable
set search_path = ''
as $$
  select array[
    format('(r.search_vector @@ x.q%s)%s',
      (select coalesce(string_agg(format(' or $2 operator(extensions.<%%) private.search_text(r.%I)', c), ''), '') from unnest(p_source.fuzzy_columns) c),
      case when exists (select 1 from pg_catalog.pg_attribute a where a.attrelid = p_source.table_id and a.attname = 'deleted_at' and not a.attisdropped)
           then ' and r.deleted_at is null' else '' end),
    format('round((ts_rank_cd(r.search_vector, x.q) + %s)::numeric, 6)',
      coalesce((select 'greatest(' || string_agg(format('extensions.word_similarity($2, private.search_text(r.%I))', c), ', ') || ')'
                from unnest(p_source.fuzzy_columns) c), '0')),
    format('cross join lateral (select to_tsquery(%L::regconfig, $1) as q) x', p_source.config)]
$$;
comment on function private.search_match(private.search_tables) is 'The match condition, the rank and the query of one searchable table (r its rows, x.q the query), from the registry only.';
revoke all on function private.search_match(private.search_tables) from public;

create or replace function private.search_hits(p_table regclass, p_query text, p_text text)
returns table (id uuid, rank numeric)
language plpgsql
stable
security definer
rows 100
set search_path = ''
as $$
declare
  v_source private.search_tables := (select t from private.search_tables t where t.table_id = p_table);
  v_match text[] := private.search_match(v_source);
begin
  -- Only organizations where the caller reads every row (org scope, MFA passed): nothing they
  -- could not read comes back, and the GIN index serves the match (under RLS it cannot: @@ is not
  -- leakproof, so PostgreSQL would test it only after the policies, row by row).
  return query execute format('select r.id, %s from %s r %s where %s and r.org_id = any ($3) and r.org_id <> all ($4)',
    v_match[2], p_table, v_match[3], v_match[1])
  using p_query, p_text, array(select private.org_ids_with(v_source.read_permission, 'org')), array(select private.mfa_blocked_org_ids());
end
$$;
comment on function private.search_hits(regclass, text, text) is 'Matches of a searchable table in the organizations where the caller reads every row (its read permission at org scope, MFA passed), through the GIN index: ids and ranks only, joined back to the table under RLS by public.search.';
revoke all on function private.search_hits(regclass, text, text) from public;
grant execute on function private.search_hits(regclass, text, text) to authenticated;

create or replace function private.search_narrow_orgs(p_permission text)
returns uuid[]
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(array_agg(a.org_id), '{}') from private.access a
  where a.user_id = auth.uid() and a.permission = p_permission and a.scope < 'org'
$$;
comment on function private.search_narrow_orgs(text) is 'Organizations where the caller holds the permission only at department or own scope: public.search matches their rows under RLS.';
revoke all on function private.search_narrow_orgs(text) from public;
grant execute on function private.search_narrow_orgs(text) to authenticated;

create or replace function private.search_branch(p_source private.search_tables)
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_title_table regclass := coalesce((select t.table_id from private.search_tables t
    where t.kind = p_source.kind and t.record_column = 'id' and t.title_column is not null limit 1), p_source.table_id);
  v_title text := (select t.title_column from private.search_tables t where t.table_id = v_title_table);
  v_match text[] := private.search_match(p_source);
  v_select text;
  v_parent text;
begin
  v_select := format('select %L::text as kind, r.%I as id, r.org_id, %s as title, %s as body, %L::regconfig as config, ',
    p_source.kind, p_source.record_column,
    case when v_title is null then 'null::text' when v_title_table = p_source.table_id then format('r.%I::text', v_title) else format('p.%I::text', v_title) end,
    (select string_agg(format('coalesce(r.%I::text, %L)', c, ''), ' || '' · '' || ') from unnest(p_source.text_columns) c), p_source.config);
  v_parent := case when v_title_table = p_source.table_id then '' else format('join %s p on p.id = r.%I', v_title_table, p_source.record_column) end;
  -- Org-scope readers: matches from the index, joined back under RLS. Narrower scopes: matched under RLS.
  return format('%s h.rank from private.search_hits(%L::regclass, $1, $2) h join %s r on r.id = h.id %s', v_select, p_source.table_id::text, p_source.table_id, v_parent)
    || format(' union all %s %s as rank from %s r %s %s where r.org_id = any (private.search_narrow_orgs(%L)) and %s',
      v_select, v_match[2], p_source.table_id, v_match[3], v_parent, p_source.read_permission, v_match[1]);
end
$$;
comment on function private.search_branch(private.search_tables) is 'The query of one searchable table for public.search, run as the caller: (kind, id, org_id, title, body, config, rank) from the index for organizations where they read every row and under RLS where they read less; trashed rows left out; a child''s hits joined to its parent (whose RLS applies too). Built from the registry only, never from caller text.';
revoke all on function private.search_branch(private.search_tables) from public;
grant execute on function private.search_branch(private.search_tables) to authenticated;

-- Workflows
create or replace function public.search(p_query text, p_kinds text[] default null, p_limit integer default 20, p_cursor text default null)
returns table (kind text, id uuid, org_id uuid, title text, snippet text, rank numeric, cursor text)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_prefix text := private.search_prefix_query(p_query);
  v_after jsonb;
  v_sql text;
begin
  if p_limit is null or p_limit not between 1 and 100 then
    raise exception 'Cannot search: ask for 1 to 100 results at a time' using errcode = '22023';
  end if;
  if p_cursor is not null then
    begin
      v_after := convert_from(decode(p_cursor, 'base64'), 'utf8')::jsonb;
      perform (v_after ->> 'r')::numeric, (v_after ->> 'i')::uuid;
    exception when others then
      raise exception 'Cannot search: the cursor is not one a search returned' using errcode = '22023';
    end;
  end if;
  select string_agg(private.search_branch(s), ' union all ') into v_sql from private.search_sources(p_kinds) s;
  if v_prefix is null or v_sql is null then
    return;
  end if;
  return query execute format($q$
    with hits as (%s),
    best as (select distinct on (h.kind, h.id) h.* from hits h order by h.kind, h.id, h.rank desc),
    page as (
      select * from best b
      where $3::jsonb is null or b.rank < ($3 ->> 'r')::numeric
         or (b.rank = ($3 ->> 'r')::numeric and (b.kind, b.id) > ($3 ->> 'k', ($3 ->> 'i')::uuid))
      order by b.rank desc, b.kind, b.id limit $4)
    select p.kind, p.id, p.org_id, p.title,
           ts_headline(p.config, replace(replace(replace(p.body, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), to_tsquery(p.config, $1),
             'StartSel=<mark>, StopSel=</mark>, MaxFragments=2, MaxWords=16, MinWords=5, FragmentDelimiter=" … "'),
           p.rank,
           translate(encode(convert_to(json_build_object('r', p.rank, 'k', p.kind, 'i', p.id)::text, 'utf8'), 'base64'), E'\n', '')
    from page p order by p.rank desc, p.kind, p.id$q$, v_sql)
  using v_prefix, private.search_text(left(p_query, 200)), v_after, p_limit;
end
$$;
comment on function public.search(text, text[], integer, text) is 'Searches every searchable table you can read (RLS decides; trashed records never appear) for what was typed (each word a prefix; short fields also fuzzily): one row per record, best first, with a snippet whose matches are in <mark> (the text is HTML-escaped), and a cursor for the next page (pass the last row''s).';
revoke all on function public.search(text, text[], integer, text) from public, anon;
grant execute on function public.search(text, text[], integer, text) to authenticated;
