/**
 * Core tenancy benchmark. Loads 1,000 organizations and 1,000,000 rows in a representative
 * org-scoped table (department and owner columns, policies from private.create_scoped_policies)
 * and the same rows in a table guarded as basejump and MakerKit guard theirs (a per-row security
 * definer SQL function, has_role_on_account(org_id), written here), then times each request as
 * PostgREST sends it (begin; role and claims; the statement; commit) for three variants, each on a
 * connection of its own so each keeps its own cached plans:
 *   ours   — a member, through Groundwork's policies
 *   floor  — the service role with the filter written out (what no policy can beat)
 *   peer   — a member, through the per-row function
 * Rounds interleave the variants of both users in a new random order each round; medians and spread are reported.
 * For one org and count, a least policy (one array of organizations, nothing else) is timed as a reference.
 * Users: one in 10 organizations, one in 500. See docs/benchmarks.md for the targets.
 */
import postgres from "postgres";
import { accessClaims, apiKeyClaims } from "../scripts/lib/tokens.ts";

export interface BenchResult {
  name: string;
  value: number;
  target: string;
  ok: boolean;
  detail: string;
}

type Sql = postgres.Sql;

const ORGS = 1000;
const ROWS = 1_000_000;
const DEPARTMENTS_PER_ORG = 5;

