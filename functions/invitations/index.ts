/** Wiring: the environment, read and checked once at start-up, then the route table served. */
import { z } from "zod";
import { BaseEnv, readEnv, runtimeEnv } from "../_shared/env.ts";
import { createRuntime } from "../_shared/runtime.ts";
import { invitations } from "./routes.ts";

const env = readEnv(
  BaseEnv.extend({ APP_URL: z.url().default("http://127.0.0.1:3000") }),
  runtimeEnv(),
  "function invitations",
);
Deno.serve(invitations.handler({
  ...createRuntime("invitations"),
  acceptUrl: new URL("/invitations/accept", env.APP_URL).toString(),
}, { reportMetrics: true }));
