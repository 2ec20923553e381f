/** Wiring: the environment, read and checked once at start-up, then the route table served. */
import { z } from "zod";
import { BaseEnv, readEnv, runtimeEnv } from "../_shared/env.ts";
import { createRuntime } from "../_shared/runtime.ts";
import { apiKeys } from "./routes.ts";

const env = readEnv(
  BaseEnv.extend({ GROUNDWORK_ENV: z.string().regex(/^[a-z][a-z0-9]{0,15}$/).default("local") }),
  runtimeEnv(),
  "function api-keys",
);
Deno.serve(apiKeys.handler({ ...createRuntime("api-keys"), environment: env.GROUNDWORK_ENV }, { reportMetrics: true }));
