/**
 * Audit benchmark, on bare tables (no RLS, no other trigger) of one durable cluster: single-row
 * insert and update transactions per second with Groundwork's audit trigger, with none, and with a
 * full-row audit trigger of the supa_audit kind written here (to_jsonb of the new and old rows, a
 * record id hashed from the primary key with uuid_generate_v5, indexed by record id, old record id
 * and time). Each table has its own connection; rounds interleave them.
 */
import postgres from "postgres";
import type { BenchResult } from "./core.ts";

type Sql = postgres.Sql;

const TABLES = ["off", "ours", "full"] as const;
type Kind = (typeof TABLES)[number];

async function setUp(sql: Sql): Promise<string> {
  await sql.unsafe(`
    create schema if not exists bench;
    create table bench.record_version (
      id bigserial primary key,
      record_id uuid,
      old_record_id uuid,
      op text not null,
      ts timestamptz not null default now(),
      table_oid oid not null,
      table_schema name not null,
      table_name name not null,
      record jsonb,
      old_record jsonb
    );
    create index record_version_record_id on bench.record_version (record_id) where record_id is not null;
    create index record_version_old_record_id on bench.record_version (old_record_id) where old_record_id is not null;
    create index record_version_ts on bench.record_version using brin (ts);
    create or replace function bench.full_row_audit() returns trigger language plpgsql security definer set search_path = '' as $$
    declare
      v_record jsonb := case when tg_op = 'DELETE' then null else to_jsonb(new) end;
      v_old jsonb := case when tg_op = 'INSERT' then null else to_jsonb(old) end;
    begin
      insert into bench.record_version (record_id, old_record_id, op, table_oid, table_schema, table_name, record, old_record)
      values (
        case when v_record is null then null else extensions.uuid_generate_v5('00000000-0000-0000-0000-000000000000'::uuid, tg_relid::text || ':' || (v_record ->> 'id')) end,
        case when v_old is null then null else extensions.uuid_generate_v5('00000000-0000-0000-0000-000000000000'::uuid, tg_relid::text || ':' || (v_old ->> 'id')) end,
        tg_op, tg_relid, tg_table_schema, tg_table_name, v_record, v_old);
      return coalesce(new, old);
    end
    $$;
  `);
  for (const kind of TABLES) {
    await sql.unsafe(`
      create table bench.audit_${kind} (
        id uuid primary key default gen_random_uuid(),
        org_id uuid not null,
        title text not null,
        amount integer not null default 0,
        updated_at timestamptz not null default now()
      )`);
  }
  await sql.unsafe("select audit.enable('bench.audit_ours')");
  await sql.unsafe(
    "create trigger full_row_audit after insert or update or delete on bench.audit_full for each row execute function bench.full_row_audit()",
  );
  const [org] = await sql`select id from public.organizations limit 1`;
  return (org?.id as string | undefined) ?? "00000000-0000-4000-9000-000000000001";
}

/** Transactions per second: n single-row statements, each its own transaction (autocommit). */
async function tps(sql: Sql, n: number, statement: (i: number) => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await statement(i);
  return n / (Number(process.hrtime.bigint() - started) / 1e9);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function measureAudit(sql: Sql, log: (line: string) => void, url: string): Promise<BenchResult[]> {
  const org = await setUp(sql);
  const connections = Object.fromEntries(
    TABLES.map((kind) => [kind, postgres(url, { max: 1, onnotice: () => {}, prepare: true })]),
  ) as Record<Kind, Sql>;
  const ids: Record<Kind, string[]> = { off: [], ours: [], full: [] };
  const inserts: Record<Kind, number[]> = { off: [], ours: [], full: [] };
  const updates: Record<Kind, number[]> = { off: [], ours: [], full: [] };
  try {
    const rounds = 20;
    const per = 400;
    log(`Audit: ${rounds} interleaved rounds of ${per} single-row inserts and updates per table`);
    for (let round = 0; round < rounds + 1; round++) {
      const order = TABLES.map((_, k) => TABLES[(round + k) % TABLES.length]!);
      for (const kind of order) {
        const c = connections[kind];
        const table = `bench.audit_${kind}`;
        const rate = await tps(c, per, async () => {
          const [row] = await c`insert into ${c(table.split(".")[0]!)}.${
            c(table.split(".")[1]!)
          } (org_id, title) values (${org}, 'insert') returning id`;
          ids[kind].push(row!.id as string);
        });
        if (round > 0) inserts[kind].push(rate); // round 0 warms up
      }
      for (const kind of order) {
        const c = connections[kind];
        const [schema, name] = `bench.audit_${kind}`.split(".") as [string, string];
        const rows = ids[kind];
        const rate = await tps(
          c,
          per,
          (i) =>
            c`update ${c(schema)}.${
              c(name)
            } set amount = amount + 1, title = ${`u${i}`} where id = ${rows[i % rows.length]!}`,
        );
        if (round > 0) updates[kind].push(rate);
      }
    }
  } finally {
    await Promise.all(TABLES.map((kind) => connections[kind].end()));
  }
  const results: BenchResult[] = [];
  for (const [what, data] of [["insert", inserts], ["update", updates]] as const) {
    const off = median(data.off);
    const ours = median(data.ours);
    const full = median(data.full);
    results.push({
      name: `single-row ${what} TPS on a bare table: audit on ÷ off`,
      value: ours / off,
      target: "≥ 0.7",
      ok: ours / off >= 0.7,
      detail: `${ours.toFixed(0)} vs ${off.toFixed(0)} transactions/s (medians of ${data.off.length} rounds)`,
    });
    results.push({
      name: `single-row ${what} TPS: ours ÷ a full-row audit trigger`,
      value: ours / full,
      target: "≥ 2",
      ok: ours / full >= 2,
      detail: `${ours.toFixed(0)} vs ${full.toFixed(0)} transactions/s`,
    });
  }
  return results;
}