export async function load(sql: Sql, log: (line: string) => void): Promise<void> {
  log(`Loading ${ORGS} organizations and ${ROWS.toLocaleString("en")} rows`);
  await sql.unsafe(`
    insert into public.permissions (key, module, description) values
      ('bench.items.read', 'bench', 'Read benchmark items'), ('bench.items.write', 'bench', 'Write benchmark items')
    on conflict do nothing;
    insert into private.system_role_grants (role_key, permission, scope) values
      ('owner', 'bench.items.read', 'org'), ('owner', 'bench.items.write', 'org'),
      ('member', 'bench.items.read', 'org'), ('member', 'bench.items.write', 'department'),
      ('viewer', 'bench.items.read', 'own')
    on conflict do nothing;
    create schema if not exists bench;
    grant usage on schema bench to authenticated, service_role;
    create table bench.items (
      id uuid primary key default gen_random_uuid(),
      org_id uuid not null references public.organizations (id),
      department_id uuid,
      owner_id uuid,
      title text not null,
      created_at timestamptz not null default now()
    );
    -- As module:new lays a table out: the organization's time index carries the scope columns, so
    -- "newest 50" walks it in order and a count under RLS reads it alone (index-only).
    create index items_org_created_idx on bench.items (org_id, created_at desc) include (department_id, owner_id);
    select private.create_scoped_policies('bench.items', 'bench.items.read', 'bench.items.write', 'org_id', 'department_id', 'owner_id');
    grant select, insert, update, delete on bench.items to authenticated, service_role;
    -- The peers' form: a security definer SQL function called for every row. The same table with the
    -- same indexes, so only the policies differ.
    create table bench.items_peer (like bench.items including all);
    create or replace function bench.has_role_on_account(p_org_id uuid) returns boolean
      language sql stable security definer set search_path = ''
      as $$ select exists (select 1 from public.members m where m.org_id = p_org_id and m.user_id = auth.uid() and m.status = 'active') $$;
    grant execute on function bench.has_role_on_account(uuid) to authenticated;
    alter table bench.items_peer enable row level security;
    create policy "Members read" on bench.items_peer for select to authenticated using (bench.has_role_on_account(org_id));
    create policy "Members add" on bench.items_peer for insert to authenticated with check (bench.has_role_on_account(org_id));
    grant select, insert on bench.items_peer to authenticated, service_role;
    -- The least any read policy with an index condition can cost, as a reference: one array of the
    -- caller's organizations from the same stored set, no department or owner scope, no MFA policy.
    -- A role of its own, so none of the authenticated policies apply to it.
    create role bench_least nologin;
    grant bench_least to current_user;
    grant usage on schema bench, private to bench_least;
    grant select on private.my_access_sets to bench_least;
    grant select on bench.items to bench_least;
    create policy "Least: the caller's organizations" on bench.items for select to bench_least
      using (org_id = any ((select s.org_ids from private.my_access_sets s where s.permission = 'bench.items.read')::uuid[]));
  `);
  await sql.unsafe(`
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', 'bench-' || name || '@bench.test', '', now(), '{}', '{}', now(), now()
    from unnest(array['founder', 'in10', 'in500']) name;
    insert into public.organizations (name, slug, created_by)
    select 'Org ' || i, 'bench-org-' || i, (select id from auth.users where email = 'bench-founder@bench.test')
    from generate_series(1, ${ORGS}) i;
    insert into public.departments (org_id, name)
    select o.id, 'Dept ' || d from public.organizations o, generate_series(1, ${DEPARTMENTS_PER_ORG}) d where o.slug like 'bench-org-%';
  `);
  // in10 is a member of orgs 1-10, in500 of orgs 1-500; both in org 1's first department.
  await sql.unsafe(`
    insert into public.members (org_id, user_id, role_id, department_id)
    select o.id, u.id, r.id, (select d.id from public.departments d where d.org_id = o.id order by d.name limit 1)
    from public.organizations o
    join public.roles r on r.org_id = o.id and r.key = 'member'
    join auth.users u on u.email in ('bench-in10@bench.test', 'bench-in500@bench.test')
    where o.slug like 'bench-org-%'
      and substring(o.slug from 'bench-org-(\\d+)')::int <= case when u.email = 'bench-in10@bench.test' then 10 else 500 end;
  `);
  const perOrg = ROWS / ORGS;
  const chunk = 100;
  for (let from = 1; from <= ORGS; from += chunk) {
    await sql.unsafe(`
      insert into bench.items (org_id, department_id, owner_id, title, created_at)
      select o.id, d.ids[1 + (n % ${DEPARTMENTS_PER_ORG})], u.id, 'Item ' || n, now() - make_interval(mins => n)
      from (select id, slug from public.organizations where slug like 'bench-org-%'
            and substring(slug from 'bench-org-(\\d+)')::int between ${from} and ${from + chunk - 1}) o
      cross join lateral (select array_agg(id order by name) ids from public.departments where org_id = o.id) d
      cross join (select id from auth.users where email = 'bench-founder@bench.test') u
      cross join generate_series(1, ${perOrg}) n`);
  }
  await sql.unsafe("insert into bench.items_peer select * from bench.items");
  await sql.unsafe("vacuum analyze bench.items");
  await sql.unsafe("vacuum analyze bench.items_peer");
  // The permission tables as a running database keeps them (autovacuum): all-visible, analysed.
  await sql.unsafe("vacuum analyze private.access");
  await sql.unsafe("vacuum analyze private.access_sets");
  await sql.unsafe(
    "analyze public.members; analyze public.role_permissions; analyze public.organizations; analyze public.departments;",
  );
  log("Loaded");
}

interface Ctx {
  org1: string;
  in10: string;
  in500: string;
  dept10: string;
  dept500: string;
  orgs10: string[];
  orgs500: string[];
}

async function context(sql: Sql): Promise<Ctx> {
  const [row] = await sql`
    select (select id from public.organizations where slug = 'bench-org-1') as org1,
           (select id from auth.users where email = 'bench-in10@bench.test') as in10,
           (select id from auth.users where email = 'bench-in500@bench.test') as in500`;
  const ctx = row as unknown as Ctx;
  const of = async (user: string) => ({
    orgs: (await sql`select org_id from public.members where user_id = ${user}`).map((r) => r.org_id as string),
    dept: (await sql`select department_id from public.members where user_id = ${user} and org_id = ${ctx.org1}`)[0]!
      .department_id as string,
  });
  const a = await of(ctx.in10);
  const b = await of(ctx.in500);
  return { ...ctx, orgs10: a.orgs, dept10: a.dept, orgs500: b.orgs, dept500: b.dept };
}

export type Statement = (tx: postgres.TransactionSql) => Promise<unknown>;

