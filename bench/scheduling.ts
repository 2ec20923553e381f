/**
 * Scheduling benchmark (issue: scheduling core), measured in one run:
 *   booking insert throughput with the exclusion constraint ÷ without it      (target ≤ 3×, as a slowdown)
 *   64 clients contending for one slot: p50 and p99 latency of their answers
 */
import type postgres from "postgres";
import type { BenchResult } from "./core.ts";

const INSERTS = 3000;

export async function measureScheduling(sql: postgres.Sql, log: (line: string) => void): Promise<BenchResult[]> {
  const [owner] = await sql`
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', 'bench-scheduler@bench.test', '', now(), '{}', '{}', now(), now())
    returning id`;
  const [org] =
    await sql`insert into public.organizations (name, slug, created_by) values ('Bench clinic', 'bench-clinic', ${
      owner!.id
    }) returning id`;
  const resources = await sql`
    insert into public.resources (org_id, name, time_zone, min_notice_minutes)
    select ${org!.id}, 'Room ' || i, 'UTC', 0 from generate_series(1, 20) i returning id`;
  // The baseline is public.bookings but for the exclusion constraint: the same columns, defaults,
  // checks, indexes, foreign keys and triggers.
  await sql`create table bench.bookings_plain (like public.bookings including all)`;
  await sql.unsafe(`
    do $$
    declare
      r record;
    begin
      for r in select conname from pg_constraint where conrelid = 'bench.bookings_plain'::regclass and contype = 'x' loop
        execute format('alter table bench.bookings_plain drop constraint %I', r.conname);
      end loop;
      for r in select conname, pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'public.bookings'::regclass and contype = 'f' loop
        execute format('alter table bench.bookings_plain add constraint %I %s', r.conname, r.def);
      end loop;
      for r in select pg_get_triggerdef(oid) as def from pg_trigger where tgrelid = 'public.bookings'::regclass and not tgisinternal loop
        execute replace(r.def, 'ON public.bookings', 'ON bench.bookings_plain');
      end loop;
    end
    $$`);
  const [shape] = await sql`
    select (select count(*) from pg_constraint where conrelid = 'public.bookings'::regclass and contype = 'x')::int as exclusions,
           (select count(*) from pg_index where indrelid = 'public.bookings'::regclass)::int as indexes,
           (select count(*) from pg_index where indrelid = 'bench.bookings_plain'::regclass)::int as plain_indexes,
           (select count(*) from pg_trigger where tgrelid = 'public.bookings'::regclass and not tgisinternal)::int as triggers,
           (select count(*) from pg_trigger where tgrelid = 'bench.bookings_plain'::regclass and not tgisinternal)::int as plain_triggers`;

  // Sequential single-row inserts of non-overlapping bookings, alternating tables in rounds.
  const insertRate = async (table: "public.bookings" | "bench.bookings_plain", offset: number) => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < INSERTS / 10; i++) {
      const resource = resources[i % resources.length]!.id;
      const start = new Date(Date.now() + (offset + i) * 3_600_000 + 86_400_000);
      await sql`insert into ${sql.unsafe(table)} (org_id, resource_id, period, blocked)
                values (${org!.id}, ${resource}, tstzrange(${start}, ${new Date(start.getTime() + 3_000_000)}),
                        tstzrange(${start}, ${new Date(start.getTime() + 3_000_000)}))`;
    }
    return (INSERTS / 10) / (Number(process.hrtime.bigint() - started) / 1e9);
  };
  log(`Inserting ${INSERTS} bookings with and without the exclusion constraint`);
  let withConstraint = 0;
  let without = 0;
  for (let round = 0; round < 10; round++) {
    const order = round % 2 === 0 ? ["with", "without"] : ["without", "with"];
    for (const side of order) {
      if (side === "with") withConstraint += await insertRate("public.bookings", round * 1000);
      else without += await insertRate("bench.bookings_plain", round * 1000);
    }
  }
  const slowdown = without / withConstraint;

  log("64 clients contending for one slot");
  const target = resources[0]!.id;
  const latencies: number[] = [];
  const outcomes = { won: 0, clashed: 0 };
  for (let round = 0; round < 10; round++) {
    const start = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + (24 * 30 + round) * 3_600_000);
    await Promise.all(Array.from({ length: 64 }, async () => {
      const t0 = process.hrtime.bigint();
      try {
        await sql.begin(async (tx) => {
          await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${
            JSON.stringify({ sub: owner!.id, role: "authenticated" })
          }, true)`;
          await tx`select private.create_booking(${target}, ${start}, ${new Date(
            start.getTime() + 3_600_000,
          )}, 'Contended', '', false, null, null, '[]'::jsonb)`;
        });
        outcomes.won++;
      } catch {
        outcomes.clashed++;
      }
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }));
  }
  latencies.sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return [
    {
      name: "booking inserts: without ÷ with the exclusion constraint",
      value: slowdown,
      target: "≤ 3 (slowdown)",
      ok: slowdown <= 3,
      detail: `${(withConstraint / 10).toFixed(0)} vs ${
        (without / 10).toFixed(0)
      } inserts/s; the baseline has the same ${shape!.plain_indexes} indexes (bookings: ${
        shape!.indexes
      }, one of them the exclusion constraint's) less the constraint, the same foreign keys and ${
        shape!.plain_triggers
      } of ${shape!.triggers} triggers`,
    },
    {
      name: "64-way contention for one slot: p50 (ms)",
      value: p(0.5),
      target: "(reported)",
      ok: outcomes.won === 10,
      detail: `p99 ${p(0.99).toFixed(1)} ms; ${outcomes.won} won, ${outcomes.clashed} got 409 over 10 rounds`,
    },
  ];
}
