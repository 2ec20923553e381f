/** Wiring: the environment, read and checked once at start-up, then the route table served. */
import { z } from "zod";
import { connect } from "../_shared/db.ts";
import { BaseEnv, readEnv, runtimeEnv } from "../_shared/env.ts";
import { token } from "./routes.ts";

const env = readEnv(
  BaseEnv.extend({
    SUPABASE_JWT_SECRET: z.string().min(32),
    API_KEY_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(900),
  }),
  runtimeEnv(),
  "function token",
);
Deno.serve(token.handler({
  sql: connect(env.SUPABASE_DB_URL, "groundwork:token"),
  jwtSecret: env.SUPABASE_JWT_SECRET,
  issuer: new URL("/auth/v1", env.SUPABASE_URL).toString(),
  ttlSeconds: env.API_KEY_TOKEN_TTL_SECONDS,
}, { reportMetrics: true }));
