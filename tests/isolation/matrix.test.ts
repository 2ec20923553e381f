/**
 * The isolation matrix's coverage of every exposed table, and proof that its gates bite: a table
 * without RLS fails both the matrix and Supabase's advisors; a leaking policy is reported as a
 * mismatch. The specs themselves run in the matrix-shard-*.test.ts files (shards.ts), spread over
 * the workers, each on a database of its own. This file creates and drops tables in an exposed
 * schema, so its cases run in order.
 */
import { describe, expect, it } from "vitest";
import { advisorFailures, advisorFindings } from "../../scripts/lib/gates.ts";
import { testDb } from "../helpers/db.ts";
import { testEnv } from "../helpers/env.ts";
import { coverage, runSpec, type TableSpec } from "./matrix.ts";
import { type MatrixWorld, specs } from "./specs/index.ts";
import type { Tx } from "../../functions/_shared/db.ts";
import type { World } from "./matrix.ts";
import { insertUser, type User, userActor } from "./world.ts";

interface ProbeWorld extends World {
  stranger: User;
}

/** A small world for the runner's own tests: anon, one signed-in user, the service role. */
async function probeWorld(tx: Tx): Promise<ProbeWorld> {
  const outsider = await insertUser(tx, "probe-user");
  const stranger = await insertUser(tx, "probe-stranger");
  const hour = Math.floor(Date.now() / 1000) + 3600;
  return {
    stranger,
    actors: [
      { name: "anon", claims: { role: "anon", exp: hour } },
      userActor("outsider", outsider),
      { name: "service_role", claims: { role: "service_role", exp: hour } },
    ],
  };
}

const sql = testDb();

describe("isolation matrix", () => {
  it("covers every table and view in every exposed schema, each with RLS", async () => {
    const result = await coverage(sql, specs as TableSpec<never>[]);
    expect(result.missing, "tables without a matrix spec (add one in tests/isolation/specs/<module>.ts)").toEqual([]);
    expect(result.stale, "specs for tables that do not exist").toEqual([]);
    expect(result.withoutRls, "exposed tables without row-level security").toEqual([]);
  });
});

// Organizations requiring MFA: an aal1 session of any member reaches none of the organization's
// rows in any table carrying org_id (only their own membership, and invitations to their own
// address, stay readable so the app can tell them MFA is required).
describe("MFA lockout over every organization table", () => {
  it("lists the organization tables it checks", async () => {
    const withOrg = await sql<{ name: string }[]>`
      select table_schema || '.' || table_name as name from information_schema.columns
      where column_name = 'org_id' and table_schema = any (string_to_array(replace(current_setting('pgrst.db_schemas', true), ' ', ''), ','))
        and (table_schema || '.' || table_name) in (select table_schema || '.' || table_name from information_schema.tables where table_type = 'BASE TABLE')`;
    const specified = new Set(specs.map((s) => s.table));
    expect(withOrg.map((r) => r.name).filter((n) => !specified.has(n))).toEqual([]);
    expect(withOrg.length).toBeGreaterThanOrEqual(20);
  });
});

describe("the gates fail on a table created without RLS", () => {
  it("is reported by the matrix coverage and by Supabase's advisors, then cleaned up", async () => {
    await sql`create table public.gate_probe_no_rls (id uuid primary key default gen_random_uuid(), note text)`;
    try {
      const result = await coverage(sql, specs as TableSpec<never>[]);
      expect(result.missing).toContain("public.gate_probe_no_rls");
      expect(result.withoutRls).toContain("public.gate_probe_no_rls");
      const { findings, exitCode } = await advisorFindings(testEnv.dbUrl);
      const failures = advisorFailures(findings);
      expect(exitCode).not.toBe(0);
      expect(failures.map((f) => `${f.name}:${f.metadata?.name}`)).toContain(
        "rls_disabled_in_public:gate_probe_no_rls",
      );
    } finally {
      await sql`drop table public.gate_probe_no_rls`;
    }
    const after = await coverage(sql, specs as TableSpec<never>[]);
    expect(after.missing).not.toContain("public.gate_probe_no_rls");
    expect(advisorFailures((await advisorFindings(testEnv.dbUrl)).findings)).toEqual([]);
  });
});

describe("the matrix runner catches a leaking policy", () => {
  const probe: TableSpec<ProbeWorld> = {
    table: "public.matrix_probe",
    async rows(tx, world, actor) {
      const own = actor.userId
        ? (await tx`insert into public.matrix_probe (owner_id, note) values (${actor.userId}, 'mine') returning id`)[0]!
          .id
        : null;
      const [other] =
        await tx`insert into public.matrix_probe (owner_id, note) values (${world.stranger.id}, 'theirs') returning id`;
      return { own, other: other!.id };
    },
    insert: (world, actor) => ({
      own: actor.userId ? { owner_id: actor.userId, note: "new" } : null,
      other: { owner_id: world.stranger.id, note: "new" },
    }),
    updateColumn: "note",
    expect: {
      anon: { select: "none", insert: "none", update: "none", delete: "none" },
      outsider: { select: "own", insert: "own", update: "own", delete: "own" },
      service_role: { select: "all", insert: "all", update: "all", delete: "all" },
    },
  };

  it("passes a correct owner-only table, then reports the leak a using (true) policy opens", async () => {
    await sql.unsafe(`
      create table public.matrix_probe (id uuid primary key default gen_random_uuid(), owner_id uuid not null, note text);
      alter table public.matrix_probe enable row level security;
      create policy "Owners read their rows" on public.matrix_probe for select to authenticated using (owner_id = (select auth.uid()));
      create policy "Owners add their rows" on public.matrix_probe for insert to authenticated with check (owner_id = (select auth.uid()));
      create policy "Owners change their rows" on public.matrix_probe for update to authenticated using (owner_id = (select auth.uid()));
      create policy "Owners remove their rows" on public.matrix_probe for delete to authenticated using (owner_id = (select auth.uid()));`);
    try {
      expect(await runSpec(sql, probeWorld, probe)).toEqual([]);
      await sql.unsafe(
        `create policy "Everyone reads everything" on public.matrix_probe for select to authenticated using (true)`,
      );
      const mismatches = await runSpec(sql, probeWorld, probe);
      expect(mismatches).toEqual([
        expect.objectContaining({
          table: "public.matrix_probe",
          actor: "outsider",
          operation: "select",
          expected: "own",
          actual: "all",
        }),
      ]);
      const undeclared = await runSpec(sql, probeWorld, {
        ...probe,
        expect: { ...probe.expect, outsider: undefined as never },
      });
      expect(undeclared.filter((m) => m.expected === "(not declared)")).toHaveLength(4);
    } finally {
      await sql`drop table public.matrix_probe`;
    }
  });

  it("leaves nothing behind: worlds and rows are rolled back after each case", async () => {
    const [before] = await sql`select count(*)::int as n from auth.users where email like '%@matrix.test'`;
    await sql.unsafe(
      `create table public.matrix_probe (id uuid primary key default gen_random_uuid(), owner_id uuid not null, note text);
      alter table public.matrix_probe enable row level security;`,
    );
    try {
      await runSpec(sql, probeWorld, probe);
      const [rows] = await sql`select count(*)::int as n from public.matrix_probe`;
      expect(rows!.n).toBe(0);
    } finally {
      await sql`drop table public.matrix_probe`;
    }
    const [after] = await sql`select count(*)::int as n from auth.users where email like '%@matrix.test'`;
    expect(after!.n).toBe(before!.n);
  });
});

export type { MatrixWorld };
