/**
 * health: proves the function path end to end. Checks the database and reports the last
 * migration applied; answers 503 in the shared error shape when the database is down.
 */
import { z } from "zod";
import { HttpError } from "../_shared/errors.ts";
import { createHandler, type Handler, json } from "../_shared/http.ts";
import type { Sql } from "../_shared/db.ts";
import { createRuntime } from "../_shared/runtime.ts";

export const HealthResponse = z.object({
  status: z.literal("ok"),
  database: z.object({ ok: z.literal(true), latency_ms: z.number() }),
  migration: z.object({ version: z.string(), name: z.string() }).nullable(),
  time: z.string(),
});
export type HealthResponse = z.infer<typeof HealthResponse>;

export interface HealthDeps {
  sql: Sql;
  /** How long the database may take before the function answers 503 (default 3 s). */
  timeoutMs?: number;
}

async function probe(sql: Sql): Promise<HealthResponse["migration"]> {
  const rows = await sql<{ version: string; name: string | null }[]>`
    select version, coalesce(name, '') as name
    from supabase_migrations.schema_migrations
    order by version desc
    limit 1`.catch((error: { code?: string }) => {
    // No migration history yet: the database is up, nothing has been applied.
    if (error.code === "42P01" || error.code === "3F000") return [];
    throw error;
  });
  const row = rows[0];
  return row ? { version: row.version, name: row.name ?? "" } : null;
}

export function createHealthHandler(deps: HealthDeps): Handler {
  const timeoutMs = deps.timeoutMs ?? 3000;
  return createHandler({ name: "health", methods: ["GET"] }, async (_request, { log }) => {
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    let migration: HealthResponse["migration"];
    try {
      migration = await Promise.race([probe(deps.sql), timeout]);
    } catch (error) {
      log.warn("database check failed", { reason: (error as Error).message });
      throw new HttpError(503, "database_unavailable", "Cannot reach the database", {
        reason: (error as { code?: string }).code ?? "timeout",
      });
    } finally {
      clearTimeout(timer);
    }
    const body: HealthResponse = {
      status: "ok",
      database: { ok: true, latency_ms: Math.round((performance.now() - started) * 10) / 10 },
      migration,
      time: new Date().toISOString(),
    };
    return json(body, { headers: { "cache-control": "no-store" } });
  });
}

const runtime = createRuntime("health");
export const handler: Handler = createHealthHandler({ sql: runtime.sql });
