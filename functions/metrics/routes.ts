/**
 * metrics: Prometheus text for the whole backend, for the service role (or the scheduler secret):
 * requests and latency histograms per function, route and status (every function process adds its
 * own to private.function_metrics), the outbox by state and its oldest due message, rate-limit
 * refusals per limit, and pg_cron failures.
 */
import { type Ctx, defineRoute, FunctionApp, serviceOrSecret } from "../_shared/app.ts";
import type { Verifier } from "../_shared/auth.ts";
import type { Sql } from "../_shared/db.ts";
import { BUCKETS } from "../_shared/metrics.ts";
import { PrometheusText } from "./schemas.ts";

export interface MetricsDeps {
  sql: Sql;
  verify: Verifier;
  secret: string;
}

type Labels = Record<string, string | number>;

/** A label value as the exposition format writes it: backslash, double quote and newline escaped. */
const escape = (value: string | number) =>
  String(value).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const labels = (l: Labels) => {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escape(v)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
};

/** One metric family: HELP, TYPE and its samples. */
function family(name: string, type: "counter" | "gauge" | "histogram", help: string, samples: string[]): string {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples].join("\n");
}
const sample = (name: string, l: Labels, value: number) => `${name}${labels(l)} ${Number.isFinite(value) ? value : 0}`;

export async function exposition(sql: Sql): Promise<string> {
  const requests = await sql<{
    function_name: string;
    route: string;
    status: number;
    requests: string;
    duration_seconds_sum: number;
    buckets: string[];
  }[]>`select function_name, route, status, requests, duration_seconds_sum, buckets
       from private.function_metrics order by function_name, route, status`;
  const [outbox] = await sql<
    { pending: number; sending: number; failed: number; dead: number; sent: number; lag: number }[]
  >`
    select count(*) filter (where status = 'pending')::int as pending, count(*) filter (where status = 'sending')::int as sending,
           count(*) filter (where status = 'failed')::int as failed, count(*) filter (where status = 'dead')::int as dead,
           count(*) filter (where status = 'sent')::int as sent,
           coalesce(extract(epoch from now() - min(next_attempt_at) filter (
             where status in ('pending', 'failed') and next_attempt_at <= now())), 0)::float8 as lag
    from private.email_outbox`;
  const limits = await sql<{ rule: string; rejected: string }[]>`
    select case when key like 'req:%' then 'request.' || split_part(key, ':', 2) else split_part(key, ':', 1) end as rule,
           sum(rejected)::bigint as rejected
    from private.rate_limits group by 1 order by 1`;
  const cron = await sql<{ job: string; failures: number }[]>`
    select j.jobname as job, count(d.*) filter (where d.status = 'failed' and d.start_time > now() - interval '1 day')::int as failures
    from cron.job j left join cron.job_run_details d on d.jobid = j.jobid
    group by j.jobname order by 1`;

  const counts: string[] = [];
  const histogram: string[] = [];
  for (const r of requests) {
    const base = { function: r.function_name, route: r.route, status: r.status };
    counts.push(sample("groundwork_function_requests_total", base, Number(r.requests)));
    let cumulative = 0;
    BUCKETS.forEach((le, i) => {
      cumulative += Number(r.buckets[i] ?? 0);
      histogram.push(sample("groundwork_function_request_duration_seconds_bucket", { ...base, le }, cumulative));
    });
    histogram.push(
      sample("groundwork_function_request_duration_seconds_bucket", { ...base, le: "+Inf" }, Number(r.requests)),
    );
    histogram.push(sample("groundwork_function_request_duration_seconds_sum", base, r.duration_seconds_sum));
    histogram.push(sample("groundwork_function_request_duration_seconds_count", base, Number(r.requests)));
  }
  const states = ["pending", "sending", "failed", "dead", "sent"] as const;
  return [
    family("groundwork_function_requests_total", "counter", "Requests served, per function, route and status.", counts),
    family(
      "groundwork_function_request_duration_seconds",
      "histogram",
      "Time to answer a request, per function, route and status.",
      histogram,
    ),
    family(
      "groundwork_outbox_messages",
      "gauge",
      "Messages in the email outbox, by state (dead: given up on).",
      states.map((s) => sample("groundwork_outbox_messages", { state: s }, outbox![s])),
    ),
    family(
      "groundwork_outbox_oldest_due_seconds",
      "gauge",
      "How long the oldest due message has waited (the dispatcher's lag).",
      [
        sample("groundwork_outbox_oldest_due_seconds", {}, Math.round(outbox!.lag)),
      ],
    ),
    family(
      "groundwork_rate_limit_rejections_total",
      "counter",
      "Requests refused by a rate limit, per limit (counted over the windows still kept).",
      limits.map((l) => sample("groundwork_rate_limit_rejections_total", { limit: l.rule }, Number(l.rejected))),
    ),
    family(
      "groundwork_cron_job_failures_24h",
      "gauge",
      "Failed runs of each pg_cron job in the last 24 hours.",
      cron.map((c) => sample("groundwork_cron_job_failures_24h", { job: c.job }, c.failures)),
    ),
  ].join("\n") + "\n";
}

export const routes = {
  scrape: defineRoute({
    name: "scrapeMetrics",
    method: "get",
    path: "/",
    summary: "Prometheus metrics of every function, the outbox, the rate limits and pg_cron (the service role)",
    access: "public",
    security: ["bearer", "dispatchSecret"],
    middleware: [serviceOrSecret("read metrics")],
    responses: { 200: { description: "Prometheus text (version 0.0.4)", schema: PrometheusText, type: "text/plain" } },
  }),
};

async function scrape(c: Ctx<MetricsDeps>): Promise<Response> {
  return new Response(await exposition(c.env.sql), {
    headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store" },
  });
}

export const metrics = new FunctionApp<MetricsDeps>({
  name: "metrics",
  description: "Prometheus metrics of the whole backend.",
}).route(routes.scrape, scrape);
