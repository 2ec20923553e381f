/**
 * The isolation matrix: every table and view in every exposed schema × select / insert / update /
 * delete × every actor (anon, an outsider, each role, service role) → the expected outcome.
 *
 * For each table and actor, a spec creates (as postgres, bypassing RLS) one row inside the
 * actor's scope and one outside it; the runner then tries each operation on each row as the
 * actor, exactly as PostgREST would (role + request.jwt.claims), and classifies what happened:
 *   none — neither row was read / written   own — only the row in scope   all — both
 * Everything runs in a transaction that is rolled back, so the database is left as it was.
 */
import type postgres from "postgres";
import type { Claims } from "../../functions/_shared/auth.ts";
import type { Sql, Tx } from "../../functions/_shared/db.ts";

export const OPERATIONS = ["select", "insert", "update", "delete"] as const;
export type Operation = (typeof OPERATIONS)[number];
export type Outcome = "none" | "own" | "all";

export interface Actor {
  name: string;
  claims: Claims;
  /** The actor's user id, when it is a user. */
  userId?: string;
}

/** The people and tenants a world holds; specs read what they need from it. */
export interface World {
  actors: Actor[];
  [key: string]: unknown;
}

export type Row = Record<string, postgres.SerializableParameter | null>;

export interface TableSpec<W extends World = World> {
  /** schema.table */
  table: string;
  /** Primary key column (default id). */
  key?: string;
  /** Creates a row in the actor's scope (null when it has none) and one outside it; returns their keys. */
  rows(tx: Tx, world: W, actor: Actor): Promise<{ own: string | null; other: string }>;
  /** Column values for a new row in the actor's scope and one outside it (omit for tables nobody inserts into directly). */
  insert?(world: W, actor: Actor): { own: Row | null; other: Row };
  /** The column an update attempt sets to itself (default: the first non-key column). */
  updateColumn?: string;
  /** Expected outcome per actor and operation. Every actor of the world must be listed. */
  expect: Record<string, Record<Operation, Outcome>>;
}

export interface Mismatch {
  table: string;
  actor: string;
  operation: Operation;
  expected: Outcome | "(not declared)";
  actual: Outcome;
  note?: string;
}

/** Tables and views in the schemas PostgREST exposes (pgrst.db_schemas), as schema.name. */
export async function exposedRelations(sql: Sql): Promise<{ name: string; rls: boolean; kind: string }[]> {
  return sql<{ name: string; rls: boolean; kind: string }[]>`
    select n.nspname || '.' || c.relname as name, c.relrowsecurity as rls,
           case c.relkind when 'v' then 'view' when 'm' then 'materialized view' else 'table' end as kind
    from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p', 'v', 'm')
      and not c.relispartition
      and n.nspname = any (string_to_array(replace(current_setting('pgrst.db_schemas', true), ' ', ''), ','))
    order by 1`;
}

/** Exposed relations that have no spec, and specs whose relation no longer exists. */
export async function coverage(
  sql: Sql,
  specs: TableSpec<never>[],
): Promise<{ missing: string[]; stale: string[]; withoutRls: string[] }> {
  const relations = await exposedRelations(sql);
  const names = new Set(relations.map((r) => r.name));
  const specified = new Set(specs.map((s) => s.table));
  return {
    missing: relations.filter((r) => !specified.has(r.name)).map((r) => r.name),
    stale: [...specified].filter((name) => !names.has(name)),
    withoutRls: relations.filter((r) => r.kind === "table" && !r.rls).map((r) => r.name),
  };
}

class Rollback extends Error {}

type Query = (sp: Tx) => Promise<postgres.RowList<postgres.Row[]>>;

/**
 * Runs a query in a savepoint as the actor (role + claims, as PostgREST sets them) and rolls the
 * savepoint back, which also restores the role. ok: it touched a row; refusals count as not.
 */
async function attempt(tx: Tx, actor: Actor, query: Query): Promise<{ ok: boolean; note?: string }> {
  let touched = false;
  try {
    await tx.savepoint(async (sp) => {
      await sp`select set_config('role', ${actor.claims.role}, true), set_config('request.jwt.claims', ${
        JSON.stringify(actor.claims)
      }, true)`;
      const result = await query(sp);
      // Writes are counted by affected rows, not RETURNING (which would also apply SELECT policies).
      touched = (result.count ?? result.length) > 0;
      throw new Rollback();
    });
  } catch (error) {
    if (error instanceof Rollback) return { ok: touched };
    const code = (error as { code?: string }).code;
    // Refusals: RLS or privileges (42501), what our triggers raise for a refused change (P0001), and a
    // read-only view refusing a write before any privilege check (55000 "cannot update view").
    if (code === "42501" || code === "P0001" || code === "55000") {
      return { ok: false, note: `${code}: ${(error as Error).message}` };
    }
    throw error;
  }
  return { ok: touched };
}

function classify(own: boolean, other: boolean): Outcome {
  if (other) return "all";
  return own ? "own" : "none";
}

