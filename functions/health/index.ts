/** Wiring: the environment, read and checked once at start-up, then the route table served. */
import { EmailEnv, transportFromEnv } from "../_shared/email/transport.ts";
import { readEnv, runtimeEnv } from "../_shared/env.ts";
import { createRuntime } from "../_shared/runtime.ts";
import { health } from "./routes.ts";

const runtime = createRuntime("health");
const email = readEnv(EmailEnv, runtimeEnv(), "function health");
Deno.serve(
  health.handler({ sql: runtime.sql, verify: runtime.verify, transport: transportFromEnv(email) }, {
    reportMetrics: true,
  }),
);
