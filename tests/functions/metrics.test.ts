/**
 * The metrics function: Prometheus text that a maintained parser reads, for the service role only;
 * requests of every function (reported by each function process) with their latency histogram,
 * the outbox by state, and rate-limit refusals per limit.
 */
import parsePrometheusTextFormat, { type ParsedFamily } from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { createVerifier } from "../../functions/_shared/auth.ts";
import { BUCKETS, MetricsBuffer } from "../../functions/_shared/metrics.ts";
import { metrics } from "../../functions/metrics/routes.ts";
import { apiKey, createUser, testDb, tokenFor } from "../helpers/db.ts";
import { testEnv } from "../helpers/env.ts";

const sql = testDb();
const handle = metrics.handler({
  sql,
  verify: createVerifier({ secret: testEnv.jwtSecret }),
  secret: process.env.DISPATCH_SECRET!,
});
const scrape = async (headers: Record<string, string>) =>
  handle(new Request("http://local/functions/v1/metrics", { headers }));
const family = (families: ParsedFamily[], name: string) => families.find((f) => f.name === name);

describe("metrics, in-process", () => {
  it("serves Prometheus text a maintained parser reads, with every family", async () => {
    const response = await scrape({ authorization: `Bearer ${await apiKey("service_role")}` });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parsePrometheusTextFormat(await response.text());
    expect(families.map((f) => `${f.name}:${f.type}`).sort()).toEqual([
      "groundwork_cron_job_failures_24h:GAUGE",
      "groundwork_function_request_duration_seconds:HISTOGRAM",
      "groundwork_function_requests_total:COUNTER",
      "groundwork_outbox_messages:GAUGE",
      "groundwork_outbox_oldest_due_seconds:GAUGE",
      "groundwork_rate_limit_rejections_total:COUNTER",
    ]);
    const states = family(families, "groundwork_outbox_messages")!.metrics.map((m) => m.labels?.state).sort();
    expect(states).toEqual(["dead", "failed", "pending", "sending", "sent"]);
  });

  it("is for the service role or the scheduler secret only", async () => {
    expect((await scrape({})).status).toBe(401);
    const user = await createUser(sql);
    expect((await scrape({ authorization: `Bearer ${await tokenFor(user)}` })).status).toBe(403);
    expect((await scrape({ "x-dispatch-secret": "x".repeat(40) })).status).toBe(401);
    expect((await scrape({ "x-dispatch-secret": process.env.DISPATCH_SECRET! })).status).toBe(200);
  });

  it("counts the requests a rate limit refuses, per limit", async () => {
    const key = `metricsprobe:${crypto.randomUUID()}`;
    for (let i = 0; i < 3; i++) await sql`select private.rate_limit(${key}, 1, interval '1 hour')`;
    try {
      const families = parsePrometheusTextFormat(
        await (await scrape({ authorization: `Bearer ${await apiKey("service_role")}` })).text(),
      );
      const refused = family(families, "groundwork_rate_limit_rejections_total")!.metrics
        .find((m) => m.labels?.limit === "metricsprobe");
      expect(Number(refused?.value)).toBe(2);
    } finally {
      await sql`delete from private.rate_limits where key = ${key}`;
    }
  });

  it("counts the request limiter's refusals per subject, never per user", async () => {
    const user = crypto.randomUUID();
    const [rule] = await sql`insert into private.request_limits (subject, route, max_hits, per)
      values ('user', 'metrics-probe POST /', 1, interval '1 hour') returning id`;
    try {
      for (let i = 0; i < 3; i++) {
        await sql`select private.hit_request_limits('metrics-probe POST /', ${user}, null, null, null)`;
      }
      const families = parsePrometheusTextFormat(
        await (await scrape({ authorization: `Bearer ${await apiKey("service_role")}` })).text(),
      );
      const limits = family(families, "groundwork_rate_limit_rejections_total")!.metrics;
      expect(Number(limits.find((m) => m.labels?.limit === "request.user")?.value)).toBeGreaterThanOrEqual(2);
      expect(limits.every((m) => !/[0-9a-f]{8}-/.test(m.labels?.limit ?? ""))).toBe(true);
    } finally {
      await sql`delete from private.request_limits where id = ${rule!.id}`;
      await sql`delete from private.rate_limits where key like ${`req:user:${user}:%`}`;
    }
  });
});

describe("a function process's request metrics", () => {
  it("keeps a histogram per route and status, and a failed report is sent again whole", () => {
    const buffer = new MetricsBuffer();
    buffer.record("probe", "/x", 200, 0.003);
    buffer.record("probe", "/x", 200, 0.2);
    buffer.record("probe", "/x", 404, 30);
    const rows = buffer.drain();
    expect(rows).toHaveLength(2);
    const ok = rows.find((r) => r.status === 200)!;
    expect(ok.requests).toBe(2);
    expect(ok.buckets[0]).toBe(1); // ≤ 5 ms
    expect(ok.buckets[BUCKETS.indexOf(0.25)]).toBe(1);
    expect(rows.find((r) => r.status === 404)!.buckets.at(-1)).toBe(1); // above 10 s
    expect(buffer.drain()).toEqual([]);
    for (const row of rows) buffer.restore(row);
    buffer.record("probe", "/x", 200, 0.003);
    expect(buffer.drain().find((r) => r.status === 200)!.requests).toBe(3);
  });
});

describe("metrics, over HTTP through the gateway", () => {
  it("shows requests every function process reported, with their latency", async () => {
    for (let i = 0; i < 3; i++) await fetch(`${testEnv.apiUrl}/functions/v1/health`);
    await fetch(`${testEnv.apiUrl}/functions/v1/health/nope`);
    const service = await apiKey("service_role");
    let health: ParsedFamily["metrics"] = [];
    for (let i = 0; i < 40 && health.length < 2; i++) {
      const response = await fetch(`${testEnv.apiUrl}/functions/v1/metrics`, {
        headers: { authorization: `Bearer ${service}` },
      });
      expect(response.status).toBe(200);
      const families = parsePrometheusTextFormat(await response.text());
      health = family(families, "groundwork_function_requests_total")!.metrics
        .filter((m) => m.labels?.function === "health");
      if (health.length < 2) await new Promise((r) => setTimeout(r, 500));
    }
    const ok = health.find((m) => m.labels?.route === "/" && m.labels?.status === "200");
    expect(Number(ok?.value)).toBeGreaterThanOrEqual(3);
    expect(health.find((m) => m.labels?.route === "(no route)" && m.labels?.status === "404")).toBeDefined();
  }, 60_000);
});