/** Runs every operation for every actor on one spec; returns the mismatches. */
export async function runSpec<W extends World>(
  sql: Sql,
  buildWorld: (tx: Tx) => Promise<W>,
  spec: TableSpec<W>,
): Promise<Mismatch[]> {
  const mismatches: Mismatch[] = [];
  const [schema, name] = spec.table.split(".") as [string, string];
  const key = spec.key ?? "id";
  const columns = await sql<{ column_name: string }[]>`
    select column_name from information_schema.columns
    where table_schema = ${schema} and table_name = ${name} and column_name <> ${key} and is_generated = 'NEVER'
    order by ordinal_position`;
  const updateColumn = spec.updateColumn ?? columns[0]?.column_name ?? key;
  const probeWorld = await sql.begin(async (tx) => {
    const world = await buildWorld(tx);
    throw Object.assign(new Rollback(), { world });
  }).catch((e: unknown) => (e as { world?: W }).world);
  for (const actorName of probeWorld?.actors.map((a) => a.name) ?? []) {
    await sql.begin(async (tx) => {
      const world = await buildWorld(tx);
      const actor = world.actors.find((a) => a.name === actorName)!;
      const rows = await spec.rows(tx, world, actor);
      const results: Record<Operation, { own: { ok: boolean; note?: string }; other: { ok: boolean; note?: string } }> =
        {} as never;
      const one = async (op: Operation, id: string | null, values: Row | null) => {
        if (op === "insert") {
          if (!values) return { ok: false };
          return attempt(tx, actor, (sp) => sp`insert into ${sp(schema)}.${sp(name)} ${sp(values)}`);
        }
        if (id === null) return { ok: false };
        if (op === "select") {
          return attempt(tx, actor, (sp) => sp`select 1 from ${sp(schema)}.${sp(name)} where ${sp(key)} = ${id}`);
        }
        if (op === "update") {
          return attempt(
            tx,
            actor,
            (sp) =>
              sp`update ${sp(schema)}.${sp(name)} set ${sp(updateColumn)} = ${sp(updateColumn)} where ${
                sp(key)
              } = ${id}`,
          );
        }
        return attempt(tx, actor, (sp) => sp`delete from ${sp(schema)}.${sp(name)} where ${sp(key)} = ${id}`);
      };
      const inserts = spec.insert?.(world, actor) ?? { own: null, other: null };
      for (const op of OPERATIONS) {
        results[op] = {
          own: await one(op, rows.own, inserts.own),
          other: await one(op, rows.other, inserts.other),
        };
      }
      for (const op of OPERATIONS) {
        const actual = classify(results[op].own.ok, results[op].other.ok);
        const expected = spec.expect[actorName]?.[op];
        if (expected !== actual) {
          mismatches.push({
            table: spec.table,
            actor: actorName,
            operation: op,
            expected: expected ?? "(not declared)",
            actual,
            note: results[op].own.note ?? results[op].other.note,
          });
        }
      }
      throw new Rollback();
    }).catch((error: unknown) => {
      if (!(error instanceof Rollback)) throw error;
    });
  }
  return mismatches;
}

/**
 * The same attempts on one spec after its world made a tenant require MFA (lock), with each listed
 * actor's session at aal1: every operation must touch nothing. Returns what was touched.
 */
export async function runLockout<W extends World>(
  sql: Sql,
  buildWorld: (tx: Tx) => Promise<W>,
  spec: TableSpec<W>,
  lock: (tx: Tx, world: W) => Promise<void>,
  actorNames: string[],
): Promise<Mismatch[]> {
  const mismatches: Mismatch[] = [];
  const [schema, name] = spec.table.split(".") as [string, string];
  const key = spec.key ?? "id";
  for (const actorName of actorNames) {
    await sql.begin(async (tx) => {
      const world = await buildWorld(tx);
      const actor = world.actors.find((a) => a.name === actorName)!;
      const rows = await spec.rows(tx, world, actor);
      const inserts = spec.insert?.(world, actor) ?? { own: null, other: null };
      await lock(tx, world);
      const aal1: Actor = { ...actor, claims: { ...actor.claims, aal: "aal1" } };
      const column = spec.updateColumn ?? key;
      const tries: [Operation, Query | null][] = [
        [
          "select",
          rows.own === null ? null : (sp) => sp`select 1 from ${sp(schema)}.${sp(name)} where ${sp(key)} = ${rows.own}`,
        ],
        ["insert", inserts.own === null ? null : (sp) => sp`insert into ${sp(schema)}.${sp(name)} ${sp(inserts.own!)}`],
        [
          "update",
          rows.own === null
            ? null
            : (sp) =>
              sp`update ${sp(schema)}.${sp(name)} set ${sp(column)} = ${sp(column)} where ${sp(key)} = ${rows.own}`,
        ],
        [
          "delete",
          rows.own === null ? null : (sp) => sp`delete from ${sp(schema)}.${sp(name)} where ${sp(key)} = ${rows.own}`,
        ],
      ];
      for (const [op, query] of tries) {
        if (!query) continue;
        const result = await attempt(tx, aal1, query).catch((error: Error & { code?: string }) => {
          // A write refused by a constraint or trigger touched nothing either.
          if (/^(23|22|P0|GW)/.test(error.code ?? "")) return { ok: false };
          throw error;
        });
        if (result.ok) {
          mismatches.push({
            table: spec.table,
            actor: actorName,
            operation: op,
            expected: "none",
            actual: "own",
            note: "at aal1 in an organization requiring MFA",
          });
        }
      }
      throw new Rollback();
    }).catch((error: unknown) => {
      if (!(error instanceof Rollback)) throw error;
    });
  }
  return mismatches;
}

export function describeMismatches(mismatches: Mismatch[]): string {
  return mismatches
    .map((m) =>
      `${m.table} · ${m.operation} · ${m.actor}: expected ${m.expected}, got ${m.actual}${m.note ? ` (${m.note})` : ""}`
    )
    .join("\n");
}
