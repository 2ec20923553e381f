/** The health function's answer. */
import { z } from "zod";

export const HealthResponse = z.object({
  status: z.literal("ok"),
  database: z.object({ ok: z.literal(true), latency_ms: z.number() }),
  migration: z.object({ version: z.string(), name: z.string() }).nullable(),
  time: z.string(),
});
export type HealthResponse = z.infer<typeof HealthResponse>;
