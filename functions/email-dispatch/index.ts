/** Wiring: the environment, read and checked once at start-up, then the route table served. */
import { z } from "zod";
import { createVerifier, verifierFromEnv } from "../_shared/auth.ts";
import { connect } from "../_shared/db.ts";
import { EmailEnv, transportFromEnv } from "../_shared/email/transport.ts";
import { BaseEnv, readEnv, runtimeEnv } from "../_shared/env.ts";
import { dispatcher } from "./routes.ts";

const DispatchEnv = BaseEnv.extend(EmailEnv.shape).extend({
  DISPATCH_SECRET: z.string().min(32, "must be at least 32 characters"),
});
const env = readEnv(DispatchEnv, runtimeEnv(), "function email-dispatch");
Deno.serve(dispatcher.handler({
  sql: connect(env.SUPABASE_DB_URL, "groundwork:email-dispatch", 10),
  transport: transportFromEnv(env),
  from: env.EMAIL_FROM,
  verify: createVerifier(verifierFromEnv(env)),
  secret: env.DISPATCH_SECRET,
}, { reportMetrics: true }));
