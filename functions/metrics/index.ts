/** Wiring: the environment, read and checked once at start-up, then the route table served. */
import { z } from "zod";
import { BaseEnv, readEnv, runtimeEnv } from "../_shared/env.ts";
import { createRuntime } from "../_shared/runtime.ts";
import { metrics } from "./routes.ts";

const env = readEnv(BaseEnv.extend({ DISPATCH_SECRET: z.string().min(32) }), runtimeEnv(), "function metrics");
const runtime = createRuntime("metrics");
Deno.serve(metrics.handler({ sql: runtime.sql, verify: runtime.verify, secret: env.DISPATCH_SECRET }, {
  reportMetrics: true,
}));
