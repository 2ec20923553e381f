/** Wiring: the environment, read and checked once at start-up, then the route table served. */
import { z } from "zod";
import { BaseEnv, readEnv, runtimeEnv } from "../_shared/env.ts";
import { createRuntime } from "../_shared/runtime.ts";
import { storageClient, StorageEnv } from "../_shared/storage.ts";
import { imports } from "./routes.ts";

const env = readEnv(
  BaseEnv.extend(StorageEnv.shape).extend({ DISPATCH_SECRET: z.string().min(32, "must be at least 32 characters") }),
  runtimeEnv(),
  "function imports",
);
Deno.serve(
  imports.handler({ ...createRuntime("imports"), storage: storageClient(env), secret: env.DISPATCH_SECRET }, {
    reportMetrics: true,
  }),
);
