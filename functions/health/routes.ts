/**
 * health: each part of the backend and whether it works — the database (and the last migration),
 * the mail transport, the outbox (due messages, the dispatcher's lag, dead letters), pg_cron's jobs
 * (last runs, failures) and the documents purge backlog. 503 in the shared error shape when the
 * database is down, 503 with the full answer when another part is; the service role also gets
 * what is wrong in words.
 */
import { type Ctx, defineRoute, FunctionApp } from "../_shared/app.ts";
import type { Verifier } from "../_shared/auth.ts";
import { bearerToken } from "../_shared/auth.ts";
import type { Sql } from "../_shared/db.ts";
import type { EmailTransport } from "../_shared/email/transport.ts";
import { HttpError } from "../_shared/errors.ts";
import { json } from "../_shared/http.ts";
import { HealthResponse } from "./schemas.ts";

export { HealthResponse };

export interface HealthDeps {
  sql: Sql;
  /** The mail transport to check; without one the mail part reports "warn" (not configured). */
  transport?: EmailTransport;
  /** To recognise the service role, who gets the details. */
  verify?: Verifier;
  /** How long each check may take before it counts as down (default 3 s). */
  timeoutMs?: number;
}

/** When a part stops being "ok". */
export const THRESHOLDS = {
  /** The oldest due message waited longer: warn, then down (the dispatcher is not running). */
  outboxLagWarnSeconds: 300,
  outboxLagDownSeconds: 1800,
  /** A deleted document past its purge date for longer: the purge is not running. */
  purgeOverdueWarnSeconds: 86_400,
};

type Health = HealthResponse;

function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function migration(sql: Sql): Promise<Health["migration"]> {
  const rows = await sql<{ version: string; name: string | null }[]>`
    select version, coalesce(name, '') as name from supabase_migrations.schema_migrations order by version desc limit 1`
    .catch((error: { code?: string }) => {
      // No migration history yet: the database is up, nothing has been applied.
      if (error.code === "42P01" || error.code === "3F000") return [];
      throw error;
    });
  return rows[0] ? { version: rows[0].version, name: rows[0].name ?? "" } : null;
}

async function outbox(sql: Sql): Promise<Health["outbox"]> {
  const [row] = await sql<{ due: number; dead: number; lag: number }[]>`
    select count(*) filter (where status in ('pending', 'failed') and next_attempt_at <= now())::int as due,
           count(*) filter (where status = 'dead')::int as dead,
           coalesce(extract(epoch from now() - min(next_attempt_at) filter (
             where status in ('pending', 'failed') and next_attempt_at <= now())), 0)::float8 as lag
    from private.email_outbox`;
  const lag = Math.round(row!.lag);
  const status = lag > THRESHOLDS.outboxLagDownSeconds
    ? "down"
    : lag > THRESHOLDS.outboxLagWarnSeconds || row!.dead > 0
    ? "warn"
    : "ok";
  const detail = status === "ok" ? undefined : `${row!.due} due (oldest waiting ${lag} s), ${row!.dead} dead letters`;
  return { status, due: row!.due, dead: row!.dead, lag_seconds: lag, detail };
}

async function cron(sql: Sql): Promise<Health["cron"]> {
  const rows = await sql<{ name: string; last_status: string | null; failures: number; message: string | null }[]>`
    select j.jobname as name, last.status as last_status, last.return_message as message,
           (select count(*) from cron.job_run_details f
            where f.jobid = j.jobid and f.status = 'failed' and f.start_time > now() - interval '1 day')::int as failures
    from cron.job j
    left join lateral (select d.status, d.return_message from cron.job_run_details d
                       where d.jobid = j.jobid order by d.start_time desc limit 1) last on true
    where j.active
    order by j.jobname`;
  const failing = rows.filter((r) => r.last_status === "failed");
  return {
    status: failing.length > 0 ? "warn" : "ok",
    jobs: rows.length,
    failing: failing.length,
    failures_24h: rows.reduce((n, r) => n + r.failures, 0),
    detail: failing.length > 0 ? failing.map((r) => `${r.name}: ${r.message ?? "failed"}`).join("; ") : undefined,
  };
}

async function purge(sql: Sql): Promise<Health["purge"]> {
  const [row] = await sql<{ backlog: number; overdue: number }[]>`
    select count(*)::int as backlog, coalesce(extract(epoch from now() - min(purge_after)), 0)::float8 as overdue
    from public.documents where deleted_at is not null and purge_after < now()`;
  const overdue = Math.round(row!.overdue);
  const status = overdue > THRESHOLDS.purgeOverdueWarnSeconds ? "warn" : "ok";
  return {
    status,
    backlog: row!.backlog,
    overdue_seconds: overdue,
    detail: status === "ok" ? undefined : `${row!.backlog} documents past their purge date, the oldest by ${overdue} s`,
  };
}