export interface Variant {
  name: string;
  /** The variant's own connection. */
  sql: Sql;
  /** null: the service role. */
  user: string | null;
  /** The database role the request switches to (authenticated unless named; service_role without a user). */
  role?: string;
  /** Take part in the first this many rounds only (a variant taking seconds a request). */
  samples?: number;
  statement: Statement;
}

export interface Timing {
  median: number;
  p10: number;
  p90: number;
  request: number;
}

/**
 * The request.jwt.claims PostgREST sets: the whole payload of the caller's token — a user's access
 * token as Supabase Auth issues it, or the service-role key's — made once per caller, as a session's
 * token is.
 */
const claimsOf = new Map<string | null, string>();
function claimsFor(user: string | null): string {
  let claims = claimsOf.get(user);
  if (!claims) {
    claims = JSON.stringify(user ? accessClaims({ id: user }) : apiKeyClaims("service_role"));
    claimsOf.set(user, claims);
  }
  return claims;
}

/** One request as PostgREST sends it; returns [statement ms, request ms]. */
async function request(variant: Variant): Promise<[number, number]> {
  const claims = claimsFor(variant.user);
  let statement = 0;
  const started = process.hrtime.bigint();
  await variant.sql.begin(async (tx) => {
    await tx`select set_config('role', ${
      variant.role ?? (variant.user ? "authenticated" : "service_role")
    }, true), set_config('request.jwt.claims', ${claims}, true)`;
    const start = process.hrtime.bigint();
    await variant.statement(tx);
    statement = Number(process.hrtime.bigint() - start) / 1e6;
  });
  return [statement, Number(process.hrtime.bigint() - started) / 1e6];
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;

/** A small seeded generator (mulberry32), so a run's order can be repeated. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The variants in a fresh random order (Fisher–Yates). */
export function shuffled<T>(items: T[], next: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Interleaved rounds over the variants, after a warm-up. Each round runs them in a new random order:
 * a rotation keeps every variant behind the same neighbour (ours always after the peer, the floor
 * always after ours, on the pages ours had just read) — a bias, though measured not to be the cause
 * of our gap to the floor.
 */
export async function rounds(variants: Variant[], count: number, warmUp = 20): Promise<Map<string, Timing>> {
  const samples = new Map(variants.map((v) => [v.name, [] as [number, number][]]));
  const next = random(0x5eed + count);
  const warm = (v: Variant, i: number) => i < (v.samples ? 1 : warmUp);
  const taking = (v: Variant, round: number) => round < (v.samples ?? count);
  for (let i = 0; i < warmUp; i++) for (const v of shuffled(variants, next)) if (warm(v, i)) await request(v);
  for (let round = 0; round < count; round++) {
    for (const v of shuffled(variants, next)) if (taking(v, round)) samples.get(v.name)!.push(await request(v));
  }
  const out = new Map<string, Timing>();
  for (const [name, values] of samples) {
    const s = values.map((x) => x[0]).sort((a, b) => a - b);
    const r = values.map((x) => x[1]).sort((a, b) => a - b);
    out.set(name, {
      median: quantile(s, 0.5),
      p10: quantile(s, 0.1),
      p90: quantile(s, 0.9),
      request: quantile(r, 0.5),
    });
  }
  return out;
}

export const fmt = (t: Timing) => `${t.median.toFixed(3)} ms (p10 ${t.p10.toFixed(3)}, p90 ${t.p90.toFixed(3)})`;

export async function measure(sql: Sql, log: (line: string) => void, url: string): Promise<BenchResult[]> {
  const ctx = await context(sql);
  const connections: Sql[] = [];
  const connection = () => {
    const c = postgres(url, { max: 1, onnotice: () => {}, prepare: true });
    connections.push(c);
    return c;
  };
  const results: BenchResult[] = [];
  const users = [
    { label: "10 orgs", id: ctx.in10, orgs: ctx.orgs10, dept: ctx.dept10 },
    { label: "500 orgs", id: ctx.in500, orgs: ctx.orgs500, dept: ctx.dept500 },
  ];
  const columns = "id, title, department_id, owner_id, created_at";
  const queries: {
    key: string;
    title: string;
    target: number;
    ours: (u: (typeof users)[number]) => Statement;
    floor: (u: (typeof users)[number]) => Statement;
    peer: (u: (typeof users)[number]) => Statement;
    /** Also time the least policy (a reference, reported). */
    least?: boolean;
  }[] = [
    {
      key: "one-org",
      title: "one org, newest 50",
      target: 1.3,
      least: true,
      ours: () => (tx) =>
        tx`select ${tx.unsafe(columns)} from bench.items where org_id = ${ctx.org1} order by created_at desc limit 50`,
      floor: () => (tx) =>
        tx`select ${tx.unsafe(columns)} from bench.items where org_id = ${ctx.org1} order by created_at desc limit 50`,
      peer: () => (tx) =>
        tx`select ${
          tx.unsafe(columns)
        } from bench.items_peer where org_id = ${ctx.org1} order by created_at desc limit 50`,
    },
    {
      key: "all-orgs",
      title: "all my orgs, newest 50",
      target: 1.5,
      ours: () => (tx) => tx`select ${tx.unsafe(columns)} from bench.items order by created_at desc limit 50`,
      floor: (u) => (tx) =>
        tx`select ${
          tx.unsafe(columns)
        } from bench.items where org_id = any (${u.orgs}::uuid[]) order by created_at desc limit 50`,
      peer: () => (tx) => tx`select ${tx.unsafe(columns)} from bench.items_peer order by created_at desc limit 50`,
    },
    {
      key: "count",
      title: "count of one org",
      target: 1.5,
      least: true,
      ours: () => (tx) => tx`select count(*) from bench.items where org_id = ${ctx.org1}`,
      floor: () => (tx) => tx`select count(*) from bench.items where org_id = ${ctx.org1}`,
      peer: () => (tx) => tx`select count(*) from bench.items_peer where org_id = ${ctx.org1}`,
    },
    {
      key: "insert",
      title: "insert one row",
      target: 0,
      ours: (u) => (tx) =>
        tx`insert into bench.items (org_id, department_id, owner_id, title) values (${ctx.org1}, ${u.dept}, ${u.id}, 'bench insert')`,
      floor: (u) => (tx) =>
        tx`insert into bench.items (org_id, department_id, owner_id, title) values (${ctx.org1}, ${u.dept}, ${u.id}, 'bench insert')`,
      peer: (u) => (tx) =>
        tx`insert into bench.items_peer (org_id, department_id, owner_id, title) values (${ctx.org1}, ${u.dept}, ${u.id}, 'bench insert')`,
    },
  ];
  const medians = new Map<string, number>();
  try {
    for (const q of queries) {
      // Both users' variants in the same interleaved rounds, so "500 ÷ 10" compares one run, not two.
      log(`${q.title}: ours, floor and peer for both users, interleaved`);
      // The peers' per-row function over "all my orgs" reads the whole table (seconds a request): it
      // takes part in the first 9 rounds only, the others in all 200.
      const slow = q.key === "all-orgs";
      const t = await rounds(
        users.flatMap((u) => [
          { name: `${u.label}:ours`, sql: connection(), user: u.id, statement: q.ours(u) },
          { name: `${u.label}:floor`, sql: connection(), user: null, statement: q.floor(u) },
          {
            name: `${u.label}:peer`,
            sql: connection(),
            user: u.id,
            statement: q.peer(u),
            samples: slow ? 9 : undefined,
          },
          ...(q.least
            ? [{ name: `${u.label}:least`, sql: connection(), user: u.id, role: "bench_least", statement: q.ours(u) }]
            : []),
        ]),
        slow ? 200 : 1000,
        slow ? 5 : 50,
      );
      for (const u of users) {
        const ours = t.get(`${u.label}:ours`)!;
        const floor = t.get(`${u.label}:floor`)!;
        const peer = t.get(`${u.label}:peer`)!;
        medians.set(`${q.key}:${u.label}`, ours.median);
        medians.set(`${q.key}:${u.label}:floor`, floor.median);
        const ratio = ours.median / floor.median;
        const vsPeer = ours.median / peer.median;
        const isInsert = q.key === "insert";
        results.push({
          name: `${q.title} (${u.label}): ours ÷ floor`,
          value: ratio,
          target: isInsert ? "(reported)" : `≤ ${q.target}`,
          ok: isInsert ? true : ratio <= q.target,
          detail: `ours ${fmt(ours)}; floor ${fmt(floor)}; request ${ours.request.toFixed(3)} vs ${
            floor.request.toFixed(3)
          } ms`,
        });
        results.push({
          name: `${q.title} (${u.label}): ours ÷ peer form`,
          value: vsPeer,
          target: isInsert ? "≤ 1" : "(reported)",
          ok: isInsert ? vsPeer <= 1 : true,
          detail: `peer ${fmt(peer)}; peer ÷ floor ${(peer.median / floor.median).toFixed(2)}`,
        });
        const least = t.get(`${u.label}:least`);
        if (least) {
          results.push({
            name: `${q.title} (${u.label}): least policy ÷ floor (reference)`,
            value: least.median / floor.median,
            target: "(reported)",
            ok: true,
            detail: `one array of the caller's organizations, no scopes, no MFA policy: ${fmt(least)}; ours ÷ least ${
              (ours.median / least.median).toFixed(2)
            }`,
          });
        }
      }
    }
    // A user in 500 organizations against one in 10, each over its own floor: "all my orgs" reads 50
    // times the rows for the first, and so does the floor, so the membership cost is what is left.
    for (const q of queries) {
      const at = (label: string) => medians.get(`${q.key}:${label}`)! / medians.get(`${q.key}:${label}:floor`)!;
      const ratio = at("500 orgs") / at("10 orgs");
      results.push({
        name: `${q.title}: user in 500 orgs ÷ user in 10 (each ÷ floor)`,
        value: ratio,
        target: "≤ 1.2",
        ok: ratio <= 1.2,
        detail: `${medians.get(`${q.key}:500 orgs`)!.toFixed(3)} vs ${
          medians.get(`${q.key}:10 orgs`)!.toFixed(3)
        } ms; ÷ floor ${at("500 orgs").toFixed(2)} vs ${at("10 orgs").toFixed(2)}`,
      });
    }
    results.push(await helpersOncePerStatement(sql, ctx));
  } finally {
    await Promise.all(connections.map((c) => c.end()));
  }
  return results;
}

/** EXPLAIN: each permission helper is an uncorrelated subplan that runs at most once. */
async function helpersOncePerStatement(sql: Sql, ctx: Ctx): Promise<BenchResult> {
  const plan = await sql.begin(async (tx) => {
    await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${
      claimsFor(ctx.in500)
    }, true)`;
    const [row] = await tx.unsafe(
      `explain (analyze, format json) select id, title from bench.items order by created_at desc limit 50`,
    );
    return (row as unknown as { "QUERY PLAN": unknown })["QUERY PLAN"];
  });
  const subplans: number[] = [];
  let scan = "";
  const walk = (node: Record<string, unknown>) => {
    const relationship = String(node["Parent Relationship"] ?? "");
    if (relationship === "InitPlan" || relationship === "SubPlan") subplans.push(Number(node["Actual Loops"]));
    if (node["Relation Name"] === "items") scan = `${node["Node Type"]} using ${String(node["Index Name"] ?? "-")}`;
    for (const child of (node["Plans"] as Record<string, unknown>[] | undefined) ?? []) walk(child);
  };
  walk((plan as { Plan: Record<string, unknown> }[])[0]!.Plan);
  return {
    name: "EXPLAIN (all my orgs): helpers run once per statement",
    value: Math.max(...subplans),
    target: "every subplan loops ≤ 1",
    ok: subplans.length > 0 && subplans.every((loops) => loops <= 1),
    detail: `${subplans.length} subplans (loops ${subplans.join(", ")}); ${scan}`,
  };
}
