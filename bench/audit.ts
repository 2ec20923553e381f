/**
 * Audit benchmark, on bare tables (no RLS, no other trigger) of one durable cluster: single-row
 * insert and update transactions per second with Groundwork's audit trigger, with none, and with a
 * full-row audit trigger of the supa_audit kind written here, as supa_audit 0.3.1 installs on
 * Supabase (to_jsonb of the new and old rows; the primary key's columns looked up per row and hashed
 * into a record id; its CHECK constraints, actor columns and indexes), and — as a reference — the
 * least a row trigger writing to audit.log can cost. Each table has its own connection; rounds
 * interleave them in a new random order each round. The same single-row statements are also timed
 * 400 to a transaction: what a trigger sets up once per transaction is then paid once, not per change.
 */
import postgres from "postgres";
import { type BenchResult, random, shuffled } from "./core.ts";

type Sql = postgres.Sql;

const TABLES = ["off", "ours", "full", "least"] as const;
type Kind = (typeof TABLES)[number];

async function setUp(sql: Sql): Promise<string> {
  // supa_audit 0.3.1 as it installs on Supabase, rewritten here: an operation enum, five CHECK
  // constraints, the actor columns it adds when auth.uid() and auth.role() exist, four indexes
  // besides the key, and a trigger that looks the primary key's columns up in the catalogue for every
  // row and hashes them, through jsonb_agg, into a version-5 UUID for the new and the old row.
  await sql.unsafe(`
    create schema if not exists bench;
    create type bench.audit_operation as enum ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE');
    create table bench.record_version (
      id bigserial primary key,
      record_id uuid,
      old_record_id uuid,
      op bench.audit_operation not null,
      ts timestamptz not null default now(),
      table_oid oid not null,
      table_schema name not null,
      table_name name not null,
      record jsonb,
      old_record jsonb,
      auth_uid uuid default auth.uid(),
      auth_role text default auth.role(),
      check (coalesce(record_id, old_record_id) is not null or op = 'TRUNCATE'),
      check (op in ('INSERT', 'UPDATE') = (record_id is not null)),
      check (op in ('INSERT', 'UPDATE') = (record is not null)),
      check (op in ('UPDATE', 'DELETE') = (old_record_id is not null)),
      check (op in ('UPDATE', 'DELETE') = (old_record is not null))
    );
    create index record_version_record_id on bench.record_version (record_id) where record_id is not null;
    create index record_version_old_record_id on bench.record_version (old_record_id) where old_record_id is not null;
    create index record_version_ts on bench.record_version using brin (ts);
    create index record_version_table_oid on bench.record_version (table_oid);
    create function bench.primary_key_columns(p_table oid) returns text[]
      language sql stable security definer set search_path = '' as $$
        select coalesce(array_agg(a.attname::text order by a.attnum), '{}')
        from pg_catalog.pg_index i
        join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = any (i.indkey)
        where i.indrelid = p_table and i.indisprimary
      $$;
    create function bench.to_record_id(p_table oid, p_columns text[], p_row jsonb) returns uuid
      language sql stable set search_path = '' as $$
        select case
          when p_row is null then null
          when p_columns = '{}' then extensions.uuid_generate_v4()
          else (select extensions.uuid_generate_v5('fd62bc3d-8d6e-43c2-919c-802ba3762271'::uuid,
                         (jsonb_build_array(to_jsonb(p_table)) || jsonb_agg(p_row ->> c))::text)
                from unnest(p_columns) c)
        end
      $$;
    create function bench.full_row_audit() returns trigger language plpgsql security definer set search_path = '' as $$
    declare
      v_columns text[] := bench.primary_key_columns(tg_relid);
      v_record jsonb := to_jsonb(new);
      v_record_id uuid := bench.to_record_id(tg_relid, v_columns, v_record);
      v_old jsonb := to_jsonb(old);
      v_old_id uuid := bench.to_record_id(tg_relid, v_columns, v_old);
    begin
      insert into bench.record_version (record_id, old_record_id, op, table_oid, table_schema, table_name, record, old_record)
      select v_record_id, v_old_id, tg_op::bench.audit_operation, tg_relid, tg_table_schema, tg_table_name, v_record, v_old;
      return coalesce(new, old);
    end
    $$;
    -- The least a row trigger writing to the same log can cost, as a reference: a row of fixed
    -- fields into audit.log (its indexes, no row image, no actor), nothing computed.
    create function bench.least_audit() returns trigger language plpgsql security definer set search_path = '' as $$
    begin
      insert into audit.log (org_id, table_schema, table_name, operation, record_id, actor_role)
      values (new.org_id, tg_table_schema, tg_table_name, tg_op, new.id::text, session_user);
      return null;
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
  await sql.unsafe(
    "create trigger least_audit after insert or update on bench.audit_least for each row execute function bench.least_audit()",
  );
  const [org] = await sql`select id from public.organizations limit 1`;
  return (org?.id as string | undefined) ?? "00000000-0000-4000-9000-000000000001";
}

/** Transactions per second: n single-row statements, each its own transaction (autocommit). */
async function tps(n: number, statement: (i: number) => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await statement(i);
  return n / (Number(process.hrtime.bigint() - started) / 1e9);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The timed update: one row of the kind's table, its amount and title changed. */
function update(c: Sql | postgres.TransactionSql, kind: Kind, title: string, id: string): Promise<unknown> {
  return c`update ${c("bench")}.${c(`audit_${kind}`)} set amount = amount + 1, title = ${title} where id = ${id}`;
}

export async function measureAudit(sql: Sql, log: (line: string) => void, url: string): Promise<BenchResult[]> {
  const org = await setUp(sql);
  const connections = Object.fromEntries(
    TABLES.map((kind) => [kind, postgres(url, { max: 1, onnotice: () => {}, prepare: true })]),
  ) as Record<Kind, Sql>;
  const ids: Record<Kind, string[]> = { off: [], ours: [], full: [], least: [] };
  const inserts: Record<Kind, number[]> = { off: [], ours: [], full: [], least: [] };
  const updates: Record<Kind, number[]> = { off: [], ours: [], full: [], least: [] };
  const inOne: Record<Kind, number[]> = { off: [], ours: [], full: [], least: [] };
  try {
    const rounds = 20;
    const per = 400;
    const next = random(0xa0d1);
    log(`Audit: ${rounds} interleaved rounds of ${per} single-row inserts and updates per table`);
    for (let round = 0; round < rounds + 1; round++) {
      const order = shuffled([...TABLES], next);
      for (const kind of order) {
        const c = connections[kind];
        const rate = await tps(per, async () => {
          const [row] = await c`insert into ${c("bench")}.${
            c(`audit_${kind}`)
          } (org_id, title) values (${org}, 'insert') returning id`;
          ids[kind].push(row!.id as string);
        });
        if (round > 0) inserts[kind].push(rate); // round 0 warms up
      }
      for (const kind of order) {
        const rows = ids[kind];
        const rate = await tps(per, (i) => update(connections[kind], kind, `u${i}`, rows[i % rows.length]!));
        if (round > 0) updates[kind].push(rate);
      }
      // The same updates, 400 to one transaction (changes per second).
      for (const kind of order) {
        const rows = ids[kind];
        const started = process.hrtime.bigint();
        await connections[kind].begin(async (tx) => {
          for (let i = 0; i < per; i++) await update(tx, kind, `t${i}`, rows[(i * 7) % rows.length]!);
        });
        const rate = per / (Number(process.hrtime.bigint() - started) / 1e9);
        if (round > 0) inOne[kind].push(rate);
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
    const least = median(data.least);
    // What each trigger adds to a transaction, in µs: "≥ 2 × the full-row trigger" asks that ours add at
    // most half of (the full-row trigger's addition − the transaction itself), a bound the commit moves.
    const added = (rate: number) => (1e6 / rate - 1e6 / off).toFixed(0);
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
      detail: `${ours.toFixed(0)} vs ${full.toFixed(0)} transactions/s; µs added to a ${
        (1e6 / off).toFixed(0)
      } µs transaction: ours ${added(ours)}, full-row ${added(full)}, least row trigger ${
        added(least)
      } (least ÷ full-row ${(least / full).toFixed(2)})`,
    });
    results.push({
      name: `single-row ${what} TPS: least row trigger on ÷ off (reference)`,
      value: least / off,
      target: "(reported)",
      ok: true,
      detail: `a trigger writing a row of fixed fields to audit.log: ${least.toFixed(0)} vs ${
        off.toFixed(0)
      } transactions/s; ours ÷ least ${(ours / least).toFixed(2)}`,
    });
  }
  const off = median(inOne.off);
  const ours = median(inOne.ours);
  const least = median(inOne.least);
  const full = median(inOne.full);
  results.push({
    name: "400 single-row updates in one transaction: audit on ÷ off (reference)",
    value: ours / off,
    target: "(reported)",
    ok: true,
    detail: `${ours.toFixed(0)} vs ${off.toFixed(0)} changes/s; ours ÷ least ${
      (ours / least).toFixed(2)
    }, ours ÷ full-row ${(ours / full).toFixed(2)} (${least.toFixed(0)} and ${full.toFixed(0)} changes/s)`,
  });
  return results;
}