/** The mail provider is asked at most every 15 seconds, however often health is polled. */
const MAIL_CHECK_TTL_MS = 15_000;
const mailChecks = new WeakMap<EmailTransport, { at: number; result: Promise<Health["mail"]> }>();

function mail(transport: EmailTransport | undefined, ms: number): Promise<Health["mail"]> {
  if (!transport) {
    return Promise.resolve({
      status: "warn",
      transport: "none",
      latency_ms: null,
      detail: "no mail transport is configured",
    });
  }
  const cached = mailChecks.get(transport);
  if (cached && Date.now() - cached.at < MAIL_CHECK_TTL_MS) return cached.result.then((r) => ({ ...r }));
  const started = performance.now();
  const result = within(ms, transport.check()).then(
    (): Health["mail"] => ({
      status: "ok",
      transport: transport.name,
      latency_ms: Math.round((performance.now() - started) * 10) / 10,
    }),
    (error): Health["mail"] => ({
      status: "down",
      transport: transport.name,
      latency_ms: null,
      detail: (error as Error).message,
    }),
  );
  mailChecks.set(transport, { at: Date.now(), result });
  return result.then((r) => ({ ...r }));
}

/** A part whose check itself failed (a missing schema, a timeout) is down, with the reason. */
const failed = <T extends object>(base: T) => (error: unknown) => ({
  ...base,
  status: "down" as const,
  detail: (error as Error).message,
});

async function isServiceRole(c: Ctx<HealthDeps>): Promise<boolean> {
  const token = bearerToken(c.req.raw);
  if (!token || !c.env.verify) return false;
  return (await c.env.verify(token).catch(() => null))?.role === "service_role";
}

export const routes = {
  getHealth: defineRoute({
    name: "getHealth",
    method: "get",
    path: "/",
    summary: "Each part of the backend and whether it works (503 when one is down)",
    description:
      "Anyone may ask; with the service role's JWT the answer also says what is wrong (failing jobs, transport errors).",
    access: "public",
    responses: {
      200: { description: "Every part works (some may warn)", schema: HealthResponse },
      503: {
        description: "A part is down (the database: the error shape; another part: this answer)",
        schema: HealthResponse,
      },
    },
  }),
};

async function getHealth(c: Ctx<HealthDeps>): Promise<Response> {
  const ms = c.env.timeoutMs ?? 3000;
  const started = performance.now();
  let applied: Health["migration"];
  try {
    applied = await within(ms, migration(c.env.sql));
  } catch (error) {
    c.var.log.warn("database check failed", { reason: (error as Error).message });
    throw new HttpError(503, "database_unavailable", "Cannot reach the database", {
      reason: (error as { code?: string }).code ?? "timeout",
    });
  }
  const latency = Math.round((performance.now() - started) * 10) / 10;
  const [outboxPart, cronPart, purgePart, mailPart, service] = await Promise.all([
    within(ms, outbox(c.env.sql)).catch(failed({ due: 0, dead: 0, lag_seconds: 0 })),
    within(ms, cron(c.env.sql)).catch(failed({ jobs: 0, failing: 0, failures_24h: 0 })),
    within(ms, purge(c.env.sql)).catch(failed({ backlog: 0, overdue_seconds: 0 })),
    mail(c.env.transport, ms),
    isServiceRole(c),
  ]);
  const parts = { outbox: outboxPart, cron: cronPart, purge: purgePart, mail: mailPart };
  const statuses = Object.values(parts).map((p) => p.status);
  const status = statuses.includes("down") ? "down" : statuses.includes("warn") ? "degraded" : "ok";
  for (const [name, part] of Object.entries(parts)) {
    if (part.status !== "ok") {
      c.var.log.warn("health part not ok", { part: name, status: part.status, reason: part.detail });
    }
    if (!service) delete (part as { detail?: string }).detail;
  }
  const body: Health = {
    status,
    time: new Date().toISOString(),
    migration: applied,
    database: { status: "ok", latency_ms: latency },
    ...parts,
  };
  return json(body, { status: status === "down" ? 503 : 200, headers: { "cache-control": "no-store" } });
}

export const health = new FunctionApp<HealthDeps>({
  name: "health",
  description: "Each part of the backend and whether it works.",
}).route(routes.getHealth, getHealth);
