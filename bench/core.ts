/**
 * Core tenancy benchmark (issue: core tenancy). Loads 1,000 organizations and 1,000,000 rows in
 * a representative org-scoped table (department and owner columns, policies from
 * private.create_scoped_policies), then measures side by side in one run:
 *   1. list 50 rows of one org as a member (RLS) ÷ the same query as service role   (target ≤ 1.2)
 *   2. the same for a user in 500 organizations ÷ a user in 10                      (target ≤ 1.5)
 *   3. single-row insert and update throughput with the audit trigger ÷ without     (target ≥ 0.8)
 *   4. EXPLAIN: the permission helpers run once per statement (each subplan loops ≤ 1)
 * Timings alternate between the two sides of each ratio so drift hits both alike.
 */
import postgres from "postgres";

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
    select private.create_scoped_policies('bench.items', 'bench.items.read', 'bench.items.write', 'org_id', 'department_id', 'owner_id');
    create index items_org_created_idx on bench.items (org_id, created_at desc);
    grant select, insert, update, delete on bench.items to authenticated, service_role;
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
  await sql.unsafe("vacuum analyze bench.items");
  await sql.unsafe(
    "analyze public.members; analyze public.role_permissions; analyze public.organizations; analyze public.departments;",
  );
  log("Loaded");
}

interface Ctx {
  org1: string;
  in10: string;
  in500: string;
  org500: string;
}

async function context(sql: Sql): Promise<Ctx> {
  const [row] = await sql`
    select (select id from public.organizations where slug = 'bench-org-1') as org1,
           (select id from public.organizations where slug = 'bench-org-500') as org500,
           (select id from auth.users where email = 'bench-in10@bench.test') as in10,
           (select id from auth.users where email = 'bench-in500@bench.test') as in500`;
  return row as unknown as Ctx;
}

function claimsFor(user: string | null): string {
  return JSON.stringify(user ? { sub: user, role: "authenticated", aal: "aal1" } : { role: "service_role" });
}

/**
 * Times one statement inside a transaction that first sets role and claims, as PostgREST does.
 * Returns the statement's time and the whole request's (begin, claims, statement, commit).
 */
async function timedBoth(
  sql: Sql,
  user: string | null,
  statement: (tx: postgres.TransactionSql) => Promise<unknown>,
): Promise<[number, number]> {
  let elapsed = 0;
  const requestStart = process.hrtime.bigint();
  await sql.begin(async (tx) => {
    await tx`select set_config('role', ${
      user ? "authenticated" : "service_role"
    }, true), set_config('request.jwt.claims', ${claimsFor(user)}, true)`;
    const start = process.hrtime.bigint();
    await statement(tx);
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  });
  return [elapsed, Number(process.hrtime.bigint() - requestStart) / 1e6];
}

