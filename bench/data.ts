/**
 * Data toolkit benchmark (issue #13), measured in one run on 1,000,000 rows one member may read:
 *   public.search (full text, GIN) ÷ the ILIKE scan Atomic CRM's search does, same user, same RLS
 *   (target ≤ 1/50), each as PostgREST sends it, on its own connection, interleaved, medians.
 */
import postgres from "postgres";
import { type BenchResult, fmt, rounds, type Variant } from "./core.ts";

type Sql = postgres.Sql;

const ROWS = 1_000_000;
const WORDS = 20_000;

export async function measureData(sql: Sql, log: (line: string) => void, url: string): Promise<BenchResult[]> {
  log(`Loading ${ROWS.toLocaleString("en")} searchable notes in one organization`);
  await sql.unsafe(`
    create schema if not exists bench;
    grant usage on schema bench to authenticated;
    insert into public.permissions (key, module, description) values
      ('bench.notes.read', 'bench', 'Read benchmark notes'), ('bench.notes.write', 'bench', 'Write benchmark notes')
      on conflict do nothing;
    insert into private.system_role_grants (role_key, permission, scope) values
      ('owner', 'bench.notes.read', 'org'), ('owner', 'bench.notes.write', 'org') on conflict do nothing;
    create table bench.notes (
      id uuid primary key default gen_random_uuid(),
      org_id uuid not null references public.organizations (id) on delete cascade,
      title text not null,
      body text not null,
      created_at timestamptz not null default now()
    );
    create index notes_org_created_idx on bench.notes (org_id, created_at desc);
    select private.create_scoped_policies('bench.notes', 'bench.notes.read', 'bench.notes.write');
    grant select on bench.notes to authenticated;
    select private.enable_search('bench.notes', 'bench.note', 'bench.notes.read', '{"title": "A", "body": "C"}', p_title_column => 'title');
    create table bench.words as
      select n, translate(substr(md5(n::text), 1, 7), '0123456789', 'ghijklmnop') as word from generate_series(1, ${WORDS}) n;
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', 'bench-reader@bench.test', '', now(), '{}', '{}', now(), now());
    insert into public.organizations (name, slug, created_by)
    select 'Notes', 'bench-notes', id from auth.users where email = 'bench-reader@bench.test';`);
  const [ctx] = await sql`
    select o.id as org, o.created_by as user from public.organizations o where o.slug = 'bench-notes'`;
  const pick = (count: number, separator: string) =>
    Array.from({ length: count }, () => `v.w[1 + floor(random() * ${WORDS})::int]`).join(` || '${separator}' || `);
  for (let batch = 0; batch < 10; batch++) {
    await sql.unsafe(`
      with v as (select array_agg(word order by n) as w from bench.words)
      insert into bench.notes (org_id, title, body, created_at)
      select '${ctx!.org}', ${pick(4, " ")}, ${pick(8, " ")}, now() - make_interval(secs => i)
      from v, generate_series(${batch * (ROWS / 10) + 1}, ${(batch + 1) * (ROWS / 10)}) i`);
  }
  await sql.unsafe("vacuum analyze bench.notes");
  const queries = (await sql`select word from bench.words order by n limit 20`).map((r) => r.word as string);

  const connections: Sql[] = [];
  const connection = () => {
    const c = postgres(url, { max: 1, onnotice: () => {}, prepare: true });
    connections.push(c);
    return c;
  };
  let next = 0;
  const word = () => queries[next++ % queries.length]!;
  const variants: Variant[] = [
    {
      name: "search",
      sql: connection(),
      user: ctx!.user,
      statement: (tx) => tx`select * from public.search(${word()}, array['bench.note'], 20)`,
    },
    {
      name: "ilike",
      sql: connection(),
      user: ctx!.user,
      statement: (tx) => {
        const pattern = `%${word()}%`;
        return tx`select id, title from bench.notes where title ilike ${pattern} or body ilike ${pattern}
                  order by created_at desc limit 20`;
      },
    },
  ];
  try {
    log("search ÷ ILIKE scan over 1,000,000 rows: interleaved");
    const timings = await rounds(variants, 40, 5);
    const ours = timings.get("search")!;
    const scan = timings.get("ilike")!;
    const [{ found }] =
      await sql`select count(*)::int as found from bench.notes where search_vector @@ to_tsquery('simple', ${queries[
        0
      ]!} || ':*')` as unknown as [{ found: number }];
    const ratio = ours.median / scan.median;
    return [{
      name: "search over 1,000,000 rows: full text ÷ ILIKE scan",
      value: ratio,
      target: "≤ 0.02",
      ok: ratio <= 0.02,
      detail: `search ${fmt(ours)}; ILIKE ${
        fmt(scan)
      }; a query word is in about ${found} rows; top 20, as the member, under RLS`,
    }];
  } finally {
    await Promise.all(connections.map((c) => c.end()));
  }
}
