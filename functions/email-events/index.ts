/** Wiring: the environment, read and checked once at start-up, then the route table served. */
import { z } from "zod";
import { connect } from "../_shared/db.ts";
import { BaseEnv, readEnv, runtimeEnv } from "../_shared/env.ts";
import { emailEvents } from "./routes.ts";

const EmailEventsEnv = BaseEnv.extend({
  RESEND_WEBHOOK_SECRET: z.string().regex(/^whsec_[A-Za-z0-9+/=]+$/, "must be Resend's whsec_ signing secret"),
});
const env = readEnv(EmailEventsEnv, runtimeEnv(), "function email-events");
Deno.serve(emailEvents.handler({
  sql: connect(env.SUPABASE_DB_URL, "groundwork:email-events"),
  secret: env.RESEND_WEBHOOK_SECRET,
}, { reportMetrics: true }));