async function timed(
  sql: Sql,
  user: string | null,
  statement: (tx: postgres.TransactionSql) => Promise<unknown>,
): Promise<number> {
  return (await timedBoth(sql, user, statement))[0];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs a and b alternately (order flipped every round); medians of statement and request times. */
async function alternate(iterations: number, a: () => Promise<[number, number]>, b: () => Promise<[number, number]>) {
  const as: [number, number][] = [];
  const bs: [number, number][] = [];
  for (let i = 0; i < 50; i++) {
    await a();
    await b();
  } // warm-up: plans cached, pages in memory
  for (let i = 0; i < iterations; i++) {
    if (i % 2 === 0) {
      as.push(await a());
      bs.push(await b());
    } else {
      bs.push(await b());
      as.push(await a());
    }
  }
  return {
    a: { statement: median(as.map((x) => x[0])), request: median(as.map((x) => x[1])) },
    b: { statement: median(bs.map((x) => x[0])), request: median(bs.map((x) => x[1])) },
  };
}

const list = (org: string) => (tx: postgres.TransactionSql) =>
  tx`select id, title, department_id, owner_id, created_at from bench.items where org_id = ${org} order by created_at desc limit 50`;

export async function measure(sql: Sql, log: (line: string) => void): Promise<BenchResult[]> {
  const ctx = await context(sql);
  const results: BenchResult[] = [];

  log("1/4 list 50 rows: member (RLS) vs service role");
  const one = await alternate(
    600,
    () => timedBoth(sql, ctx.in10, list(ctx.org1)),
    () => timedBoth(sql, null, list(ctx.org1)),
  );
  const r1 = one.a.statement / one.b.statement;
  const r1r = one.a.request / one.b.request;
  results.push({
    name: "list 50 rows: member (RLS) ÷ service role",
    value: r1,
    target: "≤ 1.2",
    ok: r1 <= 1.2,
    detail: `statement median ${one.a.statement.toFixed(3)} vs ${one.b.statement.toFixed(3)} ms`,
  });
  results.push({
    name: "  the same per request (begin … commit)",
    value: r1r,
    target: "≤ 1.2",
    ok: r1r <= 1.2,
    detail: `request median ${one.a.request.toFixed(3)} vs ${one.b.request.toFixed(3)} ms`,
  });
  // Control: the same query under RLS with policies that allow everything (using (true)): the
  // cost of RLS itself, which no helper design can go below.
  const policies = await sql<{ name: string; qual: string; permissive: string }[]>`
    select policyname as name, qual, permissive from pg_policies where schemaname = 'bench' and tablename = 'items' and cmd = 'SELECT'`;
  for (const p of policies) await sql.unsafe(`alter policy "${p.name}" on bench.items using (true)`);
  const floor = await alternate(
    600,
    () => timedBoth(sql, ctx.in10, list(ctx.org1)),
    () => timedBoth(sql, null, list(ctx.org1)),
  );
  for (const p of policies) await sql.unsafe(`alter policy "${p.name}" on bench.items using (${p.qual})`);
  const rf = floor.a.statement / floor.b.statement;
  results.push({
    name: "  control: RLS with using (true) ÷ service role",
    value: rf,
    target: "(floor, no target)",
    ok: true,
    detail: `statement median ${floor.a.statement.toFixed(3)} vs ${floor.b.statement.toFixed(3)} ms`,
  });

  log("2/4 list 50 rows: user in 500 organizations vs user in 10");
  const two = await alternate(
    600,
    () => timedBoth(sql, ctx.in500, list(ctx.org1)),
    () => timedBoth(sql, ctx.in10, list(ctx.org1)),
  );
  const r2 = two.a.statement / two.b.statement;
  results.push({
    name: "list 50 rows: user in 500 orgs ÷ user in 10",
    value: r2,
    target: "≤ 1.5",
    ok: r2 <= 1.5,
    detail: `statement median ${two.a.statement.toFixed(3)} vs ${two.b.statement.toFixed(3)} ms`,
  });

  log("3/4 single-row insert and update throughput with and without the audit trigger");
  await sql.unsafe("select audit.enable('bench.items')");
  const dept =
    (await sql`select department_id from public.members where user_id = ${ctx.in10} and org_id = ${ctx.org1}`)[0]!
      .department_id as string;
  const insert = (tx: postgres.TransactionSql) =>
    tx`insert into bench.items (org_id, department_id, owner_id, title) values (${ctx.org1}, ${dept}, ${ctx.in10}, 'bench insert')`;
  const targets =
    (await sql`select id from bench.items where org_id = ${ctx.org1} and department_id = ${dept} limit 2000`).map((r) =>
      r.id as string
    );
  let next = 0;
  const update = (tx: postgres.TransactionSql) =>
    tx`update bench.items set title = ${`t${next}`} where id = ${targets[next++ % targets.length]!}`;
  const throughput = async (
    enabled: boolean,
    statement: (tx: postgres.TransactionSql) => Promise<unknown>,
    n: number,
  ) => {
    await sql.unsafe(`alter table bench.items ${enabled ? "enable" : "disable"} trigger audit_row`);
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await timed(sql, ctx.in10, statement);
    return n / (Number(process.hrtime.bigint() - start) / 1e9);
  };
  const rounds = 10;
  const per = 200;
  const ins = { on: 0, off: 0 };
  const upd = { on: 0, off: 0 };
  await throughput(true, insert, 100);
  await throughput(false, insert, 100);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [true, false] : [false, true];
    for (const enabled of order) ins[enabled ? "on" : "off"] += await throughput(enabled, insert, per);
    for (const enabled of order) upd[enabled ? "on" : "off"] += await throughput(enabled, update, per);
  }
  await sql.unsafe("alter table bench.items enable trigger audit_row");
  const r3 = ins.on / ins.off;
  const r4 = upd.on / upd.off;
  results.push({
    name: "single-row insert throughput: audit on ÷ off",
    value: r3,
    target: "≥ 0.8",
    ok: r3 >= 0.8,
    detail: `${(ins.on / rounds).toFixed(0)} vs ${(ins.off / rounds).toFixed(0)} inserts/s`,
  });
  results.push({
    name: "single-row update throughput: audit on ÷ off",
    value: r4,
    target: "≥ 0.8",
    ok: r4 >= 0.8,
    detail: `${(upd.on / rounds).toFixed(0)} vs ${(upd.off / rounds).toFixed(0)} updates/s`,
  });

  log("4/4 EXPLAIN: helpers once per statement");
  const plan = await sql.begin(async (tx) => {
    await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${
      claimsFor(ctx.in500)
    }, true)`;
    const [row] = await tx.unsafe(
      `explain (analyze, format json) select id, title from bench.items where org_id = '${ctx.org1}' order by created_at desc limit 50`,
    );
    return (row as unknown as { "QUERY PLAN": unknown })["QUERY PLAN"];
  });
  // Each helper is an uncorrelated subplan; "Actual Loops" says how often it ran (0: not needed).
  const subplans: { loops: number; kind: string }[] = [];
  let scan = "";
  const walk = (node: Record<string, unknown>) => {
    const relationship = String(node["Parent Relationship"] ?? "");
    if (relationship === "InitPlan" || relationship === "SubPlan") {
      subplans.push({ loops: Number(node["Actual Loops"]), kind: relationship });
    }
    if (node["Relation Name"] === "items") scan = `${node["Node Type"]} using ${String(node["Index Name"] ?? "-")}`;
    for (const child of (node["Plans"] as Record<string, unknown>[] | undefined) ?? []) walk(child);
  };
  walk((plan as { Plan: Record<string, unknown> }[])[0]!.Plan);
  const once = subplans.length > 0 && subplans.every((p) => p.loops <= 1);
  results.push({
    name: "EXPLAIN: helpers run once per statement",
    value: Math.max(...subplans.map((p) => p.loops)),
    target: "every subplan loops ≤ 1",
    ok: once,
    detail: `${subplans.length} subplans (loops ${subplans.map((p) => p.loops).join(", ")}); ${scan}`,
  });
  return results;
}
