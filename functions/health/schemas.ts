/** The health function's answer: each part's status, and the whole's. */
import { z } from "zod";

export const PartStatus = z.enum(["ok", "warn", "down"]).describe(
  "ok; warn: working, but something needs a look (dead letters, a failed job); down: not working (503)",
);

const Part = z.object({
  status: PartStatus,
  /** Only for the service role: what is wrong, in words. */
  detail: z.string().optional(),
});

export const HealthResponse = z.object({
  status: z.enum(["ok", "degraded", "down"]),
  time: z.string(),
  migration: z.object({ version: z.string(), name: z.string() }).nullable(),
  database: Part.extend({ latency_ms: z.number() }),
  mail: Part.extend({ transport: z.string(), latency_ms: z.number().nullable() }),
  outbox: Part.extend({
    due: z.number().int().describe("messages due to be sent now"),
    dead: z.number().int().describe("messages given up on (dead letters)"),
    lag_seconds: z.number().describe("how long the oldest due message has waited: the dispatcher's lag"),
  }),
  cron: Part.extend({
    jobs: z.number().int(),
    failing: z.number().int().describe("jobs whose last run failed"),
    failures_24h: z.number().int(),
  }),
  purge: Part.extend({
    backlog: z.number().int().describe("deleted documents past their purge date"),
    overdue_seconds: z.number(),
  }),
});
export type HealthResponse = z.infer<typeof HealthResponse>;
