/**
 * health: proves the function path end to end. Checks the database and reports the last
 * migration applied; answers 503 in the shared error shape when the database is down.
 */
import { type Ctx, defineRoute, FunctionApp } from "../_shared/app.ts";
import type { Sql } from "../_shared/db.ts";
import { HttpError } from "../_shared/errors.ts";
import { json } from "../_shared/http.ts";
import { HealthResponse } from "./schemas.ts";

export { HealthResponse };

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

export const routes = {
  getHealth: defineRoute({
    name: "getHealth",
    method: "get",
    path: "/",
    summary: "Whether the function path and the database answer, and the last migration applied",
    access: "public",
    responses: { 200: { description: "Healthy", schema: HealthResponse } },
  }),
};

async function getHealth(c: Ctx<HealthDeps>): Promise<Response> {
  const timeoutMs = c.env.timeoutMs ?? 3000;
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  let migration: HealthResponse["migration"];
  try {
    migration = await Promise.race([probe(c.env.sql), timeout]);
  } catch (error) {
    c.var.log.warn("database check failed", { reason: (error as Error).message });
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
}

export const health = new FunctionApp<HealthDeps>({
  name: "health",
  description: "Liveness of the function path and the database.",
}).route(routes.getHealth, getHealth);
