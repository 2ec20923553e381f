/** Wiring: the environment, read and checked once at start-up, then the route table served. */
import { z } from "zod";
import { BaseEnv, readEnv, runtimeEnv } from "../_shared/env.ts";
import { createRuntime } from "../_shared/runtime.ts";
import { scheduling, videoProvider } from "./routes.ts";

const SchedulingEnv = BaseEnv.extend({
  VIDEO_PROVIDER: z.enum(["jitsi", "none"]).default("jitsi"),
  JITSI_BASE_URL: z.url().default("https://meet.jit.si"),
});

const env = readEnv(SchedulingEnv, runtimeEnv(), "function scheduling");
Deno.serve(
  scheduling.handler({ ...createRuntime("scheduling"), video: videoProvider(env), publicUrl: env.SUPABASE_URL }, {
    reportMetrics: true,
  }),
);
